// Test helpers around test/lab/lab.sh: bring the lab up once per test file, run the CLI against it as a
// user would (over real SSH into the lab's VPS namespace), and always tear it down.
import { spawn, spawnSync, SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** the repository root, found upward from wherever the bundle that contains this code lives */
function findRoot(dir: string): string {
  for (let d = dir; d !== dirname(d); d = dirname(d)) if (existsSync(join(d, 'test/lab/lab.sh'))) return d;
  throw new Error(`cannot find the repository root above ${dir}`);
}
export const ROOT = findRoot(__dirname);
/** the lab a test drives: LAB_KIND=systemd in its env picks the systemd-nspawn VPS (syslab.sh), else lab.sh */
const labScript = (env: NodeJS.ProcessEnv) => join(ROOT, env.LAB_KIND === 'systemd' ? 'test/lab/syslab.sh' : 'test/lab/lab.sh');
export const CLI = join(ROOT, 'dist/cli.js');

export type Lab = Record<string, string>;

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, input?: string, timeout = 300_000): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, input, timeout });
}

/** Fails loudly when the lab cannot run here: it needs root on Linux (namespaces, dockerd, sshd). */
export function requireLabHost(): void {
  if (process.platform !== 'linux') throw new Error('the lab tests need Linux (network namespaces)');
  if (process.getuid?.() !== 0) throw new Error('the lab tests need root (network namespaces, dockerd, sshd): run them as root, e.g. sudo npm test');
}

export function labUp(env: NodeJS.ProcessEnv): Lab {
  requireLabHost();
  // a systemd lab may first build its root filesystems (debootstrap, minutes, once per machine)
  const up = run('bash', [labScript(env), 'up'], env, undefined, 1_200_000);
  if (up.status !== 0) throw new Error(`lab up failed (exit ${up.status}):\n${up.stdout}\n${up.stderr}`);
  return labEnv(env);
}

export function labEnv(env: NodeJS.ProcessEnv): Lab {
  const r = run('bash', [labScript(env), 'env'], env);
  if (r.status !== 0) throw new Error(`lab env failed: ${r.stderr}`);
  const lab: Lab = {};
  for (const line of r.stdout.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (m) lab[m[1]] = m[2].replace(/^'(.*)'$/, '$1');
  }
  return lab;
}

export function labDown(env: NodeJS.ProcessEnv): void {
  const r = run('bash', [labScript(env), 'down'], env);
  if (r.status !== 0) throw new Error(`lab down failed: ${r.stdout}\n${r.stderr}`);
}

export function lab(env: NodeJS.ProcessEnv, ...args: string[]): SpawnSyncReturns<string> {
  return run('bash', [labScript(env), ...args], env);
}

/** lab.sh vps bash -s with the script on stdin: a transport onto the lab host's root shell, for driving the
 * engine's operations directly (no SSH; the scripts run on the real lab host all the same) */
export function labVpsTransport(env: NodeJS.ProcessEnv) {
  let roundTrips = 0;
  return {
    description: `lab ${env.LAB_PREFIX} (bash -s)`,
    get roundTrips() {
      return roundTrips;
    },
    run(script: string) {
      roundTrips++;
      const t0 = Date.now();
      const r = run('bash', [labScript(env), 'vps', 'bash', '-s'], env, script);
      return Promise.resolve({ code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - t0 });
    },
    async close() {},
  };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function cli(args: string[], env: NodeJS.ProcessEnv = {}): CliResult {
  const r = run(process.execPath, [CLI, ...args], { HOME: emptyHome(), SSH_AUTH_SOCK: '', ...env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** the CLI without blocking: for two clients at once */
export function cliAsync(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, HOME: emptyHome(), SSH_AUTH_SOCK: '', ...env } });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let home: string | undefined;
/** a HOME without ~/.ssh, so only what a test passes is used */
export function emptyHome(): string {
  home ??= mkdtempSync(join(tmpdir(), 'civ6-home-'));
  return home;
}
export function cleanupHome(): void {
  if (home) rmSync(home, { recursive: true, force: true });
}

/** poll fn (sync) until it returns true or ms pass; returns the time it took, or -1 */
export async function eventually(fn: () => boolean, ms: number, every = 250): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (fn()) return Date.now() - t0;
    await new Promise((r) => setTimeout(r, every));
  }
  return fn() ? Date.now() - t0 : -1;
}
