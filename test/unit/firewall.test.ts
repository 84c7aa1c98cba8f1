// Forward-path verdicts on real netfilter dumps (test/fixtures/firewall/README.md says where each comes from).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ForwardPacket, Netfilter, evaluateForward, firewallFacts, parseIp6tablesSave } from '../../src/core/firewall';

const fixture = (name: string) => readFileSync(join(__dirname, '../../../test/fixtures/firewall', name), 'utf8');
const save = (name: string): Netfilter => ({ ip6tablesSave: fixture(`${name}-ip6tables-save.txt`) });

const CONTAINER = '2001:db8:1301:814:a157:7:235:120';
const REMOTE = '2001:db8:ffff::1';
/** a NEW tcp connection from the internet to the container's port 8080 */
const inbound = (more: Partial<ForwardPacket> = {}): ForwardPacket => ({
  iif: 'ens3', oif: 'docker0', src: REMOTE, dst: CONTAINER, proto: 'tcp', dport: 8080, state: 'NEW', ...more,
});
/** a NEW tcp connection from the container to the internet */
const outbound = (more: Partial<ForwardPacket> = {}): ForwardPacket => ({
  iif: 'docker0', oif: 'ens3', src: CONTAINER, dst: REMOTE, proto: 'tcp', dport: 443, state: 'NEW', ...more,
});
const reply = outbound({ state: 'ESTABLISHED', dport: 50000 });
const ping = inbound({ proto: 'icmpv6', dport: undefined, icmpType: 128 });
const verdict = (nf: Netfilter, p: ForwardPacket) => {
  const { verdict, by } = evaluateForward(nf, p);
  return { verdict, by };
};

test('Docker 28 default: FORWARD policy ACCEPT and empty Docker chains let everything through', () => {
  const nf = save('d28-default');
  for (const p of [inbound(), outbound(), reply, ping]) {
    assert.deepEqual(verdict(nf, p), { verdict: 'accept', by: 'ip6tables filter FORWARD policy ACCEPT' });
  }
  assert.deepEqual(firewallFacts(nf), {
    backend: 'nf_tables', dockerUser: true, dockerChains: true, ufw: false, forwardPolicy: 'ACCEPT', nativeForwardChains: [],
  });
});

test('Docker 28 with an IPv6 network: policy DROP stops docker0 both ways, replies and pings too', () => {
  const nf = save('d28-v6net');
  for (const p of [inbound(), outbound(), reply, ping]) {
    assert.deepEqual(verdict(nf, p), { verdict: 'drop', by: 'ip6tables filter FORWARD policy DROP' });
  }
  assert.equal(firewallFacts(nf).forwardPolicy, 'DROP');
  assert.equal(firewallFacts(nf).dockerUser, true);
});

test("Docker 28's own bridge: raw PREROUTING drops routed access to its container, its own traffic goes out", () => {
  const nf = save('d28-v6net');
  const br = 'br-a8730cfe414f';
  assert.deepEqual(verdict(nf, inbound({ oif: br, dst: 'fd77:6e73:2::2', dport: 80 })), {
    verdict: 'drop', by: 'ip6tables raw: -A PREROUTING -d fd77:6e73:2::2/128 ! -i br-a8730cfe414f -j DROP',
  });
  assert.deepEqual(verdict(nf, outbound({ iif: br, src: 'fd77:6e73:2::2' })), {
    verdict: 'accept', by: 'ip6tables filter: -A DOCKER-FORWARD -i br-a8730cfe414f -j ACCEPT',
  });
  // another container on that bridge, port not published
  assert.deepEqual(verdict(nf, inbound({ oif: br, dst: 'fd77:6e73:2::3' })), {
    verdict: 'drop', by: 'ip6tables filter: -A DOCKER ! -i br-a8730cfe414f -o br-a8730cfe414f -j DROP',
  });
});

test('a DOCKER-USER accept for the /124 opens inbound only; the way out still meets policy DROP', () => {
  const nf = save('d28-v6net-docker-user');
  const allow = 'ip6tables filter: -A DOCKER-USER -d 2001:db8:1301:814:a157:7:235:120/124 -o docker0 -j ACCEPT';
  assert.deepEqual(verdict(nf, inbound()), { verdict: 'accept', by: allow });
  assert.deepEqual(verdict(nf, ping), { verdict: 'accept', by: allow });
  assert.deepEqual(verdict(nf, inbound({ dst: '2001:db8:1301:814:a157:7:235:130' })), { verdict: 'drop', by: 'ip6tables filter FORWARD policy DROP' });
  assert.deepEqual(verdict(nf, outbound()), { verdict: 'drop', by: 'ip6tables filter FORWARD policy DROP' });
  assert.deepEqual(verdict(nf, reply), { verdict: 'drop', by: 'ip6tables filter FORWARD policy DROP' });
  assert.ok(evaluateForward(nf, inbound()).trace?.includes('ip6tables filter: -A FORWARD -j DOCKER-USER'));
});

test('Docker 26 with ip6tables on: DOCKER-USER returns, docker0 meets policy DROP, a published port passes', () => {
  const nf = save('d26-ip6tables-on-v6net');
  assert.deepEqual(verdict(nf, inbound()), { verdict: 'drop', by: 'ip6tables filter FORWARD policy DROP' });
  assert.deepEqual(verdict(nf, outbound()), { verdict: 'drop', by: 'ip6tables filter FORWARD policy DROP' });
  assert.deepEqual(verdict(nf, inbound({ oif: 'br-f976a771b497', dst: 'fd77:6e73:2::2', dport: 80 })), {
    verdict: 'accept',
    by: 'ip6tables filter: -A DOCKER -d fd77:6e73:2::2/128 ! -i br-f976a771b497 -o br-f976a771b497 -p tcp -m tcp --dport 80 -j ACCEPT',
  });
  assert.deepEqual(firewallFacts(nf), {
    backend: 'nf_tables', dockerUser: true, dockerChains: true, ufw: false, forwardPolicy: 'DROP', nativeForwardChains: [],
  });
});

test('ufw default: a ping passes while TCP is dropped (deny routed)', () => {
  const nf = save('ufw-default');
  const eth0 = { iif: 'eth0' };
  assert.deepEqual(verdict(nf, { ...ping, ...eth0 }), {
    verdict: 'accept', by: 'ip6tables filter: -A ufw6-before-forward -p ipv6-icmp -m icmp6 --icmpv6-type 128 -j ACCEPT',
  });
  assert.deepEqual(verdict(nf, inbound(eth0)), { verdict: 'drop', by: 'ip6tables filter FORWARD policy DROP' });
  assert.deepEqual(verdict(nf, outbound({ oif: 'eth0' })), { verdict: 'drop', by: 'ip6tables filter FORWARD policy DROP' });
  assert.deepEqual(verdict(nf, { ...reply, oif: 'eth0' }), {
    verdict: 'accept', by: 'ip6tables filter: -A ufw6-before-forward -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
  });
  // the rate-limited LOG rules on the way do not make it unsure
  assert.ok(evaluateForward(nf, inbound(eth0)).trace?.some((t) => t.includes('[UFW BLOCK]')) === false);
  assert.deepEqual(firewallFacts(nf), {
    backend: 'nf_tables', dockerUser: false, dockerChains: false, ufw: true, forwardPolicy: 'DROP', nativeForwardChains: [],
  });
});

test('ufw route allows for the /124 open both directions, and only for it', () => {
  const nf = save('ufw-route-allow');
  assert.deepEqual(verdict(nf, inbound({ iif: 'eth0' })), {
    verdict: 'accept', by: 'ip6tables filter: -A ufw6-user-forward -d 2001:db8:1301:814:a157:7:235:120/124 -i eth0 -o docker0 -j ACCEPT',
  });
  assert.deepEqual(verdict(nf, outbound({ oif: 'eth0' })), {
    verdict: 'accept', by: 'ip6tables filter: -A ufw6-user-forward -s 2001:db8:1301:814:a157:7:235:120/124 -i docker0 -o eth0 -j ACCEPT',
  });
  assert.deepEqual(verdict(nf, inbound({ iif: 'eth0', dst: '2001:db8:1301:814:a157:7:235:130' })).verdict, 'drop');
  assert.deepEqual(verdict(nf, inbound({ iif: 'ens3' })).verdict, 'drop'); // the rule names eth0
});

test("iptables-nft's own ip6 tables in nft's JSON are skipped when ip6tables-save covers them", () => {
  const both: Netfilter = { ...save('ufw-route-allow'), nftJson: fixture('ufw-route-allow-nft.json') };
  assert.deepEqual(verdict(both, inbound({ iif: 'eth0' })), verdict(save('ufw-route-allow'), inbound({ iif: 'eth0' })));
  assert.deepEqual(firewallFacts(both).nativeForwardChains, []);
  // alone, they are read as native: ufw's `-m rt` is an xt match there that may drop, so the answer is unsure
  const alone: Netfilter = { nftJson: fixture('ufw-route-allow-nft.json') };
  const v = evaluateForward(alone, inbound({ iif: 'eth0' }));
  assert.equal(v.verdict, 'unknown');
  assert.match(v.by, /^nft table ip6 filter chain ufw6-before-forward handle \d+: xt match rt counter drop \(may match\)$/);
  assert.deepEqual(firewallFacts(alone).nativeForwardChains, ['ip6 filter FORWARD (policy drop)']);
  assert.equal(firewallFacts(alone).backend, 'none');
});

test('a Debian nftables.conf forward chain: policy drop, replies and the bridge outwards accepted', () => {
  const nf: Netfilter = { nftJson: fixture('nft-debian-forward-drop.json') };
  assert.deepEqual(verdict(nf, inbound()), { verdict: 'drop', by: 'nft table inet filter chain forward: policy drop' });
  assert.deepEqual(verdict(nf, ping), { verdict: 'drop', by: 'nft table inet filter chain forward: policy drop' });
  assert.deepEqual(verdict(nf, reply), { verdict: 'accept', by: 'nft table inet filter chain forward handle 4: ct state established,related accept' });
  assert.deepEqual(verdict(nf, outbound()), { verdict: 'accept', by: 'nft table inet filter chain forward handle 5: iifname "docker0" accept' });
  assert.deepEqual(firewallFacts(nf).nativeForwardChains, ['inet filter forward (policy drop)']);
});

test("an accept in ip6tables' FORWARD does not stop a drop in a native nft chain", () => {
  const nf: Netfilter = { ...save('d28-default'), nftJson: fixture('nft-debian-forward-drop.json') };
  assert.deepEqual(verdict(nf, inbound()), { verdict: 'drop', by: 'nft table inet filter chain forward: policy drop' });
  assert.deepEqual(verdict(nf, reply), {
    verdict: 'accept',
    by: 'nft table inet filter chain forward handle 4: ct state established,related accept',
  });
  assert.deepEqual(firewallFacts(nf).nativeForwardChains, ['inet filter forward (policy drop)']);
});

/** the dump with only one table's objects (and its rules minus some handles) */
function nftOnly(name: string, table: string, dropHandles: number[] = []): Netfilter {
  const doc = JSON.parse(fixture(name)) as { nftables: Record<string, { table?: string; name?: string; handle?: number }>[] };
  const keep = doc.nftables.filter((o) => {
    const [kind, v] = Object.entries(o)[0];
    if (kind === 'metainfo') return true;
    if ((kind === 'table' ? v.name : v.table) !== table) return false;
    return !(kind === 'rule' && dropHandles.includes(v.handle!));
  });
  return { nftJson: JSON.stringify({ nftables: keep }) };
}

test('native nft: prefixes, port sets and ranges, jump and return, icmpv6 type sets, reject', () => {
  const nf = nftOnly('nft-debian-plus-ip6-table.json', 'cv6', [5]); // without the named-set rule
  const chain = (c: string, h: number) => `nft table ip6 cv6 chain ${c} handle ${h}: `;
  assert.deepEqual(verdict(nf, inbound()), { verdict: 'accept', by: `${chain('to_containers', 11)}tcp dport { 22, 8080 } ct state new accept` });
  assert.deepEqual(verdict(nf, inbound({ dport: 80 })), { verdict: 'drop', by: `${chain('to_containers', 15)}drop` });
  assert.deepEqual(verdict(nf, inbound({ proto: 'udp', dport: 53 })), {
    verdict: 'accept', by: 'nft table ip6 cv6 chain pre: policy accept; nft table ip6 cv6 chain forward6: policy accept',
  });
  assert.deepEqual(verdict(nf, inbound({ dst: '2001:db8:1301:814:a157:7:235:130', dport: 80 })), {
    verdict: 'drop', by: `${chain('forward6', 9)}oifname "docker0" tcp dport 1-1024 reject`,
  });
  const v = verdict(nf, ping);
  assert.equal(v.verdict, 'accept');
  assert.match(v.by, /chain pre handle 7: iifname "ens3" ip6 daddr 2001:db8:1301:814:a157:7:235:120\/124 icmpv6 type \{ echo-request, echo-reply \} counter accept; .*chain to_containers handle 14: meta l4proto ipv6-icmp accept$/);
  // a rate limit may or may not let it through
  assert.deepEqual(verdict(nf, inbound({ dport: 9050 })), {
    verdict: 'unknown', by: `${chain('to_containers', 12)}tcp dport 9000-9100 limit rate 10/second accept (may match)`,
  });
});

test('native nft: a named set may match, so a drop on it leaves accept unsure but a definite drop wins', () => {
  const cv6 = nftOnly('nft-debian-plus-ip6-table.json', 'cv6');
  assert.deepEqual(verdict(cv6, inbound()), { verdict: 'unknown', by: 'nft table ip6 cv6 chain pre handle 5: ip6 saddr @blocked drop (may match)' });
  const whole: Netfilter = { nftJson: fixture('nft-debian-plus-ip6-table.json') };
  assert.deepEqual(verdict(whole, inbound()), { verdict: 'drop', by: 'nft table inet filter chain forward: policy drop' });
  assert.deepEqual(firewallFacts(whole).nativeForwardChains, ['inet filter forward (policy drop)', 'ip6 cv6 forward6 (policy accept)']);
});

test('a table with flags (here dormant, printed oddly by nft 1.0.6) is named, not guessed', () => {
  const v = verdict({ nftJson: fixture('nft-dormant-vmap.json') }, inbound());
  assert.deepEqual(v, { verdict: 'unknown', by: 'nft table inet scratch has flags "scratch", not evaluated' });
});

test('no input, or empty dumps (Docker 26 default prints nothing), means no rules', () => {
  for (const nf of [{}, { ip6tablesSave: '' }, { ip6tablesSave: '\n', nftJson: ' ' }, { nftJson: '{"nftables": []}' }]) {
    assert.deepEqual(verdict(nf, inbound()), { verdict: 'accept', by: 'no netfilter rules' });
  }
  assert.deepEqual(firewallFacts({}), { backend: 'none', dockerUser: false, dockerChains: false, ufw: false, forwardPolicy: undefined, nativeForwardChains: [] });
});

test('hostile or broken input gives unknown with a reason, never a throw', () => {
  const text = fixture('d28-v6net-ip6tables-save.txt');
  const cut = text.slice(0, text.indexOf('COMMIT', text.indexOf('*filter')));
  const cases: [Netfilter, RegExp][] = [
    [{ ip6tablesSave: cut }, /^ip6tables-save output is cut short \(table filter has no COMMIT\)$/],
    [{ ip6tablesSave: 'Segmentation fault\nrm -rf /' }, /^ip6tables-save output not understood \(line 1: outside a \*table: Segmentation fault\)$/],
    [{ ip6tablesSave: '*filter\n:FORWARD ACCEPT [0:0]\n-A NOPE -j DROP\nCOMMIT\n' }, /rule in an undeclared chain/],
    [{ ip6tablesSave: '*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD -j NOWHERE\nCOMMIT\n' }, /^ip6tables filter: -A FORWARD -j NOWHERE$/],
    [{ nftJson: '{"nftables": [' }, /not JSON/],
    [{ nftJson: '{"items": [1, 2]}' }, /no "nftables" array/],
    [{ nftJson: 'null' }, /no "nftables" array/],
    [{ nftJson: '{"nftables": [{"metainfo": {"json_schema_version": 2}}]}' }, /schema version 2/],
    [{ nftJson: '{"nftables": [{"rule": {"family": "inet", "table": "x", "chain": "y", "expr": []}}]}' }, /rule outside a known chain/],
  ];
  for (const [nf, by] of cases) {
    const v = evaluateForward(nf, inbound());
    assert.equal(v.verdict, 'unknown', JSON.stringify(nf).slice(0, 60));
    assert.match(v.by, by);
    assert.doesNotThrow(() => firewallFacts(nf));
  }
  assert.equal(evaluateForward({}, inbound({ dst: 'not-an-address' })).verdict, 'unknown');
  // a rule chain that jumps to itself ends, unsure
  const loop = '*filter\n:FORWARD ACCEPT [0:0]\n:A - [0:0]\n-A FORWARD -j A\n-A A -j A\nCOMMIT\n';
  assert.match(evaluateForward({ ip6tablesSave: loop }, inbound()).by, /nest too deep/);
});

test('parseIp6tablesSave keeps tables, policies, parsed matches and the raw rule text', () => {
  const rs = parseIp6tablesSave(fixture('d28-v6net-ip6tables-save.txt'));
  assert.equal(rs.backend, 'nf_tables');
  assert.deepEqual(rs.errors, []);
  assert.deepEqual([...rs.tables.keys()], ['raw', 'filter', 'nat']);
  const docker = rs.tables.get('filter')!.chains.get('DOCKER')!;
  assert.equal(docker.policy, undefined);
  assert.deepEqual(docker.rules[0], {
    text: '-A DOCKER -d fd77:6e73:2::2/128 ! -i br-a8730cfe414f -o br-a8730cfe414f -p tcp -m tcp --dport 80 -j ACCEPT',
    matches: [
      { module: undefined, option: '-d', value: 'fd77:6e73:2::2/128', negated: false },
      { module: undefined, option: '-i', value: 'br-a8730cfe414f', negated: true },
      { module: undefined, option: '-o', value: 'br-a8730cfe414f', negated: false },
      { module: undefined, option: '-p', value: 'tcp', negated: false },
      { module: 'tcp', option: '-m', value: 'tcp', negated: false },
      { module: 'tcp', option: '--dport', value: '80', negated: false },
    ],
    target: 'ACCEPT',
    goto: false,
  });
  assert.equal(rs.tables.get('filter')!.chains.get('FORWARD')!.policy, 'DROP');
  // the quoted LOG prefix stays one token, after the target
  const ufw = parseIp6tablesSave(fixture('ufw-default-ip6tables-save.txt'));
  const log = ufw.tables.get('filter')!.chains.get('ufw6-logging-allow')!.rules[0];
  assert.equal(log.target, 'LOG');
  assert.deepEqual(log.matches.map((m) => `${m.option} ${m.value}`), ['-m limit', '--limit 3/min', '--limit-burst 10']);
  const legacy = fixture('d28-default-ip6tables-save.txt').replaceAll('(nf_tables)', '(legacy)');
  assert.equal(firewallFacts({ ip6tablesSave: legacy }).backend, 'legacy');
});

test('matches iptables users write by hand: negations, wildcards, multiport, goto', () => {
  const rules = (...lines: string[]) => ({
    ip6tablesSave: ['*filter', ':FORWARD DROP [0:0]', ':A - [0:0]', ...lines, 'COMMIT', ''].join('\n'),
  });
  const pass = (nf: Netfilter, p: ForwardPacket) => evaluateForward(nf, p).verdict;
  assert.equal(pass(rules('-A FORWARD -i ens+ -o docker0 -j ACCEPT'), inbound()), 'accept');
  assert.equal(pass(rules('-A FORWARD ! -s 2001:db8:ffff::/48 -j ACCEPT'), inbound()), 'drop');
  assert.equal(pass(rules('-A FORWARD -p tcp -m multiport --dports 80,8000:8100 -j ACCEPT'), inbound()), 'accept');
  assert.equal(pass(rules('-A FORWARD -p udp -m multiport --dports 80,8000:8100 -j ACCEPT'), inbound()), 'drop');
  assert.equal(pass(rules('-A FORWARD -m conntrack ! --ctstate INVALID -j ACCEPT'), inbound()), 'accept');
  assert.equal(pass(rules('-A FORWARD -p ipv6-icmp -m icmp6 --icmpv6-type echo-request -j ACCEPT'), ping), 'accept');
  assert.equal(pass(rules('-A FORWARD -p ipv6-icmp -m icmp6 --icmpv6-type echo-reply -j ACCEPT'), ping), 'drop');
  // goto: A's end returns to FORWARD's caller, i.e. the policy, not to the next FORWARD rule
  assert.equal(pass(rules('-A FORWARD -g A', '-A FORWARD -j ACCEPT'), inbound()), 'drop');
  assert.equal(pass(rules('-A FORWARD -j A', '-A FORWARD -j ACCEPT'), inbound()), 'accept');
  // unknown matches: may match; an unsure accept before the policy drop is unknown, an unsure drop before it is drop
  assert.deepEqual(verdict(rules('-A FORWARD -m mark --mark 0x1 -j ACCEPT'), inbound()), {
    verdict: 'unknown', by: 'ip6tables filter: -A FORWARD -m mark --mark 0x1 -j ACCEPT (may match)',
  });
  assert.deepEqual(verdict(rules('-A FORWARD -m set --match-set bad src -j DROP'), inbound()), { verdict: 'drop', by: 'ip6tables filter FORWARD policy DROP' });
  assert.equal(pass(rules('-A FORWARD -j NFQUEUE --queue-num 0'), inbound()), 'unknown');
});
