// The firewall on the forward path, as prepare plans it and verify judges it. The rules themselves are the
// agent's (`conoha-ipv6-agent firewall`, re-applied at boot and whenever dockerd comes back); this decides where
// they go and says, from the host's own netfilter state, whether a user's packets would get through.
import { HostConfig } from './config';
import { ForwardPacket, Rule, Verdict, evaluateForward, firewallFacts, parseIp6tablesSave } from './firewall';
import { HostSnapshot } from './snapshot';
import { l10n } from './l10n';

export type FirewallMechanism = 'docker-user' | 'forward' | 'ufw';

export interface FirewallPlan {
  /** the networks the rules admit: the /124, or one /128 per address */
  allow: string[];
  /** where the allow rules go */
  mechanisms: FirewallMechanism[];
  /** a step is needed: a mechanism's rules are missing */
  needed: boolean;
  title: string;
  /** what the tool cannot fix itself (a native nftables chain that drops), with what to do */
  notes: string[];
}

/** a source/destination "on the internet", for judging rules symbolically (no packet is sent) */
const OUTSIDE = '2001:db8:ffff:ffff::1';

export function allowNets(c: HostConfig): string[] {
  return c.prefix ? [c.prefix] : c.addresses.map((a) => `${a}/128`);
}

/** The two packets a user cares about: a new TCP connection from outside to the address, and one from it outwards. */
export function userPackets(c: HostConfig, address: string, port = 80): { inbound: ForwardPacket; outbound: ForwardPacket } {
  return {
    inbound: { iif: c.uplink, oif: c.bridge, src: OUTSIDE, dst: address, proto: 'tcp', dport: port, state: 'NEW' },
    outbound: { iif: c.bridge, oif: c.uplink, src: address, dst: OUTSIDE, proto: 'tcp', dport: 443, state: 'NEW' },
  };
}

export interface PathVerdict {
  inbound: Verdict;
  outbound: Verdict;
  ok: boolean;
}

export function judgePath(s: HostSnapshot, c: HostConfig, address: string, port?: number): PathVerdict {
  const p = userPackets(c, address, port);
  const nf = { ip6tablesSave: s.netfilter.ip6tablesSave, nftJson: s.netfilter.nftJson };
  const inbound = evaluateForward(nf, p.inbound);
  const outbound = evaluateForward(nf, p.outbound);
  return { inbound, outbound, ok: inbound.verdict === 'accept' && outbound.verdict === 'accept' };
}

/** our two rules for every allowed network are in the chain (as the firewall module reads ip6tables-save) */
function hasRules(save: string, chain: string, c: HostConfig, allow: string[]): boolean {
  const rules = parseIp6tablesSave(save).tables.get('filter')?.chains.get(chain)?.rules ?? [];
  const has = (r: Rule, option: string, value: string) => r.matches.some((m) => m.option === option && m.value === value && !m.negated);
  const accepts = (dir: '-d' | '-s', n: string) => rules.some((r) => r.target === 'ACCEPT' && has(r, dir, n) && has(r, dir === '-d' ? '-o' : '-i', c.bridge));
  return allow.every((n) => accepts('-d', n) && accepts('-s', n));
}

export function planFirewall(s: HostSnapshot, c: HostConfig): FirewallPlan {
  const allow = allowNets(c);
  const save = s.netfilter.ip6tablesSave ?? '';
  const facts = firewallFacts({ ip6tablesSave: save, nftJson: s.netfilter.nftJson });
  const mechanisms: FirewallMechanism[] = [];
  const missing: string[] = [];
  const notes: string[] = [];
  // Docker manages ip6tables: it may turn the FORWARD policy to DROP at any time (any IPv6 network does), so
  // the allow rules go into DOCKER-USER whether or not anything drops today
  if (facts.dockerUser) {
    mechanisms.push('docker-user');
    if (!hasRules(save, 'DOCKER-USER', c, allow)) missing.push(l10n.t('DOCKER-USER (Docker manages ip6tables)'));
  }
  if (s.netfilter.ufwEnabled && facts.ufw) {
    mechanisms.push('ufw');
    if (!hasRules(save, 'ufw6-user-forward', c, allow)) missing.push(l10n.t('ufw (ufw route allow, kept by ufw across reboots)'));
  }
  const path = judgePath(s, c, c.addresses[0]);
  if (!mechanisms.length && !path.ok) {
    const byIptables = [path.inbound, path.outbound].some((v) => v.verdict !== 'accept' && v.by.startsWith('ip6tables'));
    if (byIptables) {
      mechanisms.push('forward');
      if (!hasRules(save, 'FORWARD', c, allow)) missing.push(l10n.t('the ip6tables FORWARD chain'));
    }
  }
  // what no ip6tables rule of ours can override: a drop in a native nftables chain (its own base chain at the
  // forward hook: an accept elsewhere does not stop it)
  for (const v of [path.inbound, path.outbound]) {
    if (v.verdict !== 'accept' && !v.by.startsWith('ip6tables') && !notes.some((n) => n.includes(v.by))) {
      notes.push(
        v.verdict === 'drop'
          ? l10n.t('forwarded traffic to the addresses is dropped by {0}: this tool does not edit native nftables rulesets; allow "oifname {1} ip6 daddr {2} accept" and "iifname {1} ip6 saddr {2} accept" in that chain (e.g. in /etc/nftables.conf)', v.by, c.bridge, allow[0])
          : l10n.t('forwarded traffic to the addresses is possibly dropped by {0}: this tool does not edit native nftables rulesets; allow "oifname {1} ip6 daddr {2} accept" and "iifname {1} ip6 saddr {2} accept" in that chain (e.g. in /etc/nftables.conf)', v.by, c.bridge, allow[0]),
      );
    }
  }
  return {
    allow,
    mechanisms,
    needed: missing.length > 0,
    title: path.ok
      ? l10n.t('let traffic to and from {0} through {1} in the firewall: {2}', allow.join(', '), c.bridge, missing.join('; '))
      : l10n.t('let traffic to and from {0} through {1} in the firewall: {2} (today: inbound {3} by {4}, outbound {5} by {6})', allow.join(', '), c.bridge, missing.join('; '), path.inbound.verdict, path.inbound.by, path.outbound.verdict, path.outbound.by),
    notes,
  };
}
