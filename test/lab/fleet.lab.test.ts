// Several hosts in one CLI call, on two real lab VPSes (each its own namespaces, sshd, dockerd, radvd, host key and
// keys) and a dead host: `--all PATTERN` over an ssh config (with an Include), `--all FILE`, and `--host` repeated.
// One table, a line per host; a dead host is a line of its own, never a stall of the others; the exit code is
// the worst host's.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab, cli, cliAsync, cleanupHome, labDown, labUp } from './labHarness';

const prefix = process.env.CIV6_TEST_FLEET_PREFIX ?? 'cv6fl';
const envA: NodeJS.ProcessEnv = { LAB_PREFIX: `${prefix}a` };
const envB: NodeJS.ProcessEnv = { LAB_PREFIX: `${prefix}b` };

describe('status and verify on several hosts: one table, the worst exit code, a dead host on its own line', () => {
  let A: Lab, B: Lab;
  let tmp: string;
  let conn: string[];
  let server: Server;
  const sockets: Socket[] = [];

  before(async () => {
    A = labUp(envA);
    B = labUp(envB);
    tmp = mkdtempSync(join(tmpdir(), 'civ6-fleet-'));
    // a "host" that accepts TCP and never says a word: without a bound it would hold its line for the whole timeout
    server = createServer((c) => sockets.push(c));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    writeFileSync(join(tmp, 'known_hosts'), readFileSync(A.LAB_KNOWN_HOSTS, 'utf8') + readFileSync(B.LAB_KNOWN_HOSTS, 'utf8'));
    writeFileSync(join(tmp, 'more.conf'), `Host dead\n  HostName 127.0.0.1\n  Port ${port}\n  User root\n`);
    writeFileSync(
      join(tmp, 'ssh_config'),
      [`Include ${join(tmp, 'more.conf')}`, 'Host vps-a', `  HostName ${A.LAB_SSH6}`, '  User root', `  IdentityFile ${A.LAB_KEY_ROOT}`, 'Host vps-b', `  HostName ${B.LAB_SSH6}`, '  User root', `  IdentityFile ${B.LAB_KEY_ROOT}`, 'Host vps-*', '  IdentitiesOnly yes', ''].join('\n'),
    );
    writeFileSync(join(tmp, 'hosts.txt'), '# the fleet\nvps-a\nvps-b   # the second\n');
    conn = ['--ssh-config', join(tmp, 'ssh_config'), '--known-hosts', join(tmp, 'known_hosts')];
    // vps-a is prepared, vps-b is not
    const p = cli(['prepare', '--host', 'vps-a', ...conn]);
    assert.equal(p.code, 0, p.stderr);
  });
  after(() => {
    for (const c of sockets) c.destroy();
    server?.close();
    try {
      labDown(envA);
    } finally {
      try {
        labDown(envB);
      } finally {
        cleanupHome();
        if (tmp) rmSync(tmp, { recursive: true, force: true });
      }
    }
  });

  it('verify --all PATTERN: the ssh config\'s matching aliases, a line each; the unprepared one fails, exit 1', () => {
    const r = cli(['verify', '--all', 'vps-*', ...conn]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0], /^HOST +STATE +BOUND +CHECKS +DETAIL$/);
    assert.match(lines[1], /^vps-a +ready +0\/16 +(\d+)\/\1$/);
    assert.match(lines[2], /^vps-b +\d+ problems +0\/16 +\d+\/\d+ +\S/);
    assert.equal(lines[3], '1 of 2 hosts failed');
    assert.equal(lines.length, 4);
  });

  it('--all FILE and --json: the same hosts, each with its exit code', () => {
    const r = cli(['verify', '--all', join(tmp, 'hosts.txt'), '--json', ...conn]);
    assert.equal(r.code, 1, r.stderr);
    const j = JSON.parse(r.stdout) as { ok: boolean; exitCode: number; hosts: Array<{ host: string; exitCode: number; state: string }> };
    assert.equal(j.ok, false);
    assert.deepEqual(j.hosts.map((h) => [h.host, h.exitCode, h.state === 'ready']), [['vps-a', 0, true], ['vps-b', 1, false]]);
  });

  it('--host repeated with a dead host: the live ones are read meanwhile, the dead one is its own line, exit 3', async () => {
    const t0 = Date.now();
    const pending = cliAsync(['status', '--host', 'dead', '--host', 'vps-a', '--host', 'vps-b', ...conn]);
    // the dead host's connection is cut after the live hosts had their time: its line says unreachable
    setTimeout(() => sockets.forEach((c) => c.destroy()), 8000);
    const r = await pending;
    const ms = Date.now() - t0;
    assert.equal(r.code, 3, r.stdout + r.stderr);
    const rows = r.stdout.trim().split('\n');
    assert.match(rows[1], /^dead +unreachable +- +- +\S/);
    assert.match(rows[2], /^vps-a +ready +0\/16 /);
    assert.match(rows[3], /^vps-b +\d+ problems? +0\/16 /);
    assert.equal(rows[4], '2 of 3 hosts failed');
    console.log(`    [info] status on 3 hosts (one dead, cut at 8 s): ${ms} ms`);
  });

  it('a change on several hosts at once is refused with nothing done; --host with --all is refused', () => {
    const p = cli(['prepare', '--host', 'vps-a', '--host', 'vps-b', ...conn]);
    assert.equal(p.code, 2);
    assert.match(p.stderr, /prepare works on one host at a time/);
    const both = cli(['status', '--host', 'vps-a', '--all', 'vps-*', ...conn]);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /give --host or --all, not both/);
    const none = cli(['status', '--all', 'db-*', ...conn]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no Host alias of the ssh config matches/);
    // vps-b is still unprepared
    const v = cli(['verify', '--host', 'vps-b', ...conn]);
    assert.equal(v.code, 1);
  });
});
