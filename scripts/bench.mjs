// Benchmark on the lab (not a test: it prints a table and writes JSON). Each command runs as a user runs it
// (node dist/cli.js ...), paired with the same read done with OpenSSH (ssh ... 'sudo -n bash -s' < the snapshot
// script the CLI sends), A B A B ...: medians of each, their ratio, round trips, client CPU (user+sys of the
// client process: node, or ssh; the CLI's compile cache is warm, as from a user's second run on). Then the same at scale (200 running containers, a 256-address set), and the
// bundle and VSIX sizes. Needs root: it brings up its own lab and tears it down.
//   npm run bench      PAIRS=9 (pairs per row)  CONTAINERS=200 (running, at scale)  LAB_PREFIX=cv6pb
//                      BENCH_JSON=bench-results.json (where the JSON goes)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { lean } from './esbuild-lean.mjs';

const root = new URL('..', import.meta.url).pathname;
const env = { ...process.env, LAB_PREFIX: process.env.LAB_PREFIX || 'cv6pb' };
const PAIRS = +(process.env.PAIRS ?? 9);
const CONTAINERS = +(process.env.CONTAINERS ?? 200);
const OUT = process.env.BENCH_JSON || join(root, 'bench-results.json');
const tmp = mkdtempSync(join(tmpdir(), 'cv6-bench-'));
const lab = (...a) => spawnSync('bash', [`${root}test/lab/lab.sh`, ...a], { env, encoding: 'utf8' });

// the very scripts the CLI sends: src/host/scripts.ts bundled the way build.mjs bundles it
await build({
  stdin: { contents: "export { snapshotScript } from './src/host/scripts';", resolveDir: root, loader: 'ts' },
  bundle: true, platform: 'node', format: 'cjs', target: 'node20', loader: { '.sh': 'text' }, plugins: [lean], outfile: join(tmp, 'scripts.cjs'), logLevel: 'warning',
});
const { snapshotScript } = createRequire(import.meta.url)(join(tmp, 'scripts.cjs'));

function labEnv() {
  const o = {};
  for (const l of lab('env').stdout.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(l);
    if (m) o[m[1]] = m[2].replace(/^'(.*)'$/, '$1');
  }
  return o;
}

/** runs a command under /usr/bin/time: wall ms, and the CPU ms (user+sys) of the process */
function timed(cmd, args, opts = {}) {
  const tf = join(tmp, 'time');
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S', '-o', tf, cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 28, ...opts });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const [u, s] = readFileSync(tf, 'utf8').trim().split('\n').pop().split(' ').map(Number);
  return { code: r.status, ms, cpu: (u + s) * 1000, stdout: r.stdout, stderr: r.stderr };
}

const cliArgs = (L) => ['--host', `labuser@[${L.LAB_SSH6}]`, '--identity', L.LAB_KEY_USER, '--known-hosts', L.LAB_KNOWN_HOSTS];
function cli(L, args) {
  const r = timed(process.execPath, [`${root}dist/cli.js`, ...args, ...cliArgs(L)], { env: { ...env, CONOHA_IPV6_DEBUG: '1', SSH_AUTH_SOCK: '' } });
  r.trips = [...r.stderr.matchAll(/^debug: ([^:\n]+): exit \S+ in (\d+) ms/gm)].map((m) => ({ what: m[1], ms: +m[2] }));
  return r;
}
function openssh(L, script) {
  return timed('ssh', ['-F', '/dev/null', '-i', L.LAB_KEY_USER, '-o', `UserKnownHostsFile=${L.LAB_KNOWN_HOSTS}`, '-o', 'StrictHostKeyChecking=yes',
    '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', `labuser@${L.LAB_SSH6}`, 'sudo -n bash -s'], { input: script, env: { ...env, SSH_AUTH_SOCK: '' } });
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const n = s.length; return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };
const rows = [];
/** PAIRS paired runs, A (the CLI) then B (OpenSSH), alternating; the outputs are checked, not just timed */
function pair(name, L, args, script, okCodes = [0]) {
  const a = [], b = [];
  cli(L, args); openssh(L, script); // warm-up (page cache, sshd, docker), not counted
  for (let i = 0; i < PAIRS; i++) {
    const ra = cli(L, args);
    if (!okCodes.includes(ra.code)) throw new Error(`${name}: exit ${ra.code}\n${ra.stdout}\n${ra.stderr}`);
    const rb = openssh(L, script);
    if (rb.code !== 0 || !rb.stdout.includes('{"v":')) throw new Error(`${name} (OpenSSH): exit ${rb.code}\n${rb.stderr}`);
    a.push(ra); b.push(rb);
  }
  const m = (rs, k) => median(rs.map((r) => r[k]));
  const row = {
    command: name,
    pairs: PAIRS,
    'ms': Math.round(m(a, 'ms')),
    'OpenSSH ms': Math.round(m(b, 'ms')),
    ratio: +(m(a, 'ms') / m(b, 'ms')).toFixed(2),
    'ratio (median of pairs)': +median(a.map((r, i) => r.ms / b[i].ms)).toFixed(2),
    'round trips': a[a.length - 1].trips.length,
    'host ms': Math.round(median(a.map((r) => r.trips.reduce((s, t) => s + t.ms, 0)))),
    'client CPU ms': Math.round(m(a, 'cpu')),
    'OpenSSH CPU ms': Math.round(m(b, 'cpu')),
    'script bytes': Buffer.byteLength(script),
    'output bytes': b[b.length - 1].stdout.length,
  };
  rows.push(row);
  console.error(`${name}: ${row.ms} ms vs OpenSSH ${row['OpenSSH ms']} ms (x${row.ratio}), ${row['round trips']} round trip(s), client CPU ${row['client CPU ms']} ms vs ${row['OpenSSH CPU ms']} ms`);
  return row;
}

function once(L, args) {
  const r = cli(L, args);
  if (r.code !== 0) throw new Error(`${args.join(' ')}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r;
}

const results = { date: new Date().toISOString(), node: process.version, cpus: cpus().length, loadavg: loadavg().map((x) => +x.toFixed(2)), pairs: PAIRS, rows, sizes: {} };
const t0 = Date.now();
const up = lab('up');
if (up.status !== 0) { console.error(up.stdout, up.stderr); process.exit(1); }
try {
  const L = labEnv();
  pair('status (3 containers)', L, ['status'], snapshotScript());
  once(L, ['prepare']);
  once(L, ['assign', 'c1']);
  pair('verify (3 containers, 1 bound)', L, ['verify'], snapshotScript('bound'));
  pair('prepare (no-op)', L, ['prepare'], snapshotScript());
  const running = () => +lab('vps', 'sh', '-c', 'docker ps -q | wc -l').stdout.trim();
  const extra = CONTAINERS - running();
  if (extra > 0) {
    const c = lab('containers', String(extra));
    if (c.status !== 0) throw new Error(c.stdout + c.stderr);
  }
  results.containersAtScale = running();
  console.error(`${results.containersAtScale} containers running`);
  once(L, ['assign', 'x2']);
  pair(`status (${results.containersAtScale} containers)`, L, ['status'], snapshotScript());
  pair(`verify (${results.containersAtScale} containers, 2 bound)`, L, ['verify'], snapshotScript('bound'));
  // 256 explicit addresses (a /120 of the lab's /64 as a list)
  const list = Array.from({ length: 256 }, (_, i) => `2001:db8:1301:814:a157:7:235:${(0x200 + i).toString(16)}`).join(',');
  pair(`status (${results.containersAtScale} containers, 256 addresses)`, L, ['status', '--addresses', list], snapshotScript());
} finally {
  const d = lab('down');
  if (d.status !== 0) console.error(d.stdout, d.stderr);
}
results.seconds = Math.round((Date.now() - t0) / 1000);

const size = (f) => { const b = readFileSync(f); return { bytes: statSync(f).size, KiB: +(statSync(f).size / 1024).toFixed(1), gzipKiB: +(gzipSync(b).length / 1024).toFixed(1) }; };
results.sizes['dist/cli.js'] = size(`${root}dist/cli.js`);
results.sizes['dist/cli-main.js'] = size(`${root}dist/cli-main.js`);
results.sizes['dist/extension.js'] = size(`${root}dist/extension.js`);
const vsix = join(tmp, 'conoha-ipv6.vsix');
const p = spawnSync('npx', ['vsce', 'package', '--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links', '-o', vsix], { cwd: root, encoding: 'utf8' });
if (p.status === 0) results.sizes.vsix = size(vsix);
else console.error(`vsce package failed: ${p.stdout}${p.stderr}`);
rmSync(tmp, { recursive: true, force: true });

console.table(rows.map(({ command, ms, 'OpenSSH ms': o, ratio, 'round trips': rt, 'host ms': h, 'client CPU ms': c, 'OpenSSH CPU ms': oc }) => ({ command, ms, 'OpenSSH ms': o, ratio, 'round trips': rt, 'host ms': h, 'client CPU ms': c, 'OpenSSH CPU ms': oc })));
const s = results.sizes;
const k = (x) => (x ? `${x.KiB} KiB (gzip ${x.gzipKiB} KiB)` : 'n/a');
console.log(`sizes: dist/cli.js ${k(s['dist/cli.js'])} + dist/cli-main.js ${k(s['dist/cli-main.js'])}, dist/extension.js ${k(s['dist/extension.js'])}, VSIX ${k(s.vsix)}`);
writeFileSync(OUT, JSON.stringify(results, null, 2) + '\n');
console.log(`written: ${OUT}`);
