// Verify in docker mode: what a user's packets need, judged from one snapshot and the docker-mode facts. Host checks
// (forwarding, the RA default route, proxy NDP, the Docker network, persistence, the firewall), a proxy check per
// address, and per container on the network: it runs, holds its fixed address, has its default route via the bridge,
// and answers a ping from the host. The TCP connection from the provider side is added by the operation.
import { Action } from './errors';
import { Check, HostCheckKind, badLabelMessage, bindingCheck } from './checks';
import { HostConfig } from './config';
import { judgePath } from './firewallPlan';
import { NATIVE, NativeArtifacts, NativeFacts, engineOf, nativeConfText, nativeHolder, nativeSetup, nativeUnitText, networkProblems } from './nativePlan';
import { LABELS } from './hostContract';
import { networkdDropInText, ownsAcceptRa } from './plan';
import { HostSnapshot, defaultRoutes, findContainer, hasProxy, networkdFileOf, routeSource, sysctl } from './snapshot';

export interface NativeJudgeOptions {
  port?: number;
}

export function judgeNative(s: HostSnapshot, f: NativeFacts, c: HostConfig, art: NativeArtifacts, o: NativeJudgeOptions = {}): Check[] {
  const checks: Check[] = [];
  const prepare: Action = { id: 'prepare' };
  const check = (kind: HostCheckKind, ok: boolean, good: string, bad: string, fix: Action | null = prepare) =>
    checks.push({ id: kind, scope: 'host', kind, ok, message: ok ? good : bad, ...(fix && !ok ? { fix } : {}) });
  const up = c.uplink;
  const prefix = f.conf?.prefix ?? c.prefix;

  if (f.confError) check('recorded-state', false, '', f.confError);
  else if (f.conf && c.prefix) {
    const want = (() => {
      try {
        return nativeConfText(nativeSetup(s, f, c).conf);
      } catch {
        return undefined;
      }
    })();
    check('mode', f.confText === want, `prepared in docker mode for ${f.conf.prefix} (${NATIVE.conf})`, `${NATIVE.conf} records another setup than this host needs now (uplink, addresses or firewall changed): prepare again`);
  } else check('mode', false, '', `${s.hostname} is not prepared in docker mode (${NATIVE.conf} is missing)`);
  check('forwarding', sysctl(s, 'all', 'forwarding') === 1, 'IPv6 forwarding is on', `IPv6 forwarding is off (net.ipv6.conf.all.forwarding=${sysctl(s, 'all', 'forwarding')})`);
  check('proxy-ndp', sysctl(s, up, 'proxy_ndp') === 1, `proxy NDP is on for ${up}`, `proxy NDP is off on ${up}: the router's neighbour solicitations for the addresses go unanswered`);
  const networkFile = networkdFileOf(s, up);
  if (ownsAcceptRa(s, c)) {
    check('accept-ra', sysctl(s, up, 'accept_ra') === 2, `${up} accepts router advertisements while forwarding (accept_ra=2)`, `${up} has accept_ra=${sysctl(s, up, 'accept_ra')}: with forwarding on (Docker turns it on for an IPv6 network), the default route from the provider's RAs lapses`);
  } else if (networkFile) {
    const want = networkdDropInText(c, routeSource(s, up) === 'ra');
    check('networkd', s.files.networkdDropIn === want, `systemd-networkd configures ${up} and keeps proxy NDP for the addresses (drop-in)`, `systemd-networkd configures ${up} (${networkFile}) without our drop-in: its next restart resets proxy NDP on ${up}`);
  }
  const viaGw = defaultRoutes(s).find((r) => r.dev === up && r.gateway === c.gateway);
  check('default-route', !!viaGw, `default route via ${c.gateway} dev ${up}${viaGw?.protocol ? ` (${viaGw.protocol})` : ''}`, `the host has no IPv6 default route via ${c.gateway} dev ${up}: outside traffic cannot come back`);
  const engine = prefix ? engineOf(s, prefix) : undefined;
  const n = f.network;
  const problems = n && prefix && engine ? networkProblems(n, prefix, engine) : [];
  check(
    'network',
    !!n && problems.length === 0 && n.labels['conoha-ipv6.mode'] === 'docker',
    `Docker network ${NATIVE.network} has ${prefix} on bridge ${NATIVE.bridge}${engine?.routed ? ', IPv6 gateway mode routed' : ''}`,
    !n ? `Docker network ${NATIVE.network} does not exist` : problems.length ? `Docker network ${NATIVE.network} is not right: ${problems.join('; ')}` : `Docker network ${NATIVE.network} was not created by conoha-ipv6`,
  );
  const unitOk = f.unit === nativeUnitText() && f.unitWanted && f.unitActive === 'active';
  check(
    'persistence',
    f.agentSha256 === art.agentSha256 && unitOk,
    `${NATIVE.unitName} is enabled and ran after docker started (proxy entries and firewall rules come back at boot); Docker keeps the addresses itself`,
    f.agentSha256 !== art.agentSha256 ? `${NATIVE.agent} is ${f.agentSha256 ? 'outdated' : 'not installed'}` : !f.unitWanted ? `${NATIVE.unitName} is not enabled` : `${NATIVE.unitName} is ${f.unitActive || 'not active'} (or changed)`,
  );
  const first = f.endpoints.find((e) => e.fixed)?.fixed ?? (engine ? c.addresses.find((a) => !engine.reserved.includes(a)) : undefined) ?? c.addresses[0];
  const path = judgePath(s, { ...c, bridge: NATIVE.bridge }, first, o.port);
  const why = (dir: string, v: typeof path.inbound) => `${dir} TCP is ${v.verdict === 'drop' ? 'dropped' : 'possibly dropped'} by ${v.by}`;
  check(
    'firewall',
    path.ok,
    `the firewall lets new TCP connections to and from ${prefix} through ${NATIVE.bridge}${f.conf?.firewall.length ? ` (rules in ${f.conf.firewall.join(', ')})` : ''}`,
    [path.inbound.verdict !== 'accept' ? why(`inbound (to ${first} port ${o.port ?? 80})`, path.inbound) : '', path.outbound.verdict !== 'accept' ? why(`outbound (from ${first})`, path.outbound) : ''].filter(Boolean).join('; ') +
      (s.netfilter.ufwEnabled ? ' (ufw is active: it denies routed traffic unless a "ufw route allow" rule admits it)' : ''),
  );
  for (const a of f.conf?.addresses ?? c.addresses) {
    const ok = hasProxy(s, a, up);
    checks.push({ id: `proxy:${a}`, scope: 'address', kind: 'proxy', address: a, ok, message: ok ? `${a} is answered for on ${up}` : `no proxy entry for ${a} on ${up}`, ...(ok ? {} : { fix: prepare }) });
  }
  for (const e of f.endpoints) {
    const address = e.fixed ?? e.address ?? '';
    const bc = (kind: Parameters<typeof bindingCheck>[0], ok: boolean, good: string, bad: string, fix?: Action) => checks.push(bindingCheck(kind, address, e.container, ok, ok ? good : bad, fix));
    if (!e.fixed) bc('address', false, '', `${e.container} is on ${NATIVE.network} without a fixed address (${e.address ?? 'none'}): Docker may give it another one after a restart; assign it again`, { id: 'assign', container: e.container });
    const k = findContainer(s, e.container);
    if (!k || !k.running) {
      bc('container', false, '', `${e.container} (holding ${address}) is ${k?.state ?? 'gone'}: start it, Docker gives it the address back`, { id: 'start-container', container: e.container });
      continue;
    }
    bc('address', k.globalAddresses.includes(address), `${e.container} has ${address}`, `${e.container} does not have ${address} in its network namespace`, { id: 'assign', container: e.container, address });
    const gw = engine?.reserved[1];
    const r = k.defaultRoutes.find((x) => x.gateway === gw);
    bc('default-route', !!r, `${e.container}'s IPv6 default route is via ${gw} (the ${NATIVE.bridge} bridge)`, `${e.container} has no IPv6 default route via ${gw} (${k.defaultRoutes.map((x) => `via ${x.gateway}`).join(', ') || 'none'}): replies cannot leave it`);
    const p = s.pings.find((x) => x.address === address);
    if (p) bc('ping', p.ok, `the host reaches ${address} by ping`, `the host cannot ping ${address}: ${p.output.trim().split('\n').slice(-2).join(' ')}`);
  }
  checks.push(...nativeLabelChecks(s, f, c, engine?.reserved ?? []));
  return checks;
}

/** One check per running container with a conoha-ipv6.address label, in docker mode: is it on the network, and if
 * not, why conoha-ipv6-native refused it (it logs the same refusal; nothing was changed). A container already on the
 * network keeps its address whatever its label says (assign wins, as in radvd mode). */
export function nativeLabelChecks(s: HostSnapshot, f: NativeFacts, c: HostConfig, reserved: string[]): Check[] {
  const out: Check[] = [];
  const addresses = f.conf?.addresses ?? c.addresses;
  for (const k of s.docker.containers) {
    const want = k.labels.address ?? (k.labels.badAddress !== undefined ? '' : undefined);
    if (want === undefined || !k.running) continue;
    const check = (ok: boolean, message: string, fix?: Action) => out.push({ id: `label:${k.name}`, scope: 'host', kind: 'label', ok, message, ...(fix && !ok ? { fix } : {}) });
    const label = `${LABELS.address}=${k.labels.address ?? JSON.stringify(k.labels.badAddress)}`;
    const ep = f.endpoints.find((e) => e.container === k.name);
    if (ep) {
      const held = ep.fixed ?? ep.address ?? '';
      check(true, `${k.name} is on ${NATIVE.network} with ${held}${want === 'auto' || want === held ? ` (its label ${label})` : `; its label ${label} is not used while it is there (assign wins)`}`);
      continue;
    }
    if (k.labels.badAddress !== undefined) {
      check(false, badLabelMessage(k, label, 'nothing changed'));
      continue;
    }
    if (want !== 'auto' && !addresses.includes(want)) {
      check(false, `${k.name}'s label ${label} names an address outside this host's set (${f.conf?.prefix ?? c.prefix ?? addresses.join(', ')}): refused, nothing changed`);
      continue;
    }
    if (want !== 'auto' && reserved.includes(want)) {
      check(false, `${k.name}'s label ${label} names one of Docker's own addresses on ${NATIVE.network} (${reserved.join(', ')}): refused, nothing changed`);
      continue;
    }
    const holder = want === 'auto' ? undefined : nativeHolder(f, want);
    if (holder) {
      check(false, `${k.name}'s label ${label} conflicts: ${want} is held by ${holder.container}; refused, nothing changed: give one of them another address`);
      continue;
    }
    if (want === 'auto' && addresses.every((a) => reserved.includes(a) || nativeHolder(f, a))) {
      check(false, `${k.name}'s label ${label}: every container address of the host is taken; refused, nothing changed`);
      continue;
    }
    check(false, `${k.name} has the label ${label} but is not on ${NATIVE.network}: is ${NATIVE.unitName} running? (journalctl -u ${NATIVE.unitName} tells why)`, { id: 'prepare' });
  }
  return out;
}
