// What users vary, on a second lab: root login through a real ssh-agent, uplink eth0 with ConoHa's
// gateway, a host address that does not follow the ConoHa rule (so --addresses is needed), a host that
// already lost its default route (forwarding turned on by hand) and whose docker0 has IPv6 off (newer
// Docker), and docker stopped.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Lab, cli, cleanupHome, lab, labDown, labUp, CliResult } from './labHarness';

const env: NodeJS.ProcessEnv = {
  LAB_PREFIX: process.env.CIV6_TEST_LAB_PREFIX2 ?? 'cv6v',
  LAB_UPLINK: 'eth0',
  LAB_GATEWAY: 'fe80::1052:1',
  LAB_HOST_ADDR: '2001:db8:1301:814:abcd::5',
  LAB_RADVD_EXISTING: '0',
};
const SET = '2001:db8:1301:814:ffff::10/124';

describe('variants: ssh-agent as root, eth0, an address outside the ConoHa rule, a lost default route, IPv6 off on docker0, no docker', () => {
  let L: Lab;
  let tmp: string;
  let agentPid = 0;
  let agentEnv: NodeJS.ProcessEnv;
  const vps = (...args: string[]) => lab(env, 'vps', ...args);
  const run = (...args: string[]): CliResult => cli([...args, '--host', `[${L.LAB_SSH6}]`, '--known-hosts', L.LAB_KNOWN_HOSTS], agentEnv);
  // what we could change; not the bridge's carrier ("linkdown" comes a moment after dockerd stops, as its containers die)
  const state = () => vps('sh', '-c', 'sysctl -n net.ipv6.conf.all.forwarding; ip -6 route; ip -6 neigh show proxy; ls /etc/conoha-ipv6 2>/dev/null').stdout.replace(/expires \d+sec/g, '').replace(/ linkdown/g, '');

  before(() => {
    L = labUp(env);
    tmp = mkdtempSync(join(tmpdir(), 'civ6-agent-'));
    const sock = join(tmp, 'agent.sock');
    const a = spawnSync('ssh-agent', ['-a', sock], { encoding: 'utf8' });
    assert.equal(a.status, 0, a.stderr);
    agentPid = +(/SSH_AGENT_PID=(\d+)/.exec(a.stdout)?.[1] ?? 0);
    agentEnv = { SSH_AUTH_SOCK: sock };
    const add = spawnSync('ssh-add', [L.LAB_KEY_ROOT], { env: { ...process.env, SSH_AUTH_SOCK: sock }, encoding: 'utf8' });
    assert.equal(add.status, 0, add.stderr);
  });
  after(() => {
    try {
      labDown(env);
    } finally {
      if (agentPid > 0) process.kill(agentPid);
      cleanupHome();
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('logs in as root with the key in ssh-agent (no --identity), and reports the misfit address', () => {
    const r = run('status', '--json');
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.snapshot.uid, 0);
    assert.equal(j.snapshot.sudoUser, '');
    assert.equal(j.config, null);
    assert.match(j.configError, /2001:db8:1301:814:abcd::5 does not fit the ConoHa rule.*Name the extra addresses explicitly/);
    assert.match(j.configActions[0].command, /--addresses PREFIX\/124/);
  });

  it('without the agent and a key, authentication fails with advice (exit 3)', () => {
    const r = cli(['status', '--host', `[${L.LAB_SSH6}]`, '--known-hosts', L.LAB_KNOWN_HOSTS]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /--identity/);
  });

  it('prepare refuses the misfit address and changes nothing', () => {
    const before = state();
    const r = run('prepare');
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /does not fit the ConoHa rule/);
    assert.equal(state(), before);
  });

  it('a host whose default route is already lost: refused until told the gateway, then restored', () => {
    // what the 2014 post's readers hit: forwarding on by hand, the RA default route gone
    assert.equal(vps('sysctl', '-qw', 'net.ipv6.conf.all.forwarding=1').status, 0);
    // and IPv6 off on docker0, as newer Docker leaves an IPv4-only bridge
    assert.equal(vps('sysctl', '-qw', 'net.ipv6.conf.docker0.disable_ipv6=1').status, 0);
    assert.equal(vps('ip', '-6', 'route', 'show', 'default').stdout.trim(), '');
    const before = state();
    const r = run('prepare', '--addresses', SET);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /no IPv6 default route.*--interface.*--gateway/s);
    assert.equal(state(), before);
    const ok = run('prepare', '--addresses', SET, '--interface', 'eth0', '--gateway', 'fe80::1052:1');
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /restore the lost default route/);
    assert.match(ok.stdout, /enable IPv6 on docker0/);
    assert.match(vps('ip', '-6', 'route', 'show', 'default').stdout, /default via fe80::1052:1 dev eth0/);
  });

  it('the recorded set is used from then on: assign takes the first of --addresses, the router reaches it', () => {
    const r = run('assign', 'c2');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), '2001:db8:1301:814:ffff::10');
    assert.equal(lab(env, 'ping', '2001:db8:1301:814:ffff::10').status, 0);
    const v = run('verify');
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /\d+ passed, 0 failed/);
  });

  it('a second prepare with the same --addresses changes nothing', () => {
    const r = run('prepare', '--addresses', SET);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /nothing to change/);
  });

  it('docker stopped: assign and prepare refuse with what to do; verify fails and says why', () => {
    assert.equal(lab(env, 'stop-dockerd').status, 0);
    try {
      const before = state();
      const a = run('assign', 'c1');
      assert.equal(a.code, 2, a.stderr);
      assert.match(a.stderr, /docker does not answer.*start it/);
      const p = run('prepare');
      assert.equal(p.code, 2, p.stderr);
      assert.match(p.stderr, /docker does not answer/);
      const v = run('verify', '--json');
      assert.equal(v.code, 1);
      const j = JSON.parse(v.stdout);
      assert.equal(j.ok, false);
      assert.ok(j.checks.some((c: { id: string; ok: boolean; message: string }) => !c.ok && /c2/.test(c.message)), 'the binding of c2 is reported');
      assert.equal(state(), before);
    } finally {
      assert.equal(lab(env, 'start-dockerd').status, 0);
    }
  });

  it('after docker is back, the watcher re-attaches c2 by itself', async () => {
    let ok = false;
    for (let i = 0; i < 40 && !ok; i++) {
      ok = lab(env, 'ping', '2001:db8:1301:814:ffff::10').status === 0;
      if (!ok) await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(ok, 'c2 not reachable again after dockerd came back');
  });
});
