// Faults on a real systemd VPS (syslab d26-ra), through the CLI: the SSH connection cut in the middle of an
// assign, the host rebooted in the middle of prepare, dockerd restarted while the agent re-applies. Each: nothing
// is lost, nothing is half applied that a re-run does not heal, and the host converges with no lockout.
// (The cut in the middle of prepare, with its commit-confirmed rollback, is in systemd.lab.test.ts; two clients
// at once in engine.lab.test.ts.)
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Lab, cli, cliAsync, cleanupHome, eventually, lab, labDown, labUp, CliResult } from './labHarness';

const env: NodeJS.ProcessEnv = { LAB_KIND: 'systemd', LAB_PREFIX: process.env.CIV6_TEST_FAULTS_PREFIX ?? 'cv6f', LAB_VARIANT: 'd26-ra', LAB_UPLINK: 'eth0', LAB_GATEWAY: 'fe80::1' };

describe('faults on a systemd VPS (Docker 26, RA default route)', () => {
  let L: Lab;
  let base: string[];
  let pub: string[];
  const run = (...args: string[]): CliResult => cli([...args, ...base]);
  const vps = (...args: string[]) => lab(env, 'vps', ...args);
  const reachable = (name: string, address: string) => lab(env, 'tcp', address, L.LAB_CONTAINER_PORT).stdout.includes(name);
  const green = async (ms: number) => {
    let last: CliResult | undefined;
    const t = await eventually(() => (last = run('verify', '--port', L.LAB_CONTAINER_PORT)).code === 0, ms, 1000);
    assert.ok(t >= 0, `verify not green within ${ms / 1000} s:\n${last?.stdout}`);
  };
  const bindings = () => vps('cat', '/etc/conoha-ipv6/bindings').stdout.trim().split('\n').filter(Boolean);

  before(() => {
    L = labUp(env);
    base = ['--host', `labuser@[${L.LAB_SSH6}]`, '--identity', L.LAB_KEY_USER, '--known-hosts', L.LAB_KNOWN_HOSTS];
    pub = ['--host', `labuser@[${L.LAB_HOST_ADDR}]`, '--identity', L.LAB_KEY_USER, '--known-hosts', join(L.LAB_STATE, 'known_hosts.public'), '--accept-new'];
  });
  after(() => {
    try {
      labDown(env);
    } finally {
      cleanupHome();
    }
  });

  it('the host rebooted in the middle of prepare: the client says so, and prepare run again converges', async () => {
    const p = cliAsync(['prepare', ...base]);
    const armed = await eventually(() => vps('test', '-e', '/run/conoha-ipv6/rollback.armed').status === 0, 20_000, 50);
    assert.ok(armed >= 0, 'prepare never reached its network steps');
    const rb = lab(env, 'reboot');
    assert.equal(rb.status, 0, rb.stdout + rb.stderr);
    const r = await p;
    assert.notEqual(r.code, 0, 'a prepare cut by a reboot does not report success');
    assert.match(r.stderr, /broke during prepare|no new connection|rolled|restores/);
    const again = run('prepare');
    assert.equal(again.code, 0, again.stdout + again.stderr);
    const a = run('assign', 'c1');
    assert.equal(a.code, 0, a.stderr);
    await green(20_000);
  });

  it('the SSH connection cut in the middle of an assign: a re-run heals it, with one binding, reachable', async () => {
    const st = cli(['status', ...pub]);
    assert.equal(st.code, 0, st.stderr);
    vps('rm', '-f', '/run/conoha-ipv6/lock.who');
    const p = cliAsync(['assign', 'c2', ...pub]);
    const locked = await eventually(() => /bind/.test(vps('cat', '/run/conoha-ipv6/lock.who').stdout), 20_000, 30);
    assert.ok(locked >= 0, 'the assign never took the host lock');
    // both directions: the host's output (already on its way) must not reach us either
    for (const a of [L.LAB_HOST_ADDR, L.LAB_CLIENT_ADDR]) assert.equal(lab(env, 'router', 'ip', '-6', 'route', 'add', 'blackhole', `${a}/128`).status, 0);
    let r: CliResult;
    try {
      r = await p;
    } finally {
      for (const a of [L.LAB_HOST_ADDR, L.LAB_CLIENT_ADDR]) assert.equal(lab(env, 'router', 'ip', '-6', 'route', 'del', 'blackhole', `${a}/128`).status, 0);
    }
    assert.notEqual(r.code, 0, 'an assign whose connection broke does not report success');
    assert.ok((await eventually(() => cli(['status', ...pub]).code === 0, 40_000, 1000)) >= 0, 'the public path did not come back');
    const again = run('assign', 'c2');
    assert.equal(again.code, 0, again.stderr);
    const address = again.stdout.trim();
    assert.equal(bindings().filter((l) => l.includes(' c2 ')).length, 1, bindings().join('\n'));
    assert.ok((await eventually(() => reachable('c2', address), 20_000, 500)) >= 0);
    await green(20_000);
  });

  it('dockerd restarted while the agent re-applies a container start: both containers converge', async () => {
    const addrs = bindings().map((l) => l.split(' '));
    assert.equal(lab(env, 'vps', 'sh', '-c', 'docker restart c1 >/dev/null & sleep 0.3; systemctl restart docker; wait').status, 0);
    assert.ok((await eventually(() => addrs.every(([a, n]) => reachable(n, a)), 40_000, 1000)) >= 0, 'not reachable after dockerd restarted mid re-apply');
    await green(20_000);
  });
});
