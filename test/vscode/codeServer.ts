// Starting and stopping code-server (a real VS Code: the server, its Node extension host and the web workbench)
// from the harness cache, in its own process group and run directory, on a port the kernel picks. See README.md
// next to this file. Node builtins only.
import { spawn, execFile, ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ensureHarness } from './harnessInstall';

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
  /** more code-server arguments, e.g. ['--locale', 'ja'] */
  args?: string[];
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
    ...(opts.args ?? []),
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
  const proc = { running: true }; // an object: the exit handler changes it while this function awaits
  const exited = new Promise<number | string>((res) => child.on('exit', (code, sig) => {
    proc.running = false;
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
  }).catch(async (e: unknown) => {
    killGroup(pid, 'SIGKILL');
    await exited;
    live.delete(pid);
    log.end();
    rmSync(runDir, { recursive: true, force: true });
    throw new Error(`${e instanceof Error ? e.message : String(e)}; its output:\n${seen}`);
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
    if (Date.now() > deadline || !proc.running) {
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
