// dist/cli.js (src/cliStart.ts) starts the CLI bundle with a V8 code cache on Node < 22.1: the cache is made on
// the first run, used on the next, kept private, and a bad or foreign cache never changes what the CLI does.
import * as nodeModule from 'node:module';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CLI = join(__dirname, '../../../dist/cli.js');
const hasOwnCache = typeof (nodeModule as { enableCompileCache?: unknown }).enableCompileCache === 'function';

function run(cache: string, ...args: string[]) {
  const { NODE_DISABLE_COMPILE_CACHE: _, ...env } = process.env;
  return spawnSync(process.execPath, [CLI, ...args], { env: { ...env, XDG_CACHE_HOME: cache }, encoding: 'utf8' });
}

test('the CLI makes its code cache on the first run, privately, and answers the same with it', { skip: hasOwnCache && 'Node has module.enableCompileCache' }, () => {
  const cache = mkdtempSync(join(tmpdir(), 'cv6-cc-'));
  try {
    const first = run(cache, 'derive', '2001:db8:1301:814:157:7:235:12', '--json');
    assert.equal(first.status, 0, first.stderr);
    const dir = join(cache, 'conoha-ipv6', 'compile');
    const files = readdirSync(dir);
    assert.equal(files.length, 1);
    assert.match(files[0], /^cli-[0-9a-f]{32}\.v8$/);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(join(dir, files[0])).mode & 0o777, 0o600);
    assert.ok(statSync(join(dir, files[0])).size > 10_000);
    const second = run(cache, 'derive', '2001:db8:1301:814:157:7:235:12', '--json');
    assert.equal(second.status, 0, second.stderr);
    assert.equal(second.stdout, first.stdout);
    assert.equal(JSON.parse(second.stdout).addresses.length, 16);
    // errors keep their exit codes through the loader
    const bad = run(cache, 'derive', 'not-an-address');
    assert.equal(bad.status, run(join(cache, 'none'), 'derive', 'not-an-address').status);
    assert.notEqual(bad.status, 0);
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});

test('a corrupt code cache is rejected and replaced; a cache directory others can write is not used', { skip: hasOwnCache && 'Node has module.enableCompileCache' }, () => {
  const cache = mkdtempSync(join(tmpdir(), 'cv6-cc-'));
  try {
    assert.equal(run(cache, 'derive', '2001:db8:1301:814:157:7:235:12').status, 0);
    const dir = join(cache, 'conoha-ipv6', 'compile');
    const file = join(dir, readdirSync(dir)[0]);
    const size = statSync(file).size;
    writeFileSync(file, Buffer.alloc(size, 0x41), { mode: 0o600 });
    const r = run(cache, 'derive', '2001:db8:1301:814:157:7:235:12');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /2001:db8:1301:814:a157:7:235:120/);
    assert.notDeepEqual(readFileSync(file).subarray(0, 16), Buffer.alloc(16, 0x41), 'the rejected cache is made anew');
    // group/other-writable: neither read nor written
    rmSync(file);
    chmodSync(dir, 0o777);
    const w = run(cache, 'derive', '2001:db8:1301:814:157:7:235:12');
    assert.equal(w.status, 0, w.stderr);
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});
