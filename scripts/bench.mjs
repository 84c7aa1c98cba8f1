// Benchmark on the lab: wall time and SSH round trips of status, prepare and verify (CLI, as a user runs it),
// and the bundle sizes. Needs root (it brings up its own lab, prefix cv6bench, and tears it down).
//   npm run bench            (RUNS=5 by default)
import { spawnSync } from 'node:child_process';
import { statSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const root = new URL('..', import.meta.url).pathname;
const env = { ...process.env, LAB_PREFIX: process.env.LAB_PREFIX ?? 'cv6bench' };
const RUNS = +(process.env.RUNS ?? 5);
const lab = (...a) => spawnSync('bash', [`${root}test/lab/lab.sh`, ...a], { env, encoding: 'utf8' });

function labEnv() {
  const o = {};
  for (const l of lab('env').stdout.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(l);
    if (m) o[m[1]] = m[2].replace(/^'(.*)'$/, '$1');
  }
  return o;
}

function cli(L, ...args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [`${root}dist/cli.js`, ...args, '--host', `labuser@[${L.LAB_SSH6}]`, '--identity', L.LAB_KEY_USER, '--known-hosts', L.LAB_KNOWN_HOSTS],
    { env: { ...env, CONOHA_IPV6_DEBUG: '1', SSH_AUTH_SOCK: '' }, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const trips = [...r.stderr.matchAll(/^debug: (snapshot|apply [^:]*): exit \S+ in (\d+) ms/gm)].map((m) => ({ what: m[1], ms: +m[2] }));
  return { code: r.status, ms, trips, stdout: r.stdout, stderr: r.stderr };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
function measure(name, L, args, runs = RUNS) {
  const rs = Array.from({ length: runs }, () => cli(L, ...args));
  const last = rs[rs.length - 1];
  rows.push({ command: name, exit: last.code, runs, 'wall ms (median)': Math.round(median(rs.map((r) => r.ms))), 'round trips': last.trips.length, 'remote ms (median, per trip)': last.trips.map((t, i) => `${t.what} ${median(rs.map((r) => r.trips[i]?.ms ?? 0))}`).join(' + ') });
  return last;
}

const up = lab('up');
if (up.status !== 0) { console.error(up.stdout, up.stderr); process.exit(1); }
try {
  const L = labEnv();
  measure('status', L, ['status']);
  measure('prepare --dry-run', L, ['prepare', '--dry-run']);
  const first = measure('prepare (first, applies)', L, ['prepare'], 1);
  if (first.code !== 0) throw new Error(first.stdout + first.stderr);
  measure('prepare (again, no-op)', L, ['prepare']);
  measure('assign c1', L, ['assign', 'c1'], 1);
  measure('assign c2', L, ['assign', 'c2'], 1);
  measure('verify (2 bindings, pings)', L, ['verify']);
  console.table(rows);
} finally {
  lab('down');
}
const size = (f) => { const b = readFileSync(`${root}${f}`); return `${(statSync(`${root}${f}`).size / 1024).toFixed(1)} KiB (gzip ${(gzipSync(b).length / 1024).toFixed(1)} KiB)`; };
console.log(`bundles: dist/cli.js ${size('dist/cli.js')}, dist/extension.js ${size('dist/extension.js')}`);
