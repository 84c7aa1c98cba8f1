// Extension tests in code-server's real Node extension host (the way VS Code's own browser integration tests run):
// code-server with the smoke-test driver, a headless page on the workbench with ?payload=, the exit code the
// extension host reports, and on failure the ends of the logs. See README.md next to this file.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { format } from 'node:util';
import { Browser, launchBrowser } from './browser';
import { CodeServer, remoteUri, startCodeServer, workbenchUrl } from './codeServer';

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
    await page.exposeFunction('codeAutomationExit', (c: unknown) => settle(Number(c)));
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
    note(`harness error: ${(e instanceof Error ? e.stack : undefined) ?? String(e)}`);
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
