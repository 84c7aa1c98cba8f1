// Installing and locating the VS Code test harness: test/vscode/harness.sh puts code-server (the VS Code server +
// web workbench), the Node 24 it runs on, playwright-core and Debian's Chromium into a cache outside the repo, and
// prints their paths. See README.md next to this file. Node builtins only.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../lab/labHarness';

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
  const out = [inst.stdout, inst.stderr].join(''); // both null when bash could not be started; join() reads null as ''
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
