// Verify: named checks with a stable id, judged from one snapshot (taken with pings of the bound addresses).
import { HostConfig } from './config';
import { Action } from './errors';
import { Artifacts, AGENT_PATH, networkdDropInText, ownsAcceptRa, unitText } from './plan';
import { judgePath } from './firewallPlan';
import { LABELS } from './hostContract';
import { HostSnapshot, bridgeOfAddress, defaultAttachment, defaultRoutes, networkOfBinding, findContainer, hasProxy, hasRoute, linkLocalOf, networkdFileOf, routeSource, sysctl } from './snapshot';

export interface JudgeOptions {
  /** the TCP port a user's clients connect to (judged in the firewall rules); default 80 */
  port?: number;
}

/** Host-wide checks, per-address checks (scope.address) and per-binding checks (scope.address and .container). */
export type HostCheckKind = 'recorded-state' | 'rollback' | 'forwarding' | 'proxy-ndp' | 'accept-ra' | 'networkd' | 'default-route' | 'bridge' | 'radvd' | 'persistence' | 'firewall' | 'label'
  // docker mode (nativeChecks.ts)
  | 'mode' | 'network';
export type AddressCheckKind = 'route' | 'proxy';
export type BindingCheckKind = 'container' | 'network' | 'address' | 'default-route' | 'ping' | 'outbound' | 'inbound';

export type Check = {
  /** stable and unique within one verify: the kind for host checks (label:CONTAINER for a container's label), route:ADDR, binding:ADDR:KIND (for --json
   * readers and logs; code matches on kind and scope, never on this text) */
  id: string;
  ok: boolean;
  /** what is true or what is wrong, in words for any UI */
  message: string;
  /** what the user can do about a failing check */
  fix?: Action;
} & (
  | { scope: 'host'; kind: HostCheckKind }
  | { scope: 'address'; kind: AddressCheckKind; address: string }
  | { scope: 'binding'; kind: BindingCheckKind; address: string; container: string }
);

/** A per-binding check, built with the one id scheme. */
export function bindingCheck(kind: BindingCheckKind, address: string, container: string, ok: boolean, message: string, fix?: Action): Check {
  return { id: `binding:${address}:${kind}`, scope: 'binding', kind, address, container, ok, message, ...(fix && !ok ? { fix } : {}) };
}

/** The checks about one address: its route and proxy entry, and its binding's. */
export function checksOfAddress(checks: Check[], address: string): Check[] {
  return checks.filter((c) => c.scope !== 'host' && c.address === address);
}

export const hostChecksOf = (checks: Check[]) => checks.filter((c) => c.scope === 'host');

export function judgeHost(s: HostSnapshot, c: HostConfig, art: Artifacts, o: JudgeOptions = {}): Check[] {
  const checks: Check[] = [];
  const prepare: Action = { id: 'prepare' };
  /** a host-wide check; a failing one is fixed by prepare unless it says otherwise */
  const check = (kind: HostCheckKind, ok: boolean, good: string, bad: string, fix: Action | null = prepare) =>
    checks.push({ id: kind, scope: 'host', kind, ok, message: ok ? good : bad, ...(fix && !ok ? { fix } : {}) });
  const up = c.uplink;
  const br = c.bridge;

  for (const e of s.stateErrors) check('recorded-state', false, '', e);
  if (s.files.rolledBack !== undefined) {
    check('rollback', false, '', `a prepare at ${s.files.rolledBack.trim()} was not confirmed over a new connection, so the host rolled its network settings back by itself: check that the host stays reachable`);
  }
  check('forwarding', sysctl(s, 'all', 'forwarding') === 1, 'IPv6 forwarding is on', `IPv6 forwarding is off (net.ipv6.conf.all.forwarding=${sysctl(s, 'all', 'forwarding')})`);
  check('proxy-ndp', sysctl(s, up, 'proxy_ndp') === 1, `proxy NDP is on for ${up}`, `proxy NDP is off on ${up}: the router's neighbour solicitations for the addresses go unanswered`);
  const route = routeSource(s, up);
  const networkFile = networkdFileOf(s, up);
  if (ownsAcceptRa(s, c)) {
    check('accept-ra', sysctl(s, up, 'accept_ra') === 2, `${up} accepts router advertisements while forwarding (accept_ra=2)`, `${up} has accept_ra=${sysctl(s, up, 'accept_ra')}: with forwarding on, the default route from the provider's RAs will lapse`);
  } else if (networkFile) {
    check(
      'networkd',
      s.files.networkdDropIn === networkdDropInText(c, route === 'ra'),
      `systemd-networkd configures ${up} (${networkFile}) and keeps proxy NDP for the addresses${route === 'ra' ? ' and RAs while forwarding' : ''} (drop-in 60-conoha-ipv6.conf)`,
      `systemd-networkd configures ${up} (${networkFile}) without our drop-in: its next restart resets proxy NDP on ${up}`,
    );
  } else {
    check('accept-ra', true, `the default route via ${up} is static: router advertisements are not needed for it`, '');
  }
  const dflt = defaultRoutes(s);
  const viaGw = dflt.find((r) => r.dev === up && r.gateway === c.gateway);
  check(
    'default-route',
    !!viaGw,
    `default route via ${c.gateway} dev ${up}${viaGw?.protocol ? ` (${viaGw.protocol})` : ''}`,
    dflt.length
      ? `the default route is ${dflt.map((r) => `via ${r.gateway} dev ${r.dev}`).join(', ')}, not via ${c.gateway} dev ${up}: check the host's gateway and uplink settings`
      : `the host has NO IPv6 default route: outside traffic cannot reach it; add it: ip -6 route add default via ${c.gateway} dev ${up}`,
    dflt.length ? { id: 'set-host-setting', setting: 'gateway' } : prepare,
  );
  const ll = linkLocalOf(s, br);
  check('bridge', !!ll, `bridge ${br} has link-local ${ll}`, s.links.some((l) => l.name === br) ? `bridge ${br} has no IPv6 link-local address: IPv6 may be disabled on it` : `bridge ${br} does not exist: is Docker running?`, s.links.some((l) => l.name === br) ? prepare : { id: 'retry' });
  const stanza = s.radvd.interfaces.find((i) => i.name === br && i.advertises);
  const radvdAtBoot = !s.systemd || s.radvd.enabled === 'enabled';
  check(
    'radvd',
    s.radvd.running && !!stanza && radvdAtBoot,
    `radvd is running and advertises on ${br}`,
    !s.tools.radvd
      ? `radvd is not installed`
      : !stanza
        ? `/etc/radvd.conf does not advertise on ${br}`
        : !s.radvd.running
          ? `radvd is not running, so containers get no default route`
          : `radvd is not enabled at boot (${s.radvd.enabled})`,
  );
  const agentOk = s.agent.sha256 === art.agentSha256;
  const unitOk = s.agent.unit === unitText();
  const running = s.agent.unitWanted && (s.systemd ? s.agent.unitActive === 'active' : s.agent.watchPid !== undefined);
  check(
    'persistence',
    agentOk && unitOk && running,
    s.systemd ? 'the conoha-ipv6 service is enabled and running (re-applies bindings at boot and on container start)' : `the watcher runs (pid ${s.agent.watchPid}, started directly: systemd is not running) and the unit is enabled for boot`,
    !s.agent.sha256 ? `${AGENT_PATH} is not installed` : !agentOk ? `${AGENT_PATH} is outdated` : !unitOk ? `the systemd unit is missing or changed` : !s.agent.unitWanted ? `the conoha-ipv6 unit is not enabled at boot` : `the conoha-ipv6 watcher is not running, so restarted containers lose their address`,
  );
  const probeAddress = s.bindings[0]?.address ?? c.addresses[0];
  const path = judgePath(s, c, probeAddress, o.port);
  const why = (dir: string, v: typeof path.inbound) => `${dir} TCP is ${v.verdict === 'drop' ? 'dropped' : 'possibly dropped'} by ${v.by}`;
  check(
    'firewall',
    path.ok,
    `the firewall lets new TCP connections to and from the addresses through ${br}${s.recorded?.firewall.length ? ` (rules in ${s.recorded.firewall.join(', ')})` : ''}`,
    [path.inbound.verdict !== 'accept' ? why(`inbound (to ${probeAddress} port ${o.port ?? 80})`, path.inbound) : '', path.outbound.verdict !== 'accept' ? why(`outbound (from ${probeAddress})`, path.outbound) : '']
      .filter(Boolean)
      .join('; ') + (s.netfilter.ufwEnabled ? ' (ufw is active: it denies routed traffic unless a "ufw route allow" rule admits it)' : '') + ``,
  );
  for (const a of c.addresses) {
    const addressCheck = (kind: AddressCheckKind, ok: boolean, good: string, bad: string) =>
      checks.push({ id: `${kind}:${a}`, scope: 'address', kind, address: a, ok, message: ok ? good : bad, ...(ok ? {} : { fix: prepare }) });
    const abr = bridgeOfAddress(s, a, br);
    addressCheck('route', hasRoute(s, a, abr), `${a} is routed to ${abr}`, `no route ${a}/128 dev ${abr}`);
    addressCheck('proxy', hasProxy(s, a, up), `${a} is answered for on ${up}`, `no proxy entry for ${a} on ${up}`);
  }
  for (const b of s.bindings) {
    const byId = b.id ? s.docker.containers.find((x) => x.id === b.id) : undefined;
    const k = byId ?? findContainer(s, b.container);
    const bc = (kind: BindingCheckKind, ok: boolean, good: string, bad: string, fix?: Action) => checks.push(bindingCheck(kind, b.address, b.container, ok, ok ? good : bad, fix));
    if (!k || !k.running) {
      if (k) bc('container', false, '', `${k.name} (holding ${b.address}) is ${k.state}: start it, the address comes back by itself`, { id: 'start-container', container: k.name });
      else bc('container', false, '', `${b.container} (holding ${b.address}) no longer exists (removed${b.id ? `; id ${b.id.slice(0, 12)}` : ''}): release ${b.address}, or assign it to another container`, { id: 'release', address: b.address });
      continue;
    }
    if (k.name !== b.container) {
      bc('container', false, '', `${b.container} (holding ${b.address}) was renamed to ${k.name}: it keeps the address, but the record names ${b.container}; release ${b.address}, then assign it to ${k.name} to record the new name`, { id: 'release', address: b.address });
    }
    const net = networkOfBinding(s, b, br);
    const bbr = net?.bridge ?? br;
    const bll = linkLocalOf(s, bbr);
    if (b.network || bbr !== br) {
      const adv = bbr === br ? !!stanza : s.radvd.interfaces.some((i) => i.name === bbr && i.advertises);
      bc(
        'network',
        !!net && adv,
        `${b.address} is on network ${net?.name} (bridge ${bbr}), and radvd advertises there`,
        !net
          ? `the network ${b.network} of ${b.container}'s binding does not exist now (removed?): it comes back when the network and the container are created again, else release ${b.address}`
          : `radvd does not advertise on ${bbr} (network ${net.name}): the agent adds it when the container starts; is the watcher running?`,
        !net ? { id: 'release', address: b.address } : undefined,
      );
    }
    bc('address', k.globalAddresses.includes(b.address), `${b.container} has ${b.address}`, `${b.container} does not have ${b.address}: is the watcher running? Assigning it again re-applies it`, { id: 'assign', container: b.container, address: b.address });
    const ra = k.defaultRoutes.find((r) => r.protocol === 'ra' && (!bll || r.gateway === bll));
    bc(
      'default-route',
      !!ra,
      `${b.container} has its default route from radvd: via ${ra?.gateway} dev ${ra?.dev} proto ra`,
      k.defaultRoutes.length
        ? `${b.container}'s default route is ${k.defaultRoutes.map((r) => `via ${r.gateway} proto ${r.protocol}`).join(', ')}, not from radvd via ${bll}: forwarding=1 inside the container makes it ignore RAs`
        : `${b.container} has no IPv6 default route: is radvd advertising on ${bbr}? (replies cannot leave the container)`,
    );
    const p = s.pings.find((x) => x.address === b.address);
    if (p) bc('ping', p.ok, `the host reaches ${b.address} by ping`, `the host cannot ping ${b.address}: ${p.output.trim().split('\n').slice(-2).join(' ')}`);
    const out = s.probes.find((x) => x.address === b.address);
    if (out) {
      bc(
        'outbound',
        out.ok,
        `${b.container} reaches the probe target from ${b.address}`,
        `${b.container} cannot reach the probe target from ${b.address} (${out.output.trim().split('\n').slice(-1)[0] || 'timed out'}): check the firewall check above, the container's default route, and the host's default route`,
      );
    }
  }
  checks.push(...labelChecks(s, c));
  return checks;
}

/** Why a container's address label cannot be used (both modes): a spelling the host does not write, or not an address. */
export function badLabelMessage(k: { name: string; labels: { canonical?: string } }, label: string, outcome: string): string {
  return k.labels.canonical
    ? `${k.name}'s label ${label} is not written as the host writes its addresses: write it as "${k.labels.canonical}"; refused, ${outcome}`
    : `${k.name}'s label ${label} is neither "auto" nor an IPv6 address: refused, ${outcome}`;
}

/** One check per running container with a conoha-ipv6.address label: does it hold an address, and if not, why the
 * agent refused it (the agent logs the same refusal; nothing was changed). An assign binding wins over a label. */
export function labelChecks(s: HostSnapshot, c: HostConfig): Check[] {
  const out: Check[] = [];
  for (const k of s.docker.containers) {
    const want = k.labels.address ?? (k.labels.badAddress !== undefined ? '' : undefined);
    if (want === undefined || !k.running) continue;
    const check = (ok: boolean, message: string, fix?: Action) => out.push({ id: `label:${k.name}`, scope: 'host', kind: 'label', ok, message, ...(fix && !ok ? { fix } : {}) });
    const label = `${LABELS.address}=${k.labels.address ?? JSON.stringify(k.labels.badAddress)}`;
    const held = s.bindings.find((b) => b.id === k.id) ?? s.bindings.find((b) => !b.id && b.container === k.name);
    if (held) {
      const matchesLabel = want === 'auto' || want === held.address;
      check(
        true,
        held.source === 'label'
          ? `${k.name} holds ${held.address} from its label ${label}`
          : `${k.name} holds ${held.address} by assign${matchesLabel ? '' : `; its label ${label} is not used while that binding stays (assign wins)`}`,
      );
      continue;
    }
    if (k.labels.badAddress !== undefined) {
      check(false, badLabelMessage(k, label, 'nothing bound'));
      continue;
    }
    if (want !== 'auto' && !c.addresses.includes(want)) {
      check(false, `${k.name}'s label ${label} names an address outside this host's set (${c.prefix ?? c.addresses.join(', ')}): refused, nothing bound`);
      continue;
    }
    const holder = want === 'auto' ? undefined : s.bindings.find((b) => b.address === want);
    if (holder) {
      check(false, `${k.name}'s label ${label} conflicts: ${want} is bound to ${holder.container}${holder.source === 'label' ? ' (by its label)' : ''}; refused, nothing changed: give one of them another address`);
      continue;
    }
    if (want === 'auto' && c.addresses.every((a) => s.bindings.some((b) => b.address === a))) {
      check(false, `${k.name}'s label ${label}: every address of the host is bound; refused, nothing bound`);
      continue;
    }
    const named = k.labels.network ? k.attachments.find((a) => a.network === k.labels.network) : defaultAttachment(k, c.bridge);
    if (!named || named.refused) {
      check(false, `${k.name}'s label ${label}: ${named?.refused ?? (k.labels.network ? `it is not on network ${k.labels.network}` : `it is on no bridge network an address can go on (${k.attachments.map((a) => a.refused ?? a.network).join('; ') || 'no network'})`)}; refused, nothing bound`);
      continue;
    }
    check(false, `${k.name} has the label ${label} but holds no address: is the conoha-ipv6 watcher running? (journalctl -u conoha-ipv6 tells why)`, { id: 'prepare' });
  }
  return out;
}
