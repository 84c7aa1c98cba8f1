// The core's decisions on snapshots captured from the real lab (test/fixtures/capture.ts):
// a fresh VPS, and the same VPS after prepare + assign c1 + assign c2 (taken with pings).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSnapshot, sysctl, defaultRoutes, linkLocalOf, findContainer, holderOf, containersWithoutAddress } from '../../src/core/snapshot';
import { resolveHostConfig, RefusedError } from '../../src/core/config';
import { planHostSetup, planAssign, planRelease, hostConfText, hostSetup } from '../../src/core/plan';
import { judgeHost } from '../../src/core/checks';
import { parseAddressList } from '../../src/core/derive';
import { artifacts, applyScript, parseStepResults } from '../../src/host/scripts';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';

const fixture = (name: string) => readFileSync(join(__dirname, '../../../test/fixtures', name), 'utf8');
const fresh = () => parseSnapshot(fixture('lab-fresh.json'));
const prepared = () => parseSnapshot(fixture('lab-prepared.json'));
// the agent installed on the captured host: planner and checks compare against it (the agent in src/ may be newer)
const installed = { agent: '', agentSha256: prepared().agent.sha256! };
const X = (n: number) => `2001:db8:1301:814:a157:7:235:12${n.toString(16)}`;

test('parses the fresh lab VPS: uplink, sysctls, RA default route, containers and their namespaces', () => {
  const s = fresh();
  assert.equal(s.uid, 0);
  assert.equal(s.osId, 'debian');
  assert.equal(s.systemd, false);
  assert.equal(sysctl(s, 'all', 'forwarding'), 0);
  assert.equal(sysctl(s, 'ens3', 'accept_ra'), 1);
  assert.deepEqual(defaultRoutes(s).map((r) => [r.dev, r.gateway, r.protocol]), [['ens3', 'fe80::1052:1', 'ra']]);
  assert.ok(linkLocalOf(s, 'docker0')?.startsWith('fe80::'));
  assert.equal(s.docker.ok, true);
  const c1 = findContainer(s, 'c1')!;
  assert.equal(c1.running, true);
  assert.equal(c1.bridgeInterface, 'eth0');
  assert.equal(c1.bridgeOf, 'docker0');
  assert.equal(c1.ipv6Disabled, true, 'modern Docker starts containers with IPv6 disabled');
  assert.equal(findContainer(s, 'c2')!.ipv6Disabled, false);
  assert.equal(findContainer(s, 'c3')!.running, false);
  assert.ok(findContainer(s, c1.id.slice(0, 12)), 'found by short id');
  assert.equal(s.recorded, undefined);
  assert.deepEqual(s.radvd.interfaces.map((i) => i.name), ['dmz0']);
});

test('config comes from the host: uplink and gateway from the default route, addresses by the ConoHa rule', () => {
  const c = resolveHostConfig(fresh());
  assert.equal(c.uplink, 'ens3');
  assert.equal(c.gateway, 'fe80::1052:1');
  assert.equal(c.bridge, 'docker0');
  assert.equal(c.addressSource, 'conoha-rule');
  assert.equal(c.prefix, `${X(0)}/124`);
  const o = resolveHostConfig(fresh(), { addresses: parseAddressList('2001:db8:1301:814:ffff::10/124'), gateway: 'fe80::1' });
  assert.equal(o.addresses[0], '2001:db8:1301:814:ffff::10');
  assert.equal(o.gateway, 'fe80::1');
  assert.throws(() => resolveHostConfig(fresh(), { interface: 'eth9' }), /eth9 does not exist/);
});

test('a host without IPv6 is refused with what to check', () => {
  const s = fresh();
  s.routes = s.routes.filter((r) => r.dst !== 'default');
  assert.throws(() => resolveHostConfig(s), (e: Error) => e instanceof RefusedError && /no IPv6 default route/.test(e.message));
  const t = fresh();
  t.addresses = t.addresses.filter((a) => a.scope !== 'global');
  assert.throws(() => resolveHostConfig(t), /has no global IPv6 address/);
});

test('plan for a fresh host: state recorded first, accept_ra before forwarding, everything once', () => {
  const s = fresh();
  const plan = planHostSetup(s, resolveHostConfig(s), artifacts);
  const ids = plan.steps.map((x) => x.id);
  assert.deepEqual(ids, ['record-previous', 'accept-ra', 'forwarding', 'proxy-ndp', 'sysctl-conf', 'radvd-conf', 'radvd-start', 'routes', 'proxies', 'agent', 'host-conf', 'unit', 'watcher']);
  const fwd = plan.steps.find((x) => x.id === 'forwarding')!;
  assert.match(fwd.script, /ip -6 route add default via 'fe80::1052:1' dev 'ens3' metric 2048/);
  assert.equal(plan.steps.find((x) => x.id === 'routes')!.script.split('\n').length, 16);
  assert.match(plan.notes.join(' '), /not running systemd/);
});

test('plan for the prepared host is empty (prepare is idempotent)', () => {
  const s = prepared();
  const c = resolveHostConfig(s);
  assert.equal(c.addressSource, 'recorded');
  assert.deepEqual(planHostSetup(s, c, installed).steps, []);
  assert.equal(s.files.hostConf, hostConfText(c, hostSetup(s, c)));
});

test('prepare refuses a host without docker or bridge, changing nothing', () => {
  const s = fresh();
  s.docker.ok = false;
  s.docker.error = 'Cannot connect to the Docker daemon';
  s.links = s.links.filter((l) => l.name !== 'docker0');
  assert.throws(() => planHostSetup(s, resolveHostConfig(s), installed), (e: unknown) => {
    assert.ok(e instanceof RefusedError && /docker does not answer/.test(e.message) && /bridge docker0 does not exist/.test(e.message) && e.actions.some((x) => x.id === 'set-host-setting' && x.setting === 'bridge'));
    assert.equal(e.changed, 'nothing');
    assert.equal(e.exitCode, 2);
    return true;
  });
});

test('checks on the prepared host all pass; each failure names its fix', () => {
  const s = prepared();
  const c = resolveHostConfig(s);
  const checks = judgeHost(s, c, installed);
  assert.deepEqual(checks.filter((x) => !x.ok), []);
  const ids = checks.map((x) => x.id);
  for (const id of ['forwarding', 'proxy-ndp', 'accept-ra', 'default-route', 'bridge', 'radvd', 'persistence', `route:${X(15)}`, `proxy:${X(15)}`, `binding:${X(0)}:address`, `binding:${X(0)}:default-route`, `binding:${X(1)}:ping`]) {
    assert.ok(ids.includes(id), id);
  }
  const broken = prepared();
  broken.sysctl['all.forwarding'] = 0;
  broken.routes = broken.routes.filter((r) => r.dst !== 'default' && r.dst !== X(3));
  broken.pings[0].ok = false;
  const bad = judgeHost(broken, c, installed).filter((x) => !x.ok);
  assert.deepEqual(bad.map((x) => x.id).sort(), ['default-route', 'forwarding', `route:${X(3)}`, `binding:${broken.pings[0].address}:ping`].sort());
  assert.match(bad.find((x) => x.id === 'default-route')!.message, /ip -6 route add default via fe80::1052:1 dev ens3/);
});

test('checks on the fresh host fail with the prepare action, in words for any UI', () => {
  const s = fresh();
  const failed = judgeHost(s, resolveHostConfig(s), installed).filter((x) => !x.ok);
  assert.ok(failed.length > 30);
  assert.ok(failed.every((x) => x.message.length > 10));
  assert.deepEqual(failed.find((x) => x.id === 'forwarding')!.fix, { id: 'prepare' });
  // no command lines or flags in core's words: the CLI and VS Code render the fix their own way
  for (const x of failed) assert.doesNotMatch(x.message, /conoha-ipv6 (prepare|assign|release)|--[a-z]/, x.id);
  // structured scope: every per-address check names its address, and nothing parses ids
  for (const x of failed.filter((k) => k.id.startsWith('route:'))) assert.ok(x.scope === 'address' && x.kind === 'route' && x.id === `route:${x.address}`);
});

test('assign: first free address, the held one again, or a refusal that says why', () => {
  const s = prepared();
  const c = resolveHostConfig(s);
  assert.equal(planAssign(s, c, installed, 'c1').changes, false);
  assert.equal(planAssign(s, c, installed, 'c1').address, X(0));
  assert.throws(() => planAssign(s, c, installed, 'c2', X(0)), /already bound to c1/);
  assert.throws(() => planAssign(s, c, installed, 'c3'), /not running/);
  assert.throws(() => planAssign(s, c, installed, 'nope'), /no container "nope"/);
  assert.throws(() => planAssign(s, c, installed, 'c1', '2001:db8::1'), /not one of/);
  const extra = planAssign(s, c, installed, 'c1', X(5));
  assert.equal(extra.changes, true);
  assert.equal(extra.step!.script, `/usr/local/sbin/conoha-ipv6-agent bind 'c1' '${X(5)}' 'bridge'`);
  assert.throws(() => planAssign(fresh(), resolveHostConfig(fresh()), installed, 'c1'), /not prepared/);
  const old = prepared();
  old.agent.sha256 = 'f'.repeat(64);
  assert.throws(() => planAssign(old, c, installed, 'c1'), /older conoha-ipv6 agent/);
});

test('release by address or by container', () => {
  const s = prepared();
  const c = resolveHostConfig(s);
  const c2 = findContainer(s, 'c2')!;
  assert.deepEqual(planRelease(s, c, installed, X(1)).bindings, [{ address: X(1), container: 'c2', id: c2.id }]);
  assert.deepEqual(planRelease(s, c, installed, 'c1').bindings.map((b) => b.address), [X(0)]);
  assert.throws(() => planRelease(s, c, installed, X(9)), /not bound/);
  assert.throws(() => planRelease(s, c, installed, 'c3'), /holds no address/);
});

test('a newer agent in this release means prepare updates it (and restarts the watcher)', () => {
  const s = prepared();
  assert.notEqual(artifacts.agentSha256, '');
  const plan = planHostSetup(s, resolveHostConfig(s), { agent: '#!/bin/bash\n', agentSha256: '0'.repeat(64) });
  assert.deepEqual(plan.steps.map((x) => x.id), ['agent', 'watcher']);
});

test('snapshot parsing rejects garbage with the host output in the message', () => {
  assert.throws(() => parseSnapshot('bash: ip: command not found\n'), /did not return a snapshot.*command not found/s);
  assert.throws(() => parseSnapshot('{"v":2,'), /not valid JSON/);
});

test('apply script: steps run in order, stop at the first failure, report each', () => {
  const script = applyScript([
    { id: 'one', title: '', script: "echo 'it''s one'" },
    { id: 'two', title: '', script: 'false\necho never' },
    { id: 'three', title: '', script: 'echo three' },
  ]);
  // run only the apply part locally (the snapshot at the end needs a host; cut it off)
  const out = execFileSync('bash', ['-c', script.replace(/echo CIV6-SNAPSHOT\nciv6_snapshot\n\}\n$/, '}\n')], { encoding: 'utf8' });
  const r = parseStepResults(out);
  assert.deepEqual(r.map((x) => [x.id, x.rc]), [['one', 0], ['two', 1], ['three', null]]);
  assert.equal(r[0].output, "its one");
  assert.equal(r[1].output, '', 'set -e stopped the step before "echo never"');
});


test('radvd: installed with apt when missing, refused without apt; enabled at boot on systemd hosts', () => {
  const s = fresh();
  s.tools.radvd = false;
  const ids = planHostSetup(s, resolveHostConfig(s), artifacts).steps.map((x) => x.id);
  assert.ok(ids.indexOf('radvd-install') >= 0 && ids.indexOf('radvd-install') < ids.indexOf('radvd-conf'), ids.join());
  s.tools.apt = false;
  assert.throws(() => planHostSetup(s, resolveHostConfig(s), artifacts), /radvd is not installed and this host has no apt-get/);

  const p = prepared();
  p.systemd = true;
  p.agent.unitActive = 'active';
  p.radvd.enabled = 'disabled';
  const steps = planHostSetup(p, resolveHostConfig(p), installed).steps;
  assert.deepEqual(steps.map((x) => [x.id, x.script]), [['radvd-enable', 'systemctl enable radvd']]);
  assert.match(judgeHost(p, resolveHostConfig(p), installed).find((c) => c.id === 'radvd')!.message, /not enabled at boot/);
});

test('holders of addresses and containers without one, as the CLI, the tree and assign see them', () => {
  const s = prepared();
  const c = resolveHostConfig(s);
  assert.deepEqual(holderOf(s, X(0)), { container: 'c1', recorded: true });
  assert.equal(holderOf(s, X(7)), undefined);
  assert.deepEqual(containersWithoutAddress(s, c.addresses), []);
  // an address found in a container but not recorded still counts as held: assign will not hand it out
  s.bindings = s.bindings.filter((b) => b.address !== X(1));
  assert.deepEqual(holderOf(s, X(1)), { container: 'c2', recorded: false });
  assert.deepEqual(containersWithoutAddress(s, c.addresses), []);
  assert.throws(() => planAssign(s, c, installed, 'c1', X(1)), /already bound to c2/);
  assert.deepEqual(containersWithoutAddress(fresh(), c.addresses).map((k) => k.name).sort(), ['c1', 'c2']);
});

test('a script cut short by a dropped connection runs nothing at all (not its first half)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'civ6-cut-'));
  try {
    const script = applyScript([
      { id: 'one', title: '', script: `touch ${dir}/one` },
      { id: 'two', title: '', script: `touch ${dir}/two` },
    ]).replace(/echo CIV6-SNAPSHOT\nciv6_snapshot\n\}\n$/, '}\n');
    const cuts = [...new Set([...Array(60).keys()].map((i) => Math.floor(((i + 1) * (script.length - 1)) / 61)).concat([script.indexOf('touch'), script.lastIndexOf('touch') + 5, script.length - 2]))];
    for (const cut of cuts) {
      // bash -s reads the script from stdin as a dropped SSH channel would deliver it: a prefix, then EOF
      spawnSync('bash', ['-s'], { input: script.slice(0, cut), encoding: 'utf8' });
      assert.deepEqual(readdirSync(dir), [], `cut at ${cut} of ${script.length} ran part of the script`);
    }
    const whole = spawnSync('bash', ['-s'], { input: script, encoding: 'utf8' });
    assert.equal(whole.status, 0, whole.stderr);
    assert.deepEqual(readdirSync(dir).sort(), ['one', 'two']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
