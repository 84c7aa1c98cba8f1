// The core on what 2026 hosts look like, on the lab's captured snapshots with the parts that differ put in
// from real dumps (test/fixtures/firewall/): Docker 28 and Docker 26 with ip6tables (FORWARD policy DROP),
// ufw, a static default route from systemd-networkd, bindings that outlive a rename or a removal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSnapshot, HostSnapshot, routeSource } from '../../src/core/snapshot';
import { resolveHostConfig } from '../../src/core/config';
import { RefusedError } from '../../src/core/errors';
import { parseAddressList } from '../../src/core/derive';
import { planHostSetup, networkdDropInPath, sysctlConfText } from '../../src/core/plan';
import { planFirewall, judgePath } from '../../src/core/firewallPlan';
import { judgeHost } from '../../src/core/checks';
import { artifacts } from '../../src/host/scripts';

const dir = join(__dirname, '../../../test/fixtures');
const fixture = (name: string) => readFileSync(join(dir, name), 'utf8');
const fresh = () => parseSnapshot(fixture('lab-fresh.json'));
const prepared = () => parseSnapshot(fixture('lab-prepared.json'));
const installed = { agent: '', agentSha256: prepared().agent.sha256! };
const X = (n: number) => `2001:db8:1301:814:a157:7:235:12${n.toString(16)}`;
const PREFIX = `${X(0)}/124`;

/** the lab's snapshot with another host's ip6tables-save (the uplink in the dumps is eth0: renamed to ens3) */
function withRules(s: HostSnapshot, file: string, ufw = false): HostSnapshot {
  s.netfilter = { ip6tablesSave: fixture(`firewall/${file}`).replace(/\beth0\b/g, 'ens3'), ufwEnabled: ufw };
  return s;
}

/** the rules `conoha-ipv6-agent firewall` inserts, as ip6tables-save prints them */
function withOurRules(s: HostSnapshot, chain: string): HostSnapshot {
  const ours = [`-A ${chain} -d ${PREFIX} -o docker0 -m comment --comment conoha-ipv6 -j ACCEPT`, `-A ${chain} -s ${PREFIX} -i docker0 -m comment --comment conoha-ipv6 -j ACCEPT`];
  const save = s.netfilter.ip6tablesSave!;
  const at = save.indexOf(`-A ${chain} `) >= 0 ? save.indexOf(`-A ${chain} `) : save.indexOf('COMMIT', save.indexOf('*filter'));
  s.netfilter.ip6tablesSave = save.slice(0, at) + ours.join('\n') + '\n' + save.slice(at);
  return s;
}

test('no firewall (the lab, Docker 20.10): nothing to plan, the firewall check passes', () => {
  const s = prepared();
  const c = resolveHostConfig(s);
  const fw = planFirewall(s, c);
  assert.deepEqual([fw.mechanisms, fw.needed, fw.allow], [[], false, [PREFIX]]);
  assert.equal(judgeHost(s, c, installed).find((x) => x.id === 'firewall')!.ok, true);
});

test('Docker 28 with an IPv6 network: FORWARD policy DROP is named; the plan puts allow rules in DOCKER-USER; with them the path is open', () => {
  const s = withRules(prepared(), 'd28-v6net-ip6tables-save.txt');
  const c = resolveHostConfig(s);
  const check = judgeHost(s, c, installed, { port: 8080 }).find((x) => x.id === 'firewall')!;
  assert.equal(check.ok, false);
  assert.match(check.message, /inbound \(to 2001:db8:1301:814:a157:7:235:120 port 8080\) TCP is dropped by .*FORWARD.*DROP/);
  const fw = planFirewall(s, c);
  assert.deepEqual(fw.mechanisms, ['docker-user']);
  assert.equal(fw.needed, true);
  const steps = planHostSetup(s, c, installed).steps;
  // host.conf records where the rules go (the watcher re-reads it), then the agent puts them there
  assert.deepEqual(steps.map((x) => x.id), ['host-conf', 'firewall', 'watcher']);
  assert.equal(steps[1].script, '/usr/local/sbin/conoha-ipv6-agent firewall');
  assert.match(steps[0].script, /civ6_write/);
  const fixed = withOurRules(s, 'DOCKER-USER');
  assert.equal(judgePath(fixed, c, X(0), 8080).ok, true);
  assert.equal(planFirewall(fixed, c).needed, false);
});

test('Docker 28 with nothing dropping yet: DOCKER-USER gets the rules anyway (Docker turns the policy to DROP at its first IPv6 network)', () => {
  const s = withRules(prepared(), 'd28-default-ip6tables-save.txt');
  const c = resolveHostConfig(s);
  assert.equal(judgeHost(s, c, installed).find((x) => x.id === 'firewall')!.ok, true);
  const fw = planFirewall(s, c);
  assert.deepEqual([fw.mechanisms, fw.needed], [['docker-user'], true]);
});

test('Docker 26 with "ip6tables": true: DROP policy named, DOCKER-USER planned', () => {
  const s = withRules(prepared(), 'd26-ip6tables-on-v6net-ip6tables-save.txt');
  const c = resolveHostConfig(s);
  assert.match(judgeHost(s, c, installed).find((x) => x.id === 'firewall')!.message, /DROP/);
  assert.deepEqual(planFirewall(s, c).mechanisms, ['docker-user']);
  assert.equal(judgePath(withOurRules(s, 'DOCKER-USER'), c, X(3)).ok, true);
});

test('ufw with its defaults: TCP dropped (ICMPv6 would pass), the plan uses ufw route rules', () => {
  const s = withRules(prepared(), 'ufw-default-ip6tables-save.txt', true);
  const c = resolveHostConfig(s);
  const check = judgeHost(s, c, installed).find((x) => x.id === 'firewall')!;
  assert.equal(check.ok, false);
  assert.match(check.message, /dropped by ip6tables filter FORWARD policy DROP.*ufw is active/);
  const fw = planFirewall(s, c);
  assert.deepEqual([fw.mechanisms, fw.needed], [['ufw'], true]);
  // ufw installed but disabled in /etc/ufw/ufw.conf while its chains linger: not ours to drive through ufw
  const off = withRules(prepared(), 'ufw-default-ip6tables-save.txt', false);
  assert.deepEqual(planFirewall(off, c).mechanisms, ['forward']);
});

test('a static default route (systemd-networkd): accept_ra is left alone, networkd gets a drop-in, verify does not judge accept_ra', () => {
  const s = fresh();
  const up = s.links.find((l) => l.name === 'ens3')!;
  for (const r of s.routes) if (r.dst === 'default') r.protocol = 'static';
  s.sysctl['ens3.accept_ra'] = 0;
  s.networkd = [{ dev: up.name, networkFile: '/etc/systemd/network/10-ens3.network' }];
  const c = resolveHostConfig(s);
  assert.equal(routeSource(s, 'ens3'), 'static');
  const plan = planHostSetup(s, c, artifacts);
  const ids = plan.steps.map((x) => x.id);
  assert.ok(!ids.includes('accept-ra'), ids.join());
  const dropIn = plan.steps.find((x) => x.id === 'networkd')!;
  assert.match(dropIn.title, /\/etc\/systemd\/network\/10-ens3\.network\.d\/60-conoha-ipv6\.conf/);
  const text = Buffer.from(/'([A-Za-z0-9+/=]+)'$/.exec(dropIn.script)![1], 'base64').toString();
  assert.match(text, /^IPv6ProxyNDP=yes$/m);
  assert.equal(text.match(/^IPv6ProxyNDPAddress=/gm)!.length, 16);
  assert.doesNotMatch(text, /IPv6AcceptRA/);
  assert.doesNotMatch(sysctlConfText(c, false), /accept_ra/);
  const checks = judgeHost(s, c, artifacts);
  assert.equal(checks.find((x) => x.id === 'accept-ra'), undefined);
  assert.equal(checks.find((x) => x.id === 'networkd')!.ok, false);
  // once recorded, a lost static route is still judged static
  s.routes = s.routes.filter((r) => r.dst !== 'default');
  assert.equal(routeSource(s, 'ens3'), 'ra', 'a lost route with nothing recorded: the RA trap');
  s.recorded = { addresses: [], allow: [], firewall: [], route: 'static' };
  assert.equal(routeSource(s, 'ens3'), 'static');
});

test('networkd drop-ins go only where a .network file may live; a hostile path is not written', () => {
  assert.equal(networkdDropInPath('/usr/lib/systemd/network/89-ethernet.network'), '/etc/systemd/network/89-ethernet.network.d/60-conoha-ipv6.conf');
  for (const bad of ['/etc/systemd/network/../../shadow.network', '/tmp/x.network', '/etc/systemd/network/a b.network', "/etc/systemd/network/$(id).network", '']) {
    assert.equal(networkdDropInPath(bad), undefined, bad);
  }
});

test('sysctl.d names a VLAN uplink with "/" (eth0.100 is net.ipv6.conf.eth0/100)', () => {
  const c = { ...resolveHostConfig(fresh()), uplink: 'eth0.100' };
  assert.match(sysctlConfText(c, true), /^net\.ipv6\.conf\.eth0\/100\.accept_ra = 2$/m);
  assert.match(sysctlConfText(c, true), /^net\.ipv6\.conf\.eth0\/100\.proxy_ndp = 1$/m);
});

test('a binding whose container was renamed or removed is named by verify, never silently dropped', () => {
  const s = prepared();
  const c = resolveHostConfig(s);
  const c1 = s.docker.containers.find((k) => k.name === 'c1')!;
  c1.name = 'web';
  const renamed = judgeHost(s, c, installed).find((x) => x.id === `binding:${X(0)}:container`)!;
  assert.equal(renamed.ok, false);
  assert.match(renamed.message, /c1 \(holding .*\) was renamed to web/);
  s.docker.containers = s.docker.containers.filter((k) => k !== c1);
  assert.match(judgeHost(s, c, installed).find((x) => x.id === `binding:${X(0)}:container`)!.message, /c1 .* no longer exists \(removed; id [0-9a-f]{12}\): release/);
});

test('outbound probes from the containers become checks that say what to look at', () => {
  const s = prepared();
  const c = resolveHostConfig(s);
  s.probes = [
    { address: X(0), ok: true, output: '' },
    { address: X(1), ok: false, output: 'bash: connect: Network is unreachable' },
  ];
  const checks = judgeHost(s, c, installed);
  assert.equal(checks.find((x) => x.id === `binding:${X(0)}:outbound`)!.ok, true);
  const bad = checks.find((x) => x.id === `binding:${X(1)}:outbound`)!;
  assert.equal(bad.ok, false);
  assert.match(bad.message, /Network is unreachable.*firewall/);
});

test('prepare with --interface naming another device than the RA default route\'s is refused before anything changes', () => {
  const s = fresh();
  assert.ok(s.links.some((l) => l.name === 'dmz0'));
  const c = resolveHostConfig(s, { interface: 'dmz0', gateway: 'fe80::1', addresses: parseAddressList(PREFIX) });
  assert.throws(
    () => planHostSetup(s, c, artifacts),
    (e: unknown) => {
      assert.ok(e instanceof RefusedError && /router advertisements on ens3, not on dmz0: turning forwarding on would drop it/.test(e.message) && /prepare the uplink that carries the default route \(ens3\)/.test(e.message) && e.actions.some((x) => x.id === 'set-host-setting' && x.setting === 'interface'));
      assert.equal(e.changed, 'nothing');
      return true;
    },
  );
  // the right uplink, named explicitly, is fine
  assert.ok(planHostSetup(s, resolveHostConfig(s, { interface: 'ens3' }), artifacts).steps.length > 0);
});

test('prepare refuses a set off the uplink\'s prefix, or one another machine on the link already answers for', () => {
  const s = fresh();
  const off = resolveHostConfig(s, { addresses: parseAddressList('2001:db8:9999::10/124') });
  assert.throws(() => planHostSetup(s, off, artifacts), /the addresses are not on ens3's prefix \(2001:db8:1301:814::\/64\).*check the address set/s);
  const c = resolveHostConfig(s);
  s.neighbours.push({ address: X(3), dev: 'ens3', lladdr: '52:54:00:12:34:56' });
  assert.throws(() => planHostSetup(s, c, artifacts), new RegExp(`another machine on ens3 answers for ${X(3)}.*capture its traffic`));
});
