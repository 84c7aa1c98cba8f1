// Docker-native mode's decisions (src/core/nativePlan.ts, nativeChecks.ts) on a snapshot captured from the real lab,
// made to look like a systemd host with Docker 26 or 28, and docker-mode facts built the way nativeFacts.sh prints them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HostSnapshot, parseSnapshot } from '../../src/core/snapshot';
import { resolveHostConfig } from '../../src/core/config';
import { parseAddressList } from '../../src/core/derive';
import { InputError, RefusedError } from '../../src/core/errors';
import {
  NATIVE,
  NativeFacts,
  engineOf,
  nativeConfText,
  nativeSetup,
  parseMode,
  parseNativeConf,
  parseNativeFacts,
  planNativeAssign,
  planNativePrepare,
  planNativeRelease,
  planNativeUnprepare,
  recordedMode,
} from '../../src/core/nativePlan';
import { judgeNative } from '../../src/core/nativeChecks';
import { nativeArtifacts } from '../../src/host/nativeOperations';
import { nativeComposeSnippet } from '../../src/core/compose';

const fixture = (name: string) => readFileSync(join(__dirname, '../../../test/fixtures', name), 'utf8');
const X = (n: number) => `2001:db8:1301:814:a157:7:235:12${n.toString(16)}`;
const PREFIX = `${X(0)}/124`;
const host = (version = '26.1.5+dfsg1'): HostSnapshot => {
  const s = parseSnapshot(fixture('lab-fresh.json'));
  return { ...s, systemd: true, docker: { ...s.docker, version } };
};
const noFacts = (): NativeFacts => ({ unitWanted: false, unitActive: '', endpoints: [] });
const b64 = (t: string) => Buffer.from(t).toString('base64');
/** a facts line as nativeFacts.sh prints it */
const factsLine = (o: { conf?: string; network?: object; containers?: object[]; sha?: string }) =>
  `noise\n{"native":1,"conf":${o.conf === undefined ? 'null' : `"${b64(o.conf)}"`},"previous":null,"agentSha256":${o.sha ? `"${o.sha}"` : 'null'},"unit":null,"unitWanted":false,"unitActive":"${b64('inactive\n')}","network":"${b64(o.network ? JSON.stringify(o.network) : '')}","containers":"${b64((o.containers ?? []).map((c) => JSON.stringify(c)).join('\n'))}"}\n`;
const ourNetwork = (version = 26) => ({
  Id: 'abc',
  Driver: 'bridge',
  EnableIPv6: true,
  IPAM: { Config: [{ Subnet: '172.18.0.0/16' }, { Subnet: PREFIX }] },
  Options: { 'com.docker.network.bridge.name': 'conoha-ipv6', ...(version >= 27 ? { 'com.docker.network.bridge.gateway_mode_ipv6': 'routed' } : {}) },
  Labels: { 'conoha-ipv6.mode': 'docker' },
});

test('the mode setting: radvd or docker, anything else is bad input', () => {
  assert.equal(parseMode('docker'), 'docker');
  assert.equal(parseMode('radvd'), 'radvd');
  assert.throws(() => parseMode('nat', '--mode'), (e) => e instanceof InputError && /is not a mode \(--mode\)/.test(e.message));
});

test('the engine decides the gateway mode: routed from Docker 27, none before; Docker keeps the first two addresses', () => {
  const e26 = engineOf(host('26.1.5+dfsg1'), PREFIX);
  assert.equal(e26.routed, false);
  assert.deepEqual(e26.reserved, [X(0), X(1)]);
  const e28 = engineOf(host('28.5.2+dfsg4'), PREFIX);
  assert.equal(e28.routed, true);
  assert.equal(engineOf(host('27.0.1'), PREFIX).routed, true);
});

test('prepare plans the network after accept_ra=2 and forwarding (Docker turns forwarding on itself), with proxies for all 16', () => {
  const s = host();
  const c = resolveHostConfig(s);
  const p = planNativePrepare(s, noFacts(), c, nativeArtifacts, { rollbackSeconds: 60 });
  const ids = p.steps.map((x) => x.id);
  assert.deepEqual(ids, ['record-previous', 'arm-rollback', 'accept-ra', 'forwarding', 'proxy-ndp', 'sysctl-conf', 'network', 'proxies', 'agent', 'host-conf', 'unit']);
  const net = p.steps.find((x) => x.id === 'network')!;
  assert.match(net.script, new RegExp(`docker 'network' 'create' '--driver' 'bridge' '--ipv6' '--subnet' '${PREFIX}' '-o' 'com.docker.network.bridge.name=conoha-ipv6' '--label' 'conoha-ipv6.mode=docker' 'conoha-ipv6'`));
  assert.doesNotMatch(net.script, /gateway_mode/);
  assert.equal(p.steps.find((x) => x.id === 'proxies')!.script.split('\n').length, 16);
  assert.ok(p.notes.some((n) => /14 of the 16 addresses are for containers/.test(n)));
  const d28 = planNativePrepare(host('28.5.2+dfsg4'), noFacts(), c, nativeArtifacts);
  assert.match(d28.steps.find((x) => x.id === 'network')!.script, /'-o' 'com.docker.network.bridge.gateway_mode_ipv6=routed'/);
  assert.equal(d28.steps.some((x) => x.id === 'arm-rollback'), false, 'no rollback without a second connection');
});

test('prepare is refused, with nothing planned, on a foreign network of our name, a radvd-mode host, no systemd, or a list that is not a /124', () => {
  const s = host();
  const c = resolveHostConfig(s);
  const foreign = parseNativeFacts(factsLine({ network: { ...ourNetwork(), Labels: {} } }));
  assert.throws(() => planNativePrepare(s, foreign, c, nativeArtifacts), (e) => e instanceof RefusedError && /exists that conoha-ipv6 did not create/.test(e.message));
  assert.throws(() => planNativePrepare({ ...s, files: { ...s.files, hostConf: 'x' } }, noFacts(), c, nativeArtifacts), /prepared in radvd mode/);
  assert.throws(() => planNativePrepare({ ...s, systemd: false }, noFacts(), c, nativeArtifacts), /does not run systemd/);
  const list = resolveHostConfig(s, { addresses: parseAddressList(`${X(2)},${X(3)}`) });
  assert.throws(() => planNativePrepare(s, noFacts(), list, nativeArtifacts), /needs the addresses as one \/124/);
  // our own network, wrong (not routed on Docker 28) and with a container on it: recreating it is refused
  const busy = parseNativeFacts(factsLine({ network: ourNetwork(26), containers: [{ name: '/c1', id: 'f'.repeat(64), running: true, ep: { IPAMConfig: { IPv6Address: X(2) }, GlobalIPv6Address: X(2) } }] }));
  assert.throws(() => planNativePrepare(host('28.5.2'), busy, c, nativeArtifacts), /must be recreated \(it is not in routed gateway mode\)/);
});

test('the facts: Docker JSON read leniently, container names validated, native.conf in the one format or refused', () => {
  const f = parseNativeFacts(
    factsLine({
      conf: nativeConfText({ uplink: 'ens3', bridge: 'conoha-ipv6', prefix: PREFIX, addresses: [X(0), X(1)], reserved: [X(0), X(1)], firewall: ['docker-user'], forwardPolicy: 'DROP' }),
      network: ourNetwork(28),
      containers: [
        { name: '/c1', id: 'a'.repeat(64), running: true, ep: { IPAMConfig: { IPv6Address: X(2) }, GlobalIPv6Address: X(2) } },
        { name: '/c2', id: 'b'.repeat(64), running: true, ep: null },
        { name: '/$(reboot)', id: 'c', running: true, ep: { IPAMConfig: { IPv6Address: X(3) } } },
      ],
    }),
  );
  assert.deepEqual(f.conf?.firewall, ['docker-user']);
  assert.deepEqual(f.network?.subnets6, [PREFIX]);
  assert.deepEqual(f.endpoints.map((e) => [e.container, e.fixed]), [['c1', X(2)]]);
  assert.equal(recordedMode(host(), f), 'docker');
  assert.equal(recordedMode(host(), noFacts()), undefined);
  assert.throws(() => parseNativeConf('UPLINK=$(reboot)\n'), /not in the format/);
  assert.throws(() => parseNativeConf('UPLINK=eth0\nBRIDGE=conoha-ipv6\nPREFIX=x\n'), /bad or missing PREFIX/);
  const bad = parseNativeFacts(factsLine({ conf: 'UPLINK=eth0;reboot\n' }));
  assert.match(bad.confError!, /not in the format/);
});

function prepared(version = '28.5.2+dfsg4', endpoints: object[] = []) {
  const s = host(version);
  const c = resolveHostConfig(s);
  const conf = nativeSetup(s, noFacts(), c).conf;
  const f = parseNativeFacts(factsLine({ conf: nativeConfText(conf), network: ourNetwork(28), containers: endpoints, sha: nativeArtifacts.agentSha256 }));
  return { s, c, f };
}

test('assign: the first free address after Docker\'s own, a fixed --ip6; taken, reserved and foreign addresses refused', () => {
  const { s, c, f } = prepared();
  const p = planNativeAssign(s, f, c, nativeArtifacts, 'c1');
  assert.equal(p.address, X(2));
  assert.equal(p.step!.script, `docker network connect --ip6 '${X(2)}' '${NATIVE.network}' 'c1'`);
  assert.throws(() => planNativeAssign(s, f, c, nativeArtifacts, 'c1', X(0)), /Docker's own .*subnet-router anycast/);
  assert.throws(() => planNativeAssign(s, f, c, nativeArtifacts, 'c1', X(1)), /the bridge's gateway/);
  assert.throws(() => planNativeAssign(s, f, c, nativeArtifacts, 'c1', '2001:db8::1'), /is not one of/);
  assert.throws(() => planNativeAssign(s, f, c, nativeArtifacts, 'c1;reboot'), InputError);
  assert.throws(() => planNativeAssign(s, f, c, nativeArtifacts, 'nope'), /there is no container "nope"/);
  const held = prepared('28.5.2', [{ name: '/c2', id: 'b'.repeat(64), running: true, ep: { IPAMConfig: { IPv6Address: X(2) }, GlobalIPv6Address: X(2) } }]);
  assert.throws(() => planNativeAssign(held.s, held.f, held.c, nativeArtifacts, 'c1', X(2)), /already held by c2/);
  assert.equal(planNativeAssign(held.s, held.f, held.c, nativeArtifacts, 'c1').address, X(3));
  const same = planNativeAssign(held.s, held.f, held.c, nativeArtifacts, 'c2');
  assert.equal(same.changes, false);
  const r = planNativeRelease(held.s, held.f, held.c, nativeArtifacts, X(2));
  assert.deepEqual(r.released, [{ address: X(2), container: 'c2' }]);
  assert.equal(r.steps[0].script, `docker network disconnect '${NATIVE.network}' 'c2'`);
  // not prepared in docker mode: refused with what to do
  assert.throws(() => planNativeAssign(s, noFacts(), c, nativeArtifacts, 'c1'), (e) => e instanceof RefusedError && e.actions[0]?.id === 'prepare');
});

test('unprepare: refused while containers are on the network; with releaseAll they are disconnected first, the network removed', () => {
  const { s, c, f } = prepared('28.5.2', [{ name: '/c2', id: 'b'.repeat(64), running: true, ep: { IPAMConfig: { IPv6Address: X(2) } } }]);
  assert.throws(() => planNativeUnprepare(s, f, c), (e) => e instanceof RefusedError && /1 container\(s\) are on conoha-ipv6/.test(e.message));
  const p = planNativeUnprepare(s, f, c, { releaseAll: true });
  const ids = p.steps.map((x) => x.id);
  // (the fixture has no proxy entries and no previous.json: nothing to remove there, the sysctls stay, with a note)
  assert.deepEqual(ids, ['disconnect', 'firewall', 'network', 'files']);
  assert.equal(p.steps[0].script, `docker network disconnect '${NATIVE.network}' 'c2'`);
  assert.ok(p.notes.some((n) => /native-previous.json is missing/.test(n)));
  assert.throws(() => planNativeUnprepare(s, noFacts(), c), /not prepared in docker mode/);
});

test('verify fails when a user\'s packets would not arrive: no network, no proxy entries, a container without its address', () => {
  const { s, c, f } = prepared('28.5.2', [{ name: '/c1', id: 'a'.repeat(64), running: true, ep: { IPAMConfig: { IPv6Address: X(2) }, GlobalIPv6Address: X(2) } }]);
  const checks = judgeNative(s, f, c, nativeArtifacts);
  const byId = (id: string) => checks.find((x) => x.id === id)!;
  assert.equal(byId('forwarding').ok, false, 'the fresh fixture has forwarding off');
  assert.equal(byId(`proxy:${X(2)}`).ok, false);
  assert.equal(byId(`binding:${X(2)}:address`).ok, false, 'c1 in the fixture does not have the address');
  assert.equal(judgeNative(s, { ...f, network: undefined }, c, nativeArtifacts).find((x) => x.id === 'network')!.ok, false);
  assert.equal(byId('network').ok, true);
});

test('verify in docker mode: one label check per running labelled container; refused labels fail naming the container and why', () => {
  const { s, c, f } = prepared('28.5.2', [{ name: '/c1', id: 'a'.repeat(64), running: true, ep: { IPAMConfig: { IPv6Address: X(2) }, GlobalIPv6Address: X(2) } }]);
  const k0 = s.docker.containers.find((k) => k.running)!;
  const k = (name: string, labels: HostSnapshot['docker']['containers'][number]['labels'], running = true) => ({ ...k0, name, id: name.padEnd(64, '0'), running, labels });
  const s2: HostSnapshot = {
    ...s,
    docker: {
      ...s.docker,
      containers: [
        k('c1', { address: X(5) }),
        k('same', { address: X(2) }),
        k('gw', { address: X(1) }),
        k('outside', { address: '2001:db8::1' }),
        k('bad', { badAddress: '"x;reboot"' }),
        k('waiting', { address: 'auto' }),
        k('stopped', { address: X(2) }, false),
      ],
    },
  };
  const checks = judgeNative(s2, f, c, nativeArtifacts);
  const byId = (id: string) => checks.find((x) => x.id === id);
  assert.equal(byId('label:c1')!.ok, true);
  assert.match(byId('label:c1')!.message, /is on conoha-ipv6 with .*assign wins/);
  assert.equal(byId('label:same')!.ok, false);
  assert.match(byId('label:same')!.message, /same's label .* conflicts: .* is held by c1; refused, nothing changed/);
  assert.match(byId('label:gw')!.message, /Docker's own/);
  assert.match(byId('label:outside')!.message, /outside this host's set/);
  assert.match(byId('label:bad')!.message, /neither "auto" nor an IPv6 address/);
  assert.match(byId('label:waiting')!.message, /is not on conoha-ipv6: is conoha-ipv6-native.service running/);
  assert.equal(byId('label:stopped'), undefined);
});

test('compose-snippet in docker mode: the label (held address or auto), or compose\'s networks block with ipv6_address and the external network', () => {
  const s = host();
  const k = { ...s.docker.containers[0], labels: { project: 'shop', service: 'web' } };
  const held = nativeComposeSnippet(k, { network: NATIVE.network, held: X(4) });
  assert.match(held, new RegExp(`conoha-ipv6.address: "${X(4)}"`));
  assert.match(held, new RegExp(`  conoha-ipv6:\\n        ipv6_address: "${X(4)}"\\nnetworks:\\n  conoha-ipv6:\\n    external: true`));
  const fresh = nativeComposeSnippet(k, { network: NATIVE.network, free: X(2) });
  assert.match(fresh, /conoha-ipv6.address: "auto"/);
  assert.match(fresh, new RegExp(`ipv6_address: "${X(2)}"   # a free one now`));
  assert.match(nativeComposeSnippet(k, { network: NATIVE.network }), /every container address is taken/);
});
