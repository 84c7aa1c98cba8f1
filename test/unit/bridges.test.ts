// Any bridge network, declared addresses and compose (issue 9): the snapshot's new fields (docker networks, each
// container's networks and labels), the plans and checks made from them, the radvd blocks the agent keeps, and the
// compose snippet. On the lab fixture (a prepared host: c1 bound on docker0), with a compose project added the way
// snapshot.sh reports one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HostSnapshot, parseLabels, parseNetworks, parseSnapshot, bridgeOfAddress } from '../../src/core/snapshot';
import { resolveHostConfig } from '../../src/core/config';
import { planAssign, planHostSetup } from '../../src/core/plan';
import { judgeHost, labelChecks } from '../../src/core/checks';
import { addressRows } from '../../src/core/addressRows';
import { composeGroups, composeSnippet, snippetTarget } from '../../src/core/compose';
import { desiredRadvdConf, managedStanza, parseRadvdConf } from '../../src/core/radvdConf';
import { RefusedError } from '../../src/core/errors';

const fixture = (name: string) => readFileSync(join(__dirname, '../../../test/fixtures', name), 'utf8');
const X = (n: number) => `2001:db8:1301:814:a157:7:235:12${n.toString(16)}`;
const SHOP_ID = '2a7e3945706b7c2c30df7c83caa5e46d7ea93dde1252ff63b1a019e4253d862c';
const HIDDEN_ID = 'b'.repeat(64);

/** the prepared lab host, plus: network shop_default (bridge br-2a7e3945706b) and an internal network "hidden";
 * compose containers shop-web-1 (label auto) and shop-api-1, c2 also on shop_default, c3 running on hidden only */
function withCompose(mutate: (j: Record<string, any>) => void = () => {}): HostSnapshot {
  const j = JSON.parse(fixture('lab-prepared.json'));
  j.docker.networks.push(
    { name: 'shop_default', id: SHOP_ID, driver: 'bridge', internal: false, options: {} },
    { name: 'hidden', id: HIDDEN_ID, driver: 'bridge', internal: true, options: {} },
    { name: 'macv', id: 'c'.repeat(64), driver: 'macvlan', internal: false, options: {} },
  );
  j.links.push({ ifindex: 90, ifname: 'br-2a7e3945706b', flags: ['UP'] }, { ifindex: 91, ifname: 'vethweb', master: 'br-2a7e3945706b', flags: ['UP'], link_index: 2 }, { ifindex: 92, ifname: 'vethapi', master: 'br-2a7e3945706b', flags: ['UP'] }, { ifindex: 93, ifname: 'vethc2b', master: 'br-2a7e3945706b', flags: ['UP'] });
  const c2 = j.docker.containers.find((k: { name: string }) => k.name === '/c2');
  c2.networks.shop_default = {};
  c2.ns.links.push({ ifindex: 50, ifname: 'eth1', link_index: 93 });
  const mk = (name: string, id: string, veth: number, labels: Record<string, string>) => ({
    id: id.repeat(64 / id.length),
    name: `/${name}`,
    state: 'running',
    running: true,
    pid: 4000 + veth,
    restartPolicy: 'always',
    networks: { shop_default: {} },
    labels,
    nsv: `L eth0 2 ${veth};6 2`,
  });
  j.docker.containers.push(
    mk('shop-web-1', 'e', 91, { 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'web', 'conoha-ipv6.address': 'auto' }),
    mk('shop-api-1', 'f', 92, { 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'api' }),
  );
  mutate(j);
  return parseSnapshot(JSON.stringify(j));
}
const installed = (s: HostSnapshot) => ({ agent: '', agentSha256: s.agent.sha256! });

test('docker networks: the bridge as Docker names it (option, else br-<id>), other drivers without one, bad names left out', () => {
  assert.deepEqual(
    parseNetworks([
      { name: 'bridge', id: 'a'.repeat(64), driver: 'bridge', internal: false, options: { 'com.docker.network.bridge.name': 'docker0' } },
      { name: 'shop_default', id: SHOP_ID, driver: 'bridge', internal: false, options: null },
      { name: 'host', id: 'd'.repeat(64), driver: 'host', internal: false, options: {} },
      { name: 'hidden', id: HIDDEN_ID, driver: 'bridge', internal: true, options: {} },
      { name: 'evil;id', id: 'e'.repeat(64), driver: 'bridge', internal: false },
      { name: 'badbr', id: 'f'.repeat(64), driver: 'bridge', internal: false, options: { 'com.docker.network.bridge.name': '$(reboot)' } },
      { name: 'noid', driver: 'bridge' },
      'junk',
    ]),
    [
      { name: 'bridge', id: 'a'.repeat(64), driver: 'bridge', internal: false, bridge: 'docker0' },
      { name: 'shop_default', id: SHOP_ID, driver: 'bridge', internal: false, bridge: 'br-2a7e3945706b' },
      { name: 'host', id: 'd'.repeat(64), driver: 'host', internal: false },
      { name: 'hidden', id: HIDDEN_ID, driver: 'bridge', internal: true, bridge: 'br-bbbbbbbbbbbb' },
      { name: 'badbr', id: 'f'.repeat(64), driver: 'bridge', internal: false },
    ],
  );
});

test('labels: auto or an address (canonical form); anything else kept only as a shown bad value; other labels ignored', () => {
  assert.deepEqual(parseLabels({ 'conoha-ipv6.address': 'auto', 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'web', other: 'x' }), { address: 'auto', project: 'shop', service: 'web' });
  assert.deepEqual(parseLabels({ 'conoha-ipv6.address': '2001:db8::a' }), { address: '2001:db8::a' });
  // the agent compares text: another spelling of an address is refused, with the spelling to use
  assert.deepEqual(parseLabels({ 'conoha-ipv6.address': '2001:DB8:0:0::0A' }), { badAddress: '2001:DB8:0:0::0A', canonical: '2001:db8::a' });
  assert.deepEqual(parseLabels({ 'conoha-ipv6.address': ' auto' }), { badAddress: ' auto' });
  assert.deepEqual(parseLabels({ 'conoha-ipv6.address': '$(reboot)\x1b[2J', 'conoha-ipv6.network': 'n;id', 'com.docker.compose.project': 'a b' }), { badAddress: '$(reboot)\\x1b[2J' });
  assert.deepEqual(parseLabels({ 'conoha-ipv6.address': '2001:db8::/64' }).badAddress, '2001:db8::/64');
  assert.deepEqual(parseLabels(null), {});
});

test("a container's networks: bridge, interface, and why an address cannot go on one", () => {
  const s = withCompose((j) => {
    const c3 = j.docker.containers.find((k: { name: string }) => k.name === '/c3');
    Object.assign(c3, { networks: { hidden: {}, macv: {}, gone: {} } });
  });
  const web = s.docker.containers.find((k) => k.name === 'shop-web-1')!;
  assert.deepEqual(web.attachments, [{ network: 'shop_default', bridge: 'br-2a7e3945706b', ifname: 'eth0' }]);
  assert.deepEqual(web.labels, { address: 'auto', project: 'shop', service: 'web' });
  const c2 = s.docker.containers.find((k) => k.name === 'c2')!;
  assert.deepEqual(c2.attachments.map((a) => [a.network, a.bridge, a.ifname]), [
    ['bridge', 'docker0', 'eth0'],
    ['shop_default', 'br-2a7e3945706b', 'eth1'],
  ]);
  const c3 = s.docker.containers.find((k) => k.name === 'c3')!;
  assert.deepEqual(c3.attachments.map((a) => a.refused && /internal|not a bridge|not listed/.exec(a.refused)?.[0]), ['not listed', 'internal', 'not a bridge']);
});

test('assign on a bridge network: the default (the host bridge, else the first bridge network), the one named, refusals with nothing to run', () => {
  const s = withCompose();
  const c = resolveHostConfig(s);
  const api = planAssign(s, c, installed(s), 'shop-api-1');
  assert.equal(api.network, 'shop_default');
  assert.equal(api.step!.script, `/usr/local/sbin/conoha-ipv6-agent bind 'shop-api-1' '${X(2)}' 'shop_default'`);
  assert.match(api.step!.title, /route it to br-2a7e3945706b \(radvd advertises there too\)/);
  // c2 is on both: the host's bridge by default, shop_default when named
  assert.equal(planAssign(s, c, installed(s), 'c2').network, 'bridge');
  assert.equal(planAssign(s, c, installed(s), 'c2', undefined, 'shop_default').network, 'shop_default');
  assert.throws(() => planAssign(s, c, installed(s), 'c2', undefined, 'nope'), /c2 is not on network nope \(its networks: bridge \(docker0\), shop_default \(br-2a7e3945706b\)\)/);
  assert.throws(() => planAssign(s, c, installed(s), 'c2', undefined, 'a;b'), /not a Docker network name/);
  // a free container on "aa_net" and the default bridge: the host's bridge wins over name order; without it, the first
  const multi = (nets: string[]) =>
    withCompose((j) => {
      j.docker.networks.push({ name: 'aa_net', id: 'a1'.repeat(32), driver: 'bridge', internal: false, options: {} }, { name: 'zz_net', id: 'a2'.repeat(32), driver: 'bridge', internal: false, options: {} });
      j.links.push({ ifindex: 95, ifname: 'br-a1a1a1a1a1a1', flags: ['UP'] }, { ifindex: 96, ifname: 'vm1', master: 'br-a1a1a1a1a1a1', flags: ['UP'] }, { ifindex: 97, ifname: 'vm2', master: 'docker0', flags: ['UP'] });
      j.links.push({ ifindex: 98, ifname: 'br-a2a2a2a2a2a2', flags: ['UP'] }, { ifindex: 99, ifname: 'vm3', master: 'br-a2a2a2a2a2a2', flags: ['UP'] });
      const link: Record<string, number> = { aa_net: 96, bridge: 97, zz_net: 99 };
      j.docker.containers.push({ id: '9'.repeat(64), name: '/multi', state: 'running', running: true, pid: 4321, restartPolicy: '', networks: Object.fromEntries(nets.map((n) => [n, {}])), labels: null, nsv: nets.map((n, i) => `L eth${i} ${10 + i} ${link[n]}`).join(';') + ';6 2' });
    });
  const m1 = multi(['zz_net', 'bridge', 'aa_net']);
  assert.equal(planAssign(m1, c, installed(m1), 'multi').network, 'bridge');
  assert.match(planAssign(m1, c, installed(m1), 'multi', undefined, 'zz_net').step!.title, /on network zz_net: .* add .*\/128 on eth0, route it to br-a2a2a2a2a2a2/);
  const m2 = multi(['zz_net', 'aa_net']);
  assert.equal(planAssign(m2, c, installed(m2), 'multi').network, 'aa_net');
  const internal = withCompose((j) => {
    const c3 = j.docker.containers.find((k: { name: string }) => k.name === '/c3');
    Object.assign(c3, { state: 'running', running: true, pid: 4999, networks: { hidden: {} }, nsv: 'L eth0 2 94;6 2' });
  });
  assert.throws(
    () => planAssign(internal, c, installed(internal), 'c3'),
    (e: unknown) => e instanceof RefusedError && /c3 is on no bridge network an address can go on \(network hidden is internal/.test(e.message),
  );
});

test('a label binding: assign will not move it elsewhere; the tree rows say network, bridge and source; routes follow the binding', () => {
  const s = withCompose((j) => {
    j.files.bindings = Buffer.from(Buffer.from(j.files.bindings, 'base64').toString() + `${X(3)} shop-web-1 ${'e'.repeat(64)} shop_default label\n`).toString('base64');
  });
  const c = resolveHostConfig(s);
  assert.throws(() => planAssign(s, c, installed(s), 'shop-web-1', X(4)), /holds .* from its label conoha-ipv6.address=auto: change the label/);
  const row = addressRows(s, c).find((r) => r.address === X(3))!;
  assert.deepEqual([row.container, row.source, row.network, row.bridge], ['shop-web-1', 'label', 'shop_default', 'br-2a7e3945706b']);
  assert.equal(addressRows(s, c).find((r) => r.address === X(0))!.source, 'assign');
  assert.equal(bridgeOfAddress(s, X(3), 'docker0'), 'br-2a7e3945706b');
  // the route of X(3) goes to the project's bridge (the fixture has it on docker0): prepare plans that, and only that
  const steps = planHostSetup(s, c, installed(s)).steps;
  const routes = steps.find((x) => x.id === 'routes');
  assert.equal(routes?.script, `ip -6 route replace '${X(3)}/128' dev 'br-2a7e3945706b'`);
  const checks = judgeHost(s, c, installed(s));
  assert.equal(checks.find((x) => x.id === `route:${X(3)}`)?.ok, false);
  assert.match(checks.find((x) => x.id === `binding:${X(3)}:network`)!.message, /radvd does not advertise on br-2a7e3945706b/);
  assert.match(checks.find((x) => x.id === 'label:shop-web-1')!.message, /holds .* from its label/);
});

test('label checks: a conflict, an address outside the set, a bad value, assign wins; each refused with the reason', () => {
  const s = withCompose((j) => {
    const set = (name: string, v: string) => (j.docker.containers.find((k: { name: string }) => k.name === name).labels = { 'conoha-ipv6.address': v });
    set('/c1', X(9)); // c1 holds X(0) by assign: assign wins
    set('/shop-api-1', X(0)); // X(0) is c1's
    set('/shop-web-1', '2001:db8::1');
    const db = JSON.parse(JSON.stringify(j.docker.containers.find((k: { name: string }) => k.name === '/shop-api-1')));
    j.docker.containers.push({ ...db, id: 'd'.repeat(64), name: '/shop-db-1', labels: { 'conoha-ipv6.address': 'sometimes' } });
    j.docker.containers.push({ ...db, id: '7'.repeat(64), name: '/shop-cache-1', labels: { 'conoha-ipv6.address': X(5).toUpperCase() } });
  });
  const c = resolveHostConfig(s);
  const by = Object.fromEntries(labelChecks(s, c).map((k) => [k.id, k]));
  assert.equal(by['label:c1'].ok, true);
  assert.match(by['label:c1'].message, /holds .* by assign; its label .* is not used while that binding stays \(assign wins\)/);
  assert.equal(by['label:shop-api-1'].ok, false);
  assert.match(by['label:shop-api-1'].message, /conflicts: .* is bound to c1; refused, nothing changed/);
  assert.match(by['label:shop-web-1'].message, /outside this host's set/);
  assert.match(by['label:shop-db-1'].message, /neither "auto" nor an IPv6 address/);
  assert.match(by['label:shop-cache-1'].message, new RegExp(`not written as the host writes its addresses: write it as "${X(5)}"`));
  assert.equal(by['label:c2'], undefined, 'no label, no check');
  assert.deepEqual(Object.values(by).map((k) => k.ok), [true, false, false, false, false]);
});

test('radvd.conf: prepare keeps the blocks the agent adds for other bridges, last, where the agent puts them', () => {
  const agentBlock = '# BEGIN conoha-ipv6 network br-2a7e3945706b (added by conoha-ipv6-agent while a binding uses it)\ninterface br-2a7e3945706b {\n  AdvSendAdvert on;\n};\n# END conoha-ipv6\n';
  const user = 'interface eth9 {\n  AdvSendAdvert on;\n};\n';
  const text = user + managedStanza('docker0') + agentBlock;
  assert.deepEqual(desiredRadvdConf(text, 'docker0'), { text });
  assert.deepEqual(parseRadvdConf(text).map((i) => [i.name, i.managed]), [['eth9', false], ['docker0', true], ['br-2a7e3945706b', true]]);
  // another bridge setting: our block is replaced, the agent's kept
  assert.equal(desiredRadvdConf(text, 'docker1').text, user + managedStanza('docker1') + agentBlock);
  // no block of ours yet: added before the agent's; the user's own stanza for the bridge: none of ours, the agent's kept
  assert.equal(desiredRadvdConf(user + agentBlock, 'docker0').text, text);
  assert.equal(desiredRadvdConf(text, 'eth9').text, user + agentBlock);
});

test('compose: containers grouped by project; the snippet pins the held address (else auto) and names the networks', () => {
  const s = withCompose((j) => {
    j.files.bindings = Buffer.from(Buffer.from(j.files.bindings, 'base64').toString() + `${X(3)} shop-web-1 ${'e'.repeat(64)} shop_default label\n`).toString('base64');
  });
  const groups = composeGroups(s.docker.containers);
  assert.deepEqual(groups.map((g) => [g.project, g.containers.map((k) => k.name)]), [
    ['shop', ['shop-web-1', 'shop-api-1']],
    [undefined, ['c3', 'c2', 'c1']],
  ]);
  const web = composeSnippet(s, snippetTarget(s, 'web'), 'docker0');
  assert.match(web, new RegExp(`^services:\\n  web:\\n    labels:\\n      conoha-ipv6.address: "${X(3)}"`, 'm'));
  assert.match(web, /^ {4}networks:\n {6}- default\n?$/m);
  assert.doesNotMatch(web, /external/);
  assert.match(composeSnippet(s, snippetTarget(s, 'shop-api-1'), 'docker0'), /conoha-ipv6.address: "auto"/);
  // c2 is on the default bridge and shop_default: it names the network, and says the default bridge cannot be joined
  const c2 = composeSnippet(s, snippetTarget(s, 'c2'), 'docker0');
  assert.match(c2, /conoha-ipv6.network: "bridge"/);
  assert.match(c2, /- shop_default\n/);
  assert.match(c2, /^networks:\n {2}shop_default:\n {4}external: true\n {4}name: "shop_default"$/m);
  // only on the default bridge: network_mode
  assert.match(composeSnippet(s, snippetTarget(s, 'c1'), 'docker0'), /network_mode: bridge/);
  assert.throws(() => snippetTarget(s, 'nothing'), /no container or compose service "nothing"/);
});
