// Test helpers around test/vscode/harness.sh: a real VS Code (code-server = the VS Code server + web
// workbench, on Node 24) driven by Debian's Chromium through playwright-core, both from a cache outside the
// repo. Extension tests run in the real Node extension host (runExtensionTests), UI tests drive the
// workbench (startCodeServer + launchBrowser). See README.md next to this file.
// Node builtins only: playwright-core is required at run time from the harness cache.
import { spawn, spawnSync, execFile, ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { format } from 'node:util';
import { ROOT } from '../lab/labHarness';

export { ROOT };
const HARNESS_SH = join(ROOT, 'test/vscode/harness.sh');

export interface HarnessPaths {
  /** the cache directory (CONOHA_IPV6_HARNESS, default ~/.cache/conoha-ipv6/vscode-harness) */
  dir: string;
  /** Node 24 binary that code-server runs on */
  node24: string;
  /** code-server's out/node/entry.js */
  codeServer: string;
  /** playwright-core package directory (require() it) */
  playwright: string;
  /** Debian's /usr/bin/chromium */
  chromium: string;
}

let harness: HarnessPaths | undefined;

/** Installs the harness when missing (minutes, once; well under a second after that) and returns its paths. */
export function ensureHarness(): HarnessPaths {
  if (harness) return harness;
  const run = (cmd: string) => spawnSync('bash', [HARNESS_SH, cmd], { encoding: 'utf8', timeout: 1_800_000 });
  const inst = run('install');
  const out = `${inst.stdout ?? ''}${inst.stderr ?? ''}`;
  if (inst.status !== 0) throw new Error(`bash ${HARNESS_SH} install failed (exit ${inst.status ?? inst.signal}${inst.error ? `, ${inst.error.message}` : ''}):\n${out}`);
  if (!/up to date/.test(out)) process.stderr.write(out); // a real install: show its timings once
  const p = run('paths');
  if (p.status !== 0) throw new Error(`bash ${HARNESS_SH} paths failed (exit ${p.status}):\n${p.stdout}${p.stderr}`);
  const kv: Record<string, string> = {};
  for (const line of p.stdout.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (m) kv[m[1]] = m[2];
  }
  const get = (k: string) => {
    if (!kv[k]) throw new Error(`bash ${HARNESS_SH} paths printed no ${k}:\n${p.stdout}`);
    return kv[k];
  };
  harness = {
    dir: get('HARNESS_DIR'),
    node24: get('HARNESS_NODE24'),
    codeServer: get('HARNESS_CODE_SERVER'),
    playwright: get('HARNESS_PLAYWRIGHT'),
    chromium: get('HARNESS_CHROMIUM'),
  };
  return harness;
}

// ---------------------------------------------------------------------------------------------- code-server

export interface CodeServerOptions {
  /** default: a fresh directory in the run dir */
  extensionsDir?: string;
  /** VS Code's user data (User/settings.json, logs/, globalStorage); the caller owns and removes it */
  userDataDir: string;
  /** folder the workbench opens */
  workspace: string;
  /** written as <userDataDir>/User/settings.json, over QUIET_SETTINGS */
  settings?: object;
  /** extra environment for code-server and so for the extension host (over a cleaned process.env) */
  env?: NodeJS.ProcessEnv;
  /** --vscode-option enable-smoke-test-driver: needed for the ?payload= of runExtensionTests */
  smokeTestDriver?: boolean;
  /** .vsix files installed into extensionsDir (code-server --install-extension) before the start */
  installVsix?: string[];
}

export interface CodeServer {
  port: number;
  /** base URL, http://127.0.0.1:PORT (no trailing slash); the workbench on the workspace is workbenchUrl(port, workspace) */
  url: string;
  /** the folder it was started on (absolute) */
  workspace: string;
  pid: number;
  /** code-server's stdout + stderr; in runDir, so read it before stop() */
  logFile: string;
  /** XDG_CONFIG_HOME, XDG_DATA_HOME, default extensions dir and the log; removed by stop() */
  runDir: string;
  extensionsDir: string;
  /** settles when code-server exits (exit code, or the signal's name) */
  exited: Promise<number | string>;
  /** kills code-server's process group (server, extension host, pty host, watchers), waits, removes runDir */
  stop(opts?: { keepRunDir?: boolean }): Promise<void>;
}

/** Settings that keep a test workbench quiet and offline; a test's own settings win. */
export const QUIET_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'chat.disableAIFeatures': true,
  'security.workspace.trust.enabled': false,
  'git.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
};

// running code-servers (process group -> run dir), killed and removed if the test process dies first
const live = new Map<number, string>();

function killGroup(pid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pid, sig);
    return true;
  } catch {
    return false; // ESRCH: the group is gone
  }
}

let exitHooks = false;
function installExitHooks(): void {
  if (exitHooks) return;
  exitHooks = true;
  const killAll = () => {
    for (const [pid, runDir] of live) {
      killGroup(pid, 'SIGKILL');
      rmSync(runDir, { recursive: true, force: true });
    }
  };
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    const onSignal = () => {
      killAll();
      process.removeListener(sig, onSignal);
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig); // then die as the signal would
    };
    process.on(sig, onSignal);
  }
}

/** process.env without what would make code-server act as a CLI of the VS Code it runs in, or confuse Node 24 */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('VSCODE_') || k === 'ELECTRON_RUN_AS_NODE' || k === 'NODE_OPTIONS' || k === 'NODE_TEST_CONTEXT') continue;
    env[k] = v;
  }
  return env;
}

/** vscode-remote URI of a path on the code-server host, as the workbench's payload wants it */
export function remoteUri(port: number, path: string): string {
  return `vscode-remote://127.0.0.1:${port}${resolve(path).split('/').map(encodeURIComponent).join('/')}`;
}

export function workbenchUrl(port: number, workspace: string, payload?: [string, string][]): string {
  let url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(resolve(workspace))}`;
  if (payload) url += `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  return url;
}

function execNode(node: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  return new Promise((res) => {
    execFile(node, args, { env, encoding: 'utf8', timeout: 300_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      res({ code, out: `${stdout}${stderr}${err && typeof err.code !== 'number' ? err.message : ''}` });
    });
  });
}

export async function startCodeServer(opts: CodeServerOptions): Promise<CodeServer> {
  const h = ensureHarness();
  const runDir = mkdtempSync(join(tmpdir(), 'civ6-code-server-'));
  const extensionsDir = resolve(opts.extensionsDir ?? join(runDir, 'exts'));
  const userDataDir = resolve(opts.userDataDir);
  const workspace = resolve(opts.workspace);
  const logFile = join(runDir, 'code-server.log');
  mkdirSync(extensionsDir, { recursive: true });
  mkdirSync(workspace, { recursive: true });
  const settingsFile = join(userDataDir, 'User', 'settings.json');
  if (opts.settings || !existsSync(settingsFile)) {
    mkdirSync(join(userDataDir, 'User'), { recursive: true });
    writeFileSync(settingsFile, JSON.stringify({ ...QUIET_SETTINGS, ...opts.settings }, null, 2));
  }
  // XDG dirs in the run dir: code-server keeps its config.yaml and state there, not in ~/.config
  const env: NodeJS.ProcessEnv = {
    ...cleanEnv(),
    XDG_CONFIG_HOME: join(runDir, 'xdg-config'),
    XDG_DATA_HOME: join(runDir, 'xdg-data'),
    ...opts.env,
  };
  const common = ['--user-data-dir', userDataDir, '--extensions-dir', extensionsDir];

  try {
    for (const vsix of opts.installVsix ?? []) {
      const r = await execNode(h.node24, [h.codeServer, ...common, '--install-extension', resolve(vsix)], env);
      if (r.code !== 0) throw new Error(`code-server --install-extension ${vsix} failed (exit ${r.code}):\n${r.out}`);
    }
  } catch (e) {
    rmSync(runDir, { recursive: true, force: true });
    throw e;
  }

  const args = [h.codeServer, '--bind-addr', '127.0.0.1:0', '--auth', 'none',
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override',
    ...(opts.smokeTestDriver ? ['--vscode-option', 'enable-smoke-test-driver'] : []),
    ...common, workspace];
  // its own process group, so stop() also ends the extension host, pty host and file watchers it starts
  const child: ChildProcess = spawn(h.node24, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid;
  if (pid === undefined) {
    rmSync(runDir, { recursive: true, force: true });
    throw new Error(`could not start ${h.node24} ${h.codeServer}`);
  }
  live.set(pid, runDir);
  installExitHooks();
  const log = createWriteStream(logFile);
  log.on('error', () => undefined); // a full disk must not crash the test process
  let running = true;
  const exited = new Promise<number | string>((res) => child.on('exit', (code, sig) => {
    running = false;
    if (!killGroup(pid, 0)) live.delete(pid); // else stop() or the exit hook still has children to end
    res(code ?? sig ?? 'unknown');
  }));

  // --bind-addr 127.0.0.1:0: the kernel picks the port, code-server says which (no race over a "free" port)
  let seen = '';
  const port = await new Promise<number>((res, rej) => {
    const timer = setTimeout(() => rej(new Error('code-server printed no "HTTP server listening" within 60 s')), 60_000);
    const onData = (b: Buffer) => {
      if (!log.writableEnded) log.write(b);
      if (seen.length < 65536) seen += b.toString();
      const m = /HTTP server listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(seen);
      if (m) {
        clearTimeout(timer);
        res(Number(m[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((c) => {
      clearTimeout(timer);
      rej(new Error(`code-server exited (${c}) before it listened`));
    });
  }).catch(async (e: Error) => {
    killGroup(pid, 'SIGKILL');
    await exited;
    live.delete(pid);
    log.end();
    rmSync(runDir, { recursive: true, force: true });
    throw new Error(`${e.message}; its output:\n${seen}`);
  });

  let stopped: Promise<void> | undefined;
  const stop = (o: { keepRunDir?: boolean } = {}): Promise<void> => {
    stopped ??= (async () => {
      if (killGroup(pid, 'SIGTERM')) {
        const hard = setTimeout(() => killGroup(pid, 'SIGKILL'), 10_000);
        await exited;
        // the leader is gone; wait for the rest of its group (extension host, pty host, watcher)
        for (let i = 0; i < 100 && killGroup(pid, 0); i++) await sleep(100);
        killGroup(pid, 'SIGKILL');
        clearTimeout(hard);
      }
      live.delete(pid);
      await new Promise<void>((r) => log.end(r));
      if (!o.keepRunDir) rmSync(runDir, { recursive: true, force: true });
    })();
    return stopped;
  };

  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break;
    } catch {
      // not yet
    }
    if (Date.now() > deadline || !running) {
      const out = readFileSync(logFile, 'utf8');
      await stop();
      throw new Error(`code-server did not answer /healthz on 127.0.0.1:${port}; its output:\n${out}`);
    }
    await sleep(100);
  }
  return { port, url: `http://127.0.0.1:${port}`, workspace, pid, logFile, runDir, extensionsDir, exited, stop };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// -------------------------------------------------------------------------------------------------- browser

/** The parts of playwright-core's Page that tests here use; the rest is there at run time too. */
export interface Page {
  goto(url: string, opts?: object): Promise<{ status(): number } | null>;
  locator(selector: string, opts?: object): any;
  keyboard: { press(key: string): Promise<void>; type(text: string): Promise<void> };
  screenshot(opts?: { path?: string; fullPage?: boolean }): Promise<Buffer>;
  exposeFunction(name: string, fn: (...args: any[]) => unknown): Promise<void>;
  evaluate<R>(fn: string | ((arg: any) => R), arg?: unknown): Promise<R>;
  waitForTimeout(ms: number): Promise<void>;
  on(event: string, fn: (arg: any) => void): unknown;
  close(): Promise<void>;
  [more: string]: any;
}

/** playwright-core's Browser (typed by hand: the project does not depend on playwright-core) */
export interface Browser {
  newPage(opts?: { viewport?: { width: number; height: number }; [more: string]: unknown }): Promise<Page>;
  close(): Promise<void>;
  version(): string;
  [more: string]: any;
}

/**
 * Debian's Chromium, headless, offline-quiet. playwright gives every launch a new empty profile
 * (--user-data-dir=<tmp>/playwright_chromiumdev_profile-*, removed by close()); it refuses one in args.
 */
export async function launchBrowser(): Promise<Browser> {
  const h = ensureHarness();
  const { chromium } = require(h.playwright);
  return chromium.launch({
    executablePath: h.chromium,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

/** A page on the code-server's workbench (on cs.workspace), once the workbench's activity bar is there. */
export async function openWorkbench(browser: Browser, cs: CodeServer, viewport = { width: 1280, height: 800 }): Promise<Page> {
  const page = await browser.newPage({ viewport });
  const resp = await page.goto(workbenchUrl(cs.port, cs.workspace));
  if (!resp || resp.status() >= 400) throw new Error(`the workbench answered HTTP ${resp?.status()} (log: ${cs.logFile})`);
  await page.locator('.monaco-workbench .activitybar').waitFor({ timeout: 60_000 });
  return page;
}

/**
 * Runs a command by its title from the command palette (F1). The palette lists what is registered when it
 * opens, and an extension's commands come a moment after the workbench, so it reopens until the title shows.
 */
export async function runFromPalette(page: Page, title: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ timeout: 10_000 });
    await input.fill(`>${title}`);
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
    try {
      await row.waitFor({ timeout: 2_000 });
      await row.click();
      return;
    } catch {
      await page.keyboard.press('Escape');
      if (Date.now() > deadline) throw new Error(`command palette: no "${title}" within ${timeoutMs} ms`);
    }
  }
}

// ------------------------------------------------------------------------------------- extension-host tests

export interface ExtensionTestOptions {
  /** the extension folder (its package.json) */
  extensionDevelopmentPath: string;
  /** module exporting run(): Promise<void>, loaded in the extension host (with or without .js) */
  extensionTestsPath: string;
  /** folder the window opens */
  workspace: string;
  settings?: object;
  /** reaches the extension host */
  env?: NodeJS.ProcessEnv;
  /** default 180 s */
  timeoutMs?: number;
}

/**
 * Workbench chatter of a closed-network test window that has nothing to do with the tests. Kept in `log`,
 * not streamed (CONOHA_IPV6_VSCODE_VERBOSE=1 streams it too).
 */
const NOISE: RegExp[] = [
  /^\s*\[(AgentHost[^\]]*|ChatModelSelection|AccountPolicyGate|Service Worker|reconnection-grace-time)\]/,
  /^\s*(Resolving|Resolved) connection token/,
  /^\s*Creating a socket/,
  /^\s*Updating additional builtin/,
  /^\s*Creation of workbench contribution/,
  /^\s*An iframe which/,
  /^\s*The web worker extension host/,
  /ENOTFOUND|ERR_NAME_NOT_RESOLVED|ERR_INTERNET_DISCONNECTED/,
  /Timed out waiting for authentication provider/,
  /An unknown error occurred/,
  /^(Error: )?Canceled|Canceled: Canceled/,
];

export const isNoise = (line: string): boolean => NOISE.some((re) => re.test(line));

/**
 * Runs extensionTestsPath's run() in code-server's real Node extension host with the extension at
 * extensionDevelopmentPath loaded, the way VS Code's own browser integration tests do: code-server with the
 * smoke-test driver, the workbench opened with ?payload=[["extensionDevelopmentPath",…],["extensionTestsPath",…]].
 * Resolves with the exit code the extension host reported (0 = run() resolved), 124 on timeout, 1 when
 * code-server or the page died; `log` has every console line of the window (window.codeAutomationLog).
 */
export async function runExtensionTests(opts: ExtensionTestOptions): Promise<{ code: number; log: string }> {
  const timeoutMs = opts.timeoutMs ?? 180_000;
  const verbose = !!process.env.CONOHA_IPV6_VSCODE_VERBOSE;
  const keep = !!process.env.CONOHA_IPV6_VSCODE_KEEP;
  const t0 = Date.now();
  const lines: string[] = [];
  const note = (s: string) => {
    const line = `[harness ${((Date.now() - t0) / 1000).toFixed(1)}s] ${s}`;
    lines.push(line);
    process.stderr.write(`  ${line}\n`);
  };
  const tmp = mkdtempSync(join(tmpdir(), 'civ6-ext-tests-'));
  let cs: CodeServer | undefined;
  let browser: Browser | undefined;
  let code = 1;
  try {
    cs = await startCodeServer({
      userDataDir: join(tmp, 'user-data'),
      workspace: opts.workspace,
      settings: opts.settings,
      env: opts.env,
      smokeTestDriver: true,
    });
    note(`code-server pid ${cs.pid} on 127.0.0.1:${cs.port}`);
    browser = await launchBrowser();
    const page = await browser.newPage();

    let settled = false;
    let resolveResult!: (code: number) => void;
    const result = new Promise<number>((r) => (resolveResult = r));
    const settle = (c: number) => {
      if (!settled) resolveResult(c);
      settled = true;
    };
    await page.exposeFunction('codeAutomationLog', (type: string, args: unknown[]) => {
      const text = format(...(Array.isArray(args) ? args : [args]));
      lines.push(type === 'log' ? text : `[${type}] ${text}`);
      if (verbose || !isNoise(text)) process.stdout.write(text.split('\n').map((l) => `  [ext-host] ${l}\n`).join(''));
    });
    await page.exposeFunction('codeAutomationExit', (c: number) => settle(Number(c)));
    page.on('pageerror', (e: Error) => lines.push(`[pageerror] ${e.message}`));
    page.on('crash', () => {
      if (settled) return;
      note('the workbench page crashed');
      settle(1);
    });
    void cs.exited.then((c) => {
      if (settled) return; // stop() below
      note(`code-server exited early (${c})`);
      settle(1);
    });
    const timer = setTimeout(() => {
      if (settled) return;
      note(`TIMEOUT: the extension host did not report back within ${timeoutMs} ms`);
      settle(124);
    }, timeoutMs);

    const payload: [string, string][] = [
      ['extensionDevelopmentPath', remoteUri(cs.port, opts.extensionDevelopmentPath)],
      ['extensionTestsPath', remoteUri(cs.port, opts.extensionTestsPath)],
      ['skipWelcome', 'true'],
    ];
    note(`opening the workbench; tests: ${resolve(opts.extensionTestsPath)}`);
    const resp = await page.goto(workbenchUrl(cs.port, opts.workspace, payload));
    if (!resp || resp.status() >= 400) {
      note(`the workbench page answered HTTP ${resp?.status()}`);
      settle(1);
    }
    code = await result;
    clearTimeout(timer);
    note(`extension host exit code ${code}`);
  } catch (e) {
    note(`harness error: ${(e as Error).stack ?? e}`);
    code = 1;
  } finally {
    if (code !== 0 && cs) attachDiagnostics(lines, cs.logFile, join(tmp, 'user-data', 'logs'));
    await browser?.close().catch(() => undefined);
    await cs?.stop({ keepRunDir: keep && code !== 0 });
    if (keep && code !== 0) note(`kept ${tmp} and ${cs?.runDir} (CONOHA_IPV6_VSCODE_KEEP)`);
    else rmSync(tmp, { recursive: true, force: true });
  }
  return { code, log: lines.join('\n') };
}

/** on failure: the ends of code-server's output and of the extension host's own log, into the returned log */
function attachDiagnostics(lines: string[], logFile: string, logsDir: string): void {
  const tail = (file: string, n: number) => {
    try {
      return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-n).join('\n');
    } catch {
      return '(unreadable)';
    }
  };
  lines.push(`----- last lines of ${logFile}`, tail(logFile, 40));
  for (const f of findFiles(logsDir, /exthost.*\.log$/)) lines.push(`----- last lines of ${f}`, tail(f, 60));
}

function findFiles(dir: string, re: RegExp): string[] {
  const found: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return found;
  }
  for (const n of names) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) found.push(...findFiles(p, re));
    else if (re.test(n)) found.push(p);
  }
  return found;
}
