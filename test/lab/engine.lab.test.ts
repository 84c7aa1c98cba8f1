// The engine on a real lab, through the CLI, as a user would: a provider router and a VPS in network
// namespaces, real sshd, real dockerd with busybox containers, real radvd, pings through proxy NDP.
// The user logs in as a non-root user with passwordless sudo, the uplink is ens3 and the gateway a
// link-local other than ConoHa's, so nothing that the host can tell us is hard-coded.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { Lab, cli, cliAsync, cleanupHome, eventually, lab, labDown, labUp, labVpsTransport, CliResult } from './labHarness';
import { prepare } from '../../src/host/operations';

const env: NodeJS.ProcessEnv = {
  LAB_PREFIX: process.env.CIV6_TEST_LAB_PREFIX ?? 'cv6t',
  LAB_UPLINK: 'ens3',
  LAB_GATEWAY: 'fe80::c0:ffee',
};

describe('engine on the lab (CLI over SSH, sudo user, uplink ens3)', () => {
  let L: Lab;
  let host: string;
  let base: string[];
  let addr: string[];
  let tmp: string;
  const ping = (a: string) => lab(env, 'ping', a).status === 0;
  const vps = (...args: string[]) => lab(env, 'vps', ...args);
  const run = (...args: string[]): CliResult => cli([...args, ...base]);
  /** the host state a refusal must leave untouched */
  const fingerprint = () => {
    const r = vps('sh', '-c', 'sysctl -n net.ipv6.conf.all.forwarding; ip -6 route; ip -6 neigh show proxy; cat /etc/conoha-ipv6/bindings /etc/radvd.conf 2>/dev/null; ls /etc/conoha-ipv6 2>/dev/null; for c in c1 c2; do docker exec $c ip -6 addr 2>/dev/null; done');
    return r.stdout.replace(/\s+valid_lft.*|expires \d+sec/g, '');
  };
  const expectRefusal = (r: CliResult, pattern: RegExp) => {
    assert.equal(r.code, 2, `expected exit 2, got ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    assert.match(r.stderr, pattern);
  };

  before(() => {
    L = labUp(env);
    host = `labuser@[${L.LAB_SSH6}]`;
    base = ['--host', host, '--identity', L.LAB_KEY_USER, '--known-hosts', L.LAB_KNOWN_HOSTS];
    const d = cli(['derive', L.LAB_HOST_ADDR, '--json']);
    assert.equal(d.code, 0, d.stderr);
    addr = JSON.parse(d.stdout).addresses;
    tmp = mkdtempSync(join(tmpdir(), 'civ6-lab-'));
  });
  after(() => {
    try {
      labDown(env);
    } finally {
      cleanupHome();
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('status reads the host in one round trip: uplink, gateway and addresses from the host itself', () => {
    const r = run('status', '--json');
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.config.uplink, 'ens3');
    assert.equal(j.config.gateway, 'fe80::c0:ffee');
    assert.equal(j.config.bridge, 'docker0');
    assert.deepEqual(j.config.addresses, addr);
    assert.equal(j.snapshot.uid, 0, 'the script runs as root through sudo');
    assert.equal(j.snapshot.sudoUser, 'labuser');
    assert.deepEqual(j.snapshot.docker.containers.map((c: { name: string }) => c.name).sort(), ['c1', 'c2', 'c3']);
  });

  it('an unknown host key is refused (with its fingerprint) and nothing is recorded; --accept-new records it', () => {
    const kh = join(tmp, 'known_hosts');
    writeFileSync(kh, '');
    const r = cli(['status', '--host', host, '--identity', L.LAB_KEY_USER, '--known-hosts', kh]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /SHA256:[A-Za-z0-9+/]{43}/);
    assert.match(r.stderr, /--accept-new/);
    assert.equal(readFileSync(kh, 'utf8'), '');
    const ok = cli(['status', '--host', host, '--identity', L.LAB_KEY_USER, '--known-hosts', kh, '--accept-new']);
    assert.equal(ok.code, 0, ok.stderr);
    // recorded as OpenSSH finds it (hashed where the ssh config says HashKnownHosts yes, as Debian's does)
    const found = spawnSync('ssh-keygen', ['-F', L.LAB_SSH6, '-f', kh], { encoding: 'utf8' });
    assert.equal(found.status, 0, readFileSync(kh, 'utf8'));
    assert.match(found.stdout, /ssh-ed25519 /);
    assert.equal(readFileSync(kh, 'utf8').trim().split('\n').length, 1);
  });

  it('a changed host key is refused even with --accept-new, and nothing on the host changes', () => {
    const kh = join(tmp, 'known_hosts_changed');
    // the right name with another ed25519 key: what a reinstalled (or impersonated) host looks like
    const other = readFileSync(L.LAB_KEY_USER + '.pub', 'utf8').split(' ').slice(0, 2).join(' ');
    writeFileSync(kh, `${L.LAB_SSH6} ${other}\n`);
    const before = fingerprint();
    const r = cli(['prepare', '--host', host, '--identity', L.LAB_KEY_USER, '--known-hosts', kh, '--accept-new']);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /changed/i);
    assert.match(r.stderr, /ssh-keygen -R/);
    assert.equal(readFileSync(kh, 'utf8'), `${L.LAB_SSH6} ${other}\n`);
    assert.equal(fingerprint(), before);
  });

  it('sudo that wants a password is a clear error, not a hang', () => {
    const r = cli(['status', '--host', `pwuser@[${L.LAB_SSH6}]`, '--identity', L.LAB_KEY_USER, '--known-hosts', L.LAB_KNOWN_HOSTS]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /sudo .*password/);
  });

  it('root login with an encrypted key: the passphrase works, a wrong one is an auth error', () => {
    const args = ['status', '--host', `root@${L.LAB_SSH4}`, '--identity', L.LAB_KEY_ENC, '--known-hosts', L.LAB_KNOWN_HOSTS];
    const ok = cli(args, { CONOHA_IPV6_PASSPHRASE: L.LAB_KEY_ENC_PASSPHRASE });
    assert.equal(ok.code, 0, ok.stderr);
    const bad = cli(args, { CONOHA_IPV6_PASSPHRASE: 'wrong' });
    assert.equal(bad.code, 3, bad.stderr);
    assert.match(bad.stderr, /passphrase/i);
  });

  it('assign before prepare is refused and changes nothing', () => {
    const before = fingerprint();
    expectRefusal(run('assign', 'c1'), /not prepared.*Nothing was changed\.\n  to fix: conoha-ipv6 prepare --host /);
    assert.equal(fingerprint(), before);
  });

  it('prepare --dry-run shows the plan and changes nothing', () => {
    const before = fingerprint();
    const r = run('prepare', '--dry-run');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Plan for .*uplink ens3, gateway fe80::c0:ffee, bridge docker0, 16 addresses/);
    for (const step of ['accept_ra=2', 'forwarding=1', 'proxy_ndp=1', 'radvd', 'route 16', 'answer for 16', 'systemd unit']) assert.match(r.stdout, new RegExp(step), step);
    assert.match(r.stdout, /dry run: nothing was changed/);
    assert.equal(fingerprint(), before);
  });

  it('prepare sets the host up, keeps its default route, keeps other radvd stanzas', () => {
    const r = run('prepare');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.doesNotMatch(r.stdout, /FAIL/);
    const route = vps('ip', '-6', 'route', 'show', 'default');
    assert.match(route.stdout, /default via fe80::c0:ffee dev ens3/);
    assert.equal(vps('sysctl', '-n', 'net.ipv6.conf.all.forwarding').stdout.trim(), '1');
    assert.equal(vps('ip', '-6', 'neigh', 'show', 'proxy').stdout.trim().split('\n').length, 16);
    const conf = readFileSync(join(L.LAB_HOSTFS, 'etc/radvd.conf'), 'utf8');
    assert.match(conf, /interface dmz0 \{ AdvSendAdvert on; AdvDefaultLifetime 0; \};/);
    assert.match(conf, /interface docker0 \{\n  AdvSendAdvert on;\n\};/);
    assert.match(readFileSync(join(L.LAB_HOSTFS, 'etc/sysctl.d/60-conoha-ipv6.conf'), 'utf8'), /net.ipv6.conf.ens3.proxy_ndp = 1/);
    const prev = JSON.parse(readFileSync(join(L.LAB_HOSTFS, 'etc/conoha-ipv6/previous.json'), 'utf8'));
    assert.equal(prev.sysctl['all.forwarding'], 0);
  });

  it('a second prepare changes nothing', () => {
    const before = fingerprint();
    const r = run('prepare');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /nothing to change/);
    assert.equal(fingerprint(), before);
  });

  it('prepare applies what it reads after the user confirmed: an edit made to radvd.conf meanwhile is kept', async () => {
    // our block gone (so the plan rewrites radvd.conf), then someone edits the file while the plan is shown
    const managed = /# BEGIN conoha-ipv6[\s\S]*?# END conoha-ipv6\n?/;
    const conf = vps('cat', '/etc/radvd.conf').stdout;
    assert.match(conf, managed);
    assert.equal(vps('sh', '-c', `printf %s '${conf.replace(managed, '').replace(/'/g, `'\\''`)}' > /etc/radvd.conf`).status, 0);
    const note = '# added by the admin while the plan was shown';
    const r = await prepare(labVpsTransport(env), {}, {
      onPlan: (plan) => {
        assert.ok(plan.steps.some((x) => x.id === 'radvd-conf'));
        assert.equal(vps('sh', '-c', `echo '${note}' >> /etc/radvd.conf`).status, 0);
        return true;
      },
    });
    assert.equal(r.outcome?.ok, true, JSON.stringify(r.outcome?.results));
    const after = vps('cat', '/etc/radvd.conf').stdout;
    assert.ok(after.includes(note), `the edit made meanwhile is kept:\n${after}`);
    assert.match(after, managed);
    // the file it replaced is kept too, besides the original from the first prepare
    const kept = vps('sh', '-c', 'cat "$(ls -1t /etc/conoha-ipv6/backup/radvd.conf.2* | head -n 1)"').stdout;
    assert.equal(kept, conf.replace(managed, '') + note + '\n');
    assert.equal(vps('test', '-f', '/etc/conoha-ipv6/backup/radvd.conf').status, 0);
  });

  it('assign gives c1 and c2 the first free addresses, and is idempotent', () => {
    const a = run('assign', 'c1');
    assert.equal(a.code, 0, a.stderr);
    assert.equal(a.stdout.trim(), addr[0]);
    const b = run('assign', 'c2');
    assert.equal(b.code, 0, b.stderr);
    assert.equal(b.stdout.trim(), addr[1]);
    const again = run('assign', 'c1');
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout.trim(), addr[0]);
    assert.match(again.stderr, /nothing changed/);
  });

  it('verify passes every check, and the provider router reaches both containers', () => {
    const r = run('verify', '--json');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.ok, true);
    const ids = j.checks.map((c: { id: string }) => c.id);
    for (const id of ['forwarding', 'proxy-ndp', 'default-route', 'radvd', `binding:${addr[0]}:default-route`, `binding:${addr[1]}:ping`]) assert.ok(ids.includes(id), id);
    assert.ok(ping(addr[0]), `router -> ${addr[0]}`);
    assert.ok(ping(addr[1]), `router -> ${addr[1]}`);
    assert.ok(!ping(addr[2]), 'a free address does not answer');
  });

  it('bad input is refused with a clear message and changes nothing', () => {
    const before = fingerprint();
    expectRefusal(run('assign', 'c9'), /no container "c9"/);
    expectRefusal(run('assign', 'c3'), /c3 is (created|exited), not running/);
    expectRefusal(run('assign', 'c1', '2001:db8:1301:814:a157:7:235:130'), /not one of .* addresses/);
    expectRefusal(run('assign', 'c2', addr[0]), new RegExp(`${addr[0]} is already bound to c1`));
    expectRefusal(run('assign', 'c1;reboot'), /not a Docker container name/);
    expectRefusal(run('assign', 'c1', '2001:db8::zz'), /not an IPv6 address/);
    expectRefusal(run('release', addr[5]), /not bound/);
    expectRefusal(run('prepare', '--interface', 'eth0;id'), /not a network interface name/);
    expectRefusal(run('prepare', '--addresses', '2001:db8::11/124'), /not aligned/);
    const usage = cli(['assign']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /usage:/);
    assert.equal(fingerprint(), before);
  });

  it('docker restart: the address comes back without any command from us', async () => {
    assert.equal(lab(env, 'restart-container', 'c1').status, 0);
    const ms = await eventually(() => ping(addr[0]), 20_000);
    assert.ok(ms >= 0, `${addr[0]} not reachable 20 s after docker restart c1`);
  });

  it('dockerd restart: both come back', async () => {
    const r = lab(env, 'restart-dockerd');
    assert.equal(r.status, 0, r.stderr);
    assert.ok((await eventually(() => ping(addr[0]) && ping(addr[1]), 30_000)) >= 0, 'not reachable 30 s after a dockerd restart');
  });

  it('reboot: sysctls, routes, proxies, radvd and bindings all come back', async () => {
    const r = lab(env, 'reboot');
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.ok((await eventually(() => ping(addr[0]) && ping(addr[1]), 40_000)) >= 0, 'not reachable 40 s after a reboot');
    const v = run('verify');
    assert.equal(v.code, 0, v.stdout + v.stderr);
  });

  it('release: the address is gone from the container and no longer answers', () => {
    const r = run('release', 'c1');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`released ${addr[0]} from c1`));
    assert.ok(!ping(addr[0]), `${addr[0]} still answers after release`);
    assert.ok(ping(addr[1]), 'c2 is unaffected');
    const v = run('verify', '--json');
    assert.equal(v.code, 0, v.stdout);
    assert.ok(!JSON.parse(v.stdout).checks.some((c: { id: string }) => c.id.startsWith(`binding:${addr[0]}`)));
  });

  it('a container with NET_ADMIN that renames its interface to shell code gets no root on the host (the name is refused, not run)', () => {
    // "$(cd;>z)" is a valid Linux interface name; spliced into shell text run by host root it would create /root/z
    const image = `${env.LAB_PREFIX}/busybox`;
    const evil = vps('docker', 'run', '-d', '--name', 'evil', '--cap-add', 'NET_ADMIN', image, 'sh', '-c', 'ip link set eth0 down && ip link set eth0 name "$(printf \'$(cd;>z)\')" && ip link set dev "$(cd;>z)" up 2>/dev/null; trap "exit 0" TERM; while :; do sleep 1 & wait; done');
    assert.equal(evil.status, 0, evil.stderr);
    try {
      assert.ok(vps('docker', 'exec', 'evil', 'ip', '-o', 'link').stdout.includes('$(cd;>z)'), 'the container renamed its interface');
      const r = run('assign', 'evil');
      assert.notEqual(r.code, 0, 'no address for a container whose interface name is not a name');
      assert.match(r.stderr, /no interface on bridge docker0|not an interface|bad name/);
      // the agent re-attaches at a dockerd restart, a reboot or any start event: nothing of the name ever runs
      assert.equal(vps('sh', '-c', 'ls -a / /root /etc/conoha-ipv6 /run/conoha-ipv6 2>/dev/null | grep -cx z').stdout.trim(), '0');
      assert.doesNotMatch(vps('cat', '/etc/conoha-ipv6/bindings').stdout, /evil/);
    } finally {
      vps('docker', 'rm', '-f', 'evil');
    }
  });

  it('host text never reaches the terminal as control characters, and an odd interface name does not break the snapshot', () => {
    // the host's own files are host text too: a binding whose container name carries escape sequences makes the
    // bindings file one that conoha-ipv6 did not write: it is refused as a whole, and the line shown escaped
    const bindings = vps('cat', '/etc/conoha-ipv6/bindings').stdout;
    assert.equal(vps('sh', '-c', `printf '${addr[9]} evil\\033[2J\\033]0;pwned\\007\\n' >> /etc/conoha-ipv6/bindings`).status, 0);
    assert.equal(vps('ip', 'link', 'add', 'x"y', 'type', 'veth', 'peer', 'name', 'x"z').status, 0);
    try {
      const r = run('status');
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stdout + r.stderr, /[\x00-\x08\x0b-\x1f\x7f]/, 'no raw control character');
      assert.match(r.stdout, /recorded state: \/etc\/conoha-ipv6\/bindings line \d+ \(".* evil\\u001b\[2J\\u001b\]0;pwned\\u0007"\) is not in the format conoha-ipv6 writes/);
      const v = run('verify');
      assert.equal(v.code, 1);
      assert.match(v.stdout + v.stderr, /bindings line \d+ .* is not in the format conoha-ipv6 writes: correct or remove that line by hand/);
      const j = run('status', '--json');
      assert.equal(j.code, 0, j.stderr);
      assert.ok(JSON.parse(j.stdout).snapshot.links.some((l: { name: string }) => l.name === 'x"y'));
    } finally {
      vps('ip', 'link', 'del', 'x"y');
      assert.equal(vps('sh', '-c', `printf %s '${bindings}' > /etc/conoha-ipv6/bindings`).status, 0);
    }
  });

  it('a stale watcher pid that now belongs to another process is neither trusted nor killed', () => {
    assert.equal(vps('/usr/local/sbin/conoha-ipv6-agent', 'stop-watch').status, 0);
    // the pid of the VPS's sshd, as if the watcher had died and its pid been reused
    const sshd = vps('sh', '-c', 'cat /run/sshd.pid 2>/dev/null || pgrep -o -x sshd').stdout.trim();
    assert.match(sshd, /^\d+$/);
    assert.equal(vps('sh', '-c', `mkdir -p /run/conoha-ipv6 && echo ${sshd} > /run/conoha-ipv6/watch.pid`).status, 0);
    const p = run('prepare');
    assert.equal(p.code, 0, p.stdout + p.stderr);
    assert.match(p.stdout, /start the watcher/);
    assert.equal(vps('kill', '-0', sshd).status, 0, 'sshd is alive');
    assert.equal(run('verify').code, 0);
  });

  it('a released address stays free after a container restart', async () => {
    assert.equal(lab(env, 'restart-container', 'c1').status, 0);
    await new Promise((r) => setTimeout(r, 2000));
    assert.ok(!ping(addr[0]));
  });

  it('two clients at once: one address goes to exactly one container, and a release beside an assign loses nothing', async () => {
    const both = await Promise.all([cliAsync(['assign', 'c1', addr[5], ...base]), cliAsync(['assign', 'c2', addr[5], ...base])]);
    const codes = both.map((r) => r.code).sort();
    assert.deepEqual(codes, [0, 2], both.map((r) => r.stdout + r.stderr).join('\n'));
    assert.match(both.find((r) => r.code === 2)!.stderr, /already bound to c[12]/);
    const lines = () => vps('cat', '/etc/conoha-ipv6/bindings').stdout.trim().split('\n').filter(Boolean);
    assert.equal(lines().filter((l) => l.startsWith(addr[5] + ' ')).length, 1);
    const winner = both[0].code === 0 ? 'c1' : 'c2';
    const other = winner === 'c1' ? 'c2' : 'c1';
    // unbind rewrites the file while bind appends to it: under the host lock neither is lost
    const [rel, asg] = await Promise.all([cliAsync(['release', addr[5], ...base]), cliAsync(['assign', other, addr[6], ...base])]);
    assert.equal(rel.code, 0, rel.stderr);
    assert.equal(asg.code, 0, asg.stderr);
    assert.deepEqual(lines().map((l) => l.split(' ').slice(0, 2).join(' ')).filter((l) => l.startsWith(addr[5]) || l.startsWith(addr[6])), [`${addr[6]} ${other}`]);
    assert.equal(run('release', other).code, 0);
  });
});

