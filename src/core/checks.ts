// Verify: named checks with a stable id, judged from one snapshot (taken with pings of the bound addresses).
import { HostConfig } from './config';
import { Action } from './errors';
import { Artifacts, AGENT_PATH, networkdDropInText, ownsAcceptRa, unitText } from './plan';
import { PathVerdict, judgePath } from './firewallPlan';
import { l10n } from './l10n';
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

/** The firewall check's message when the path is not open (both modes): which direction is dropped, or may be, by what. */
export function firewallProblem(path: PathVerdict, address: string, port: number, ufwEnabled: boolean): string {
  const { inbound: i, outbound: o } = path;
  const parts = [
    i.verdict === 'accept' ? '' : i.verdict === 'drop' ? l10n.t('inbound (to {0} port {1}) TCP is dropped by {2}', address, port, i.by) : l10n.t('inbound (to {0} port {1}) TCP is possibly dropped by {2}', address, port, i.by),
    o.verdict === 'accept' ? '' : o.verdict === 'drop' ? l10n.t('outbound (from {0}) TCP is dropped by {1}', address, o.by) : l10n.t('outbound (from {0}) TCP is possibly dropped by {1}', address, o.by),
  ];
  return parts.filter(Boolean).join('; ') + (ufwEnabled ? l10n.t(' (ufw is active: it denies routed traffic unless a "ufw route allow" rule admits it)') : '');
}

/** An address's proxy entry on the uplink (both modes). */
export function proxyCheck(s: HostSnapshot, a: string, up: string): Check {
  const ok = hasProxy(s, a, up);
  return { id: `proxy:${a}`, scope: 'address', kind: 'proxy', address: a, ok, message: ok ? l10n.t('{0} is answered for on {1}', a, up) : l10n.t('no proxy entry for {0} on {1}', a, up), ...(ok ? {} : { fix: { id: 'prepare' } }) };
}

/** The host's ping of a bound address (both modes), when it pinged it. */
export function pingCheck(s: HostSnapshot, address: string, container: string): Check[] {
  const p = s.pings.find((x) => x.address === address);
  if (!p) return [];
  return [bindingCheck('ping', address, container, p.ok, p.ok ? l10n.t('the host reaches {0} by ping', address) : l10n.t('the host cannot ping {0}: {1}', address, p.output.trim().split('\n').slice(-2).join(' ')))];
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
    check('rollback', false, '', l10n.t('a prepare at {0} was not confirmed over a new connection, so the host rolled its network settings back by itself: check that the host stays reachable', s.files.rolledBack.trim()));
  }
  check('forwarding', ...forwardingCheck(s));
  check('proxy-ndp', ...proxyNdpCheck(s, up));
  const route = routeSource(s, up);
  const networkFile = networkdFileOf(s, up);
  if (ownsAcceptRa(s, c)) {
    check('accept-ra', sysctl(s, up, 'accept_ra') === 2, acceptRaGood(up), l10n.t("{0} has accept_ra={1}: with forwarding on, the default route from the provider's RAs will lapse", up, String(sysctl(s, up, 'accept_ra'))));
  } else if (networkFile) {
    check(
      'networkd',
      s.files.networkdDropIn === networkdDropInText(c, route === 'ra'),
      route === 'ra'
        ? l10n.t('systemd-networkd configures {0} ({1}) and keeps proxy NDP for the addresses and RAs while forwarding (drop-in 60-conoha-ipv6.conf)', up, networkFile)
        : l10n.t('systemd-networkd configures {0} ({1}) and keeps proxy NDP for the addresses (drop-in 60-conoha-ipv6.conf)', up, networkFile),
      networkdMissing(up, networkFile),
    );
  } else {
    check('accept-ra', true, l10n.t('the default route via {0} is static: router advertisements are not needed for it', up), '');
  }
  const dflt = defaultRoutes(s);
  const viaGw = dflt.find((r) => r.dev === up && r.gateway === c.gateway);
  check(
    'default-route',
    !!viaGw,
    defaultRouteGood(c.gateway, up, viaGw?.protocol),
    dflt.length
      ? l10n.t("the default route is {0}, not via {1} dev {2}: check the host's gateway and uplink settings", dflt.map((r) => `via ${r.gateway} dev ${r.dev}`).join(', '), c.gateway, up)
      : l10n.t('the host has NO IPv6 default route: outside traffic cannot reach it; add it: ip -6 route add default via {0} dev {1}', c.gateway, up),
    dflt.length ? { id: 'set-host-setting', setting: 'gateway' } : prepare,
  );
  const ll = linkLocalOf(s, br);
  check(
    'bridge',
    !!ll,
    l10n.t('bridge {0} has link-local {1}', br, String(ll)),
    s.links.some((l) => l.name === br) ? l10n.t('bridge {0} has no IPv6 link-local address: IPv6 may be disabled on it', br) : l10n.t('bridge {0} does not exist: is Docker running?', br),
    s.links.some((l) => l.name === br) ? prepare : { id: 'retry' },
  );
  const stanza = s.radvd.interfaces.find((i) => i.name === br && i.advertises);
  const radvdAtBoot = !s.systemd || s.radvd.enabled === 'enabled';
  check(
    'radvd',
    s.radvd.running && !!stanza && radvdAtBoot,
    l10n.t('radvd is running and advertises on {0}', br),
    !s.tools.radvd
      ? l10n.t('radvd is not installed')
      : !stanza
        ? l10n.t('/etc/radvd.conf does not advertise on {0}', br)
        : !s.radvd.running
          ? l10n.t('radvd is not running, so containers get no default route')
          : l10n.t('radvd is not enabled at boot ({0})', s.radvd.enabled),
  );
  const agentOk = s.agent.sha256 === art.agentSha256;
  const unitOk = s.agent.unit === unitText();
  const running = s.agent.unitWanted && (s.systemd ? s.agent.unitActive === 'active' : s.agent.watchPid !== undefined);
  check(
    'persistence',
    agentOk && unitOk && running,
    s.systemd
      ? l10n.t('the conoha-ipv6 service is enabled and running (re-applies bindings at boot and on container start)')
      : l10n.t('the watcher runs (pid {0}, started directly: systemd is not running) and the unit is enabled for boot', String(s.agent.watchPid)),
    !s.agent.sha256
      ? l10n.t('{0} is not installed', AGENT_PATH)
      : !agentOk
        ? l10n.t('{0} is outdated', AGENT_PATH)
        : !unitOk
          ? l10n.t('the systemd unit is missing or changed')
          : !s.agent.unitWanted
            ? l10n.t('the conoha-ipv6 unit is not enabled at boot')
            : l10n.t('the conoha-ipv6 watcher is not running, so restarted containers lose their address'),
  );
  const probeAddress = s.bindings[0]?.address ?? c.addresses[0];
  const path = judgePath(s, c, probeAddress, o.port);
  check(
    'firewall',
    path.ok,
    s.recorded?.firewall.length
      ? l10n.t('the firewall lets new TCP connections to and from the addresses through {0} (rules in {1})', br, s.recorded.firewall.join(', '))
      : l10n.t('the firewall lets new TCP connections to and from the addresses through {0}', br),
    firewallProblem(path, probeAddress, o.port ?? 80, s.netfilter.ufwEnabled),
  );
  for (const a of c.addresses) {
    const abr = bridgeOfAddress(s, a, br);
    const routed = hasRoute(s, a, abr);
    checks.push({ id: `route:${a}`, scope: 'address', kind: 'route', address: a, ok: routed, message: routed ? l10n.t('{0} is routed to {1}', a, abr) : l10n.t('no route {0}/128 dev {1}', a, abr), ...(routed ? {} : { fix: prepare }) });
    checks.push(proxyCheck(s, a, up));
  }
  for (const b of s.bindings) {
    const byId = b.id ? s.docker.containers.find((x) => x.id === b.id) : undefined;
    const k = byId ?? findContainer(s, b.container);
    const bc = (kind: BindingCheckKind, ok: boolean, good: string, bad: string, fix?: Action) => checks.push(bindingCheck(kind, b.address, b.container, ok, ok ? good : bad, fix));
    if (!k || !k.running) {
      if (k) bc('container', false, '', l10n.t('{0} (holding {1}) is {2}: start it, the address comes back by itself', k.name, b.address, k.state), { id: 'start-container', container: k.name });
      else {
        const gone = b.id
          ? l10n.t('{0} (holding {1}) no longer exists (removed; id {2}): release {1}, or assign it to another container', b.container, b.address, b.id.slice(0, 12))
          : l10n.t('{0} (holding {1}) no longer exists (removed): release {1}, or assign it to another container', b.container, b.address);
        bc('container', false, '', gone, { id: 'release', address: b.address });
      }
      continue;
    }
    if (k.name !== b.container) {
      const renamed = l10n.t('{0} (holding {1}) was renamed to {2}: it keeps the address, but the record names {0}; release {1}, then assign it to {2} to record the new name', b.container, b.address, k.name);
      bc('container', false, '', renamed, { id: 'release', address: b.address });
    }
    const net = networkOfBinding(s, b, br);
    const bbr = net?.bridge ?? br;
    const bll = linkLocalOf(s, bbr);
    if (b.network || bbr !== br) {
      const adv = bbr === br ? !!stanza : s.radvd.interfaces.some((i) => i.name === bbr && i.advertises);
      bc(
        'network',
        !!net && adv,
        l10n.t('{0} is on network {1} (bridge {2}), and radvd advertises there', b.address, String(net?.name), bbr),
        !net
          ? l10n.t("the network {0} of {1}'s binding does not exist now (removed?): it comes back when the network and the container are created again, else release {2}", String(b.network), b.container, b.address)
          : l10n.t('radvd does not advertise on {0} (network {1}): the agent adds it when the container starts; is the watcher running?', bbr, net.name),
        !net ? { id: 'release', address: b.address } : undefined,
      );
    }
    const has = k.globalAddresses.includes(b.address);
    bc('address', has, l10n.t('{0} has {1}', b.container, b.address), l10n.t('{0} does not have {1}: is the watcher running? Assigning it again re-applies it', b.container, b.address), { id: 'assign', container: b.container, address: b.address });
    const ra = k.defaultRoutes.find((r) => r.protocol === 'ra' && (!bll || r.gateway === bll));
    bc(
      'default-route',
      !!ra,
      l10n.t('{0} has its default route from radvd: via {1} dev {2} proto ra', b.container, String(ra?.gateway), String(ra?.dev)),
      k.defaultRoutes.length
        ? l10n.t("{0}'s default route is {1}, not from radvd via {2}: forwarding=1 inside the container makes it ignore RAs", b.container, k.defaultRoutes.map((r) => `via ${r.gateway} proto ${r.protocol}`).join(', '), String(bll))
        : l10n.t('{0} has no IPv6 default route: is radvd advertising on {1}? (replies cannot leave the container)', b.container, bbr),
    );
    checks.push(...pingCheck(s, b.address, b.container));
    const out = s.probes.find((x) => x.address === b.address);
    if (out) {
      bc(
        'outbound',
        out.ok,
        l10n.t('{0} reaches the probe target from {1}', b.container, b.address),
        l10n.t("{0} cannot reach the probe target from {1} ({2}): check the firewall check above, the container's default route, and the host's default route", b.container, b.address, out.output.trim().split('\n').slice(-1)[0] || l10n.t('timed out')),
      );
    }
  }
  checks.push(...labelChecks(s, c));
  return checks;
}

/** Why a container's address label cannot be used (both modes): a spelling the host does not write, or not an address;
 * `outcome` is what became of it, in the user's words ("nothing bound", "nothing changed"). */
export function badLabelMessage(k: { name: string; labels: { canonical?: string } }, label: string, outcome: string): string {
  return k.labels.canonical
    ? l10n.t('{0}\'s label {1} is not written as the host writes its addresses: write it as "{2}"; refused, {3}', k.name, label, k.labels.canonical, outcome)
    : l10n.t('{0}\'s label {1} is neither "auto" nor an IPv6 address: refused, {2}', k.name, label, outcome);
}

// The host checks both modes word alike.
export const forwardingCheck = (s: HostSnapshot): [boolean, string, string] => {
  const v = sysctl(s, 'all', 'forwarding');
  return [v === 1, l10n.t('IPv6 forwarding is on'), l10n.t('IPv6 forwarding is off (net.ipv6.conf.all.forwarding={0})', String(v))];
};
export const proxyNdpCheck = (s: HostSnapshot, up: string): [boolean, string, string] => [
  sysctl(s, up, 'proxy_ndp') === 1,
  l10n.t('proxy NDP is on for {0}', up),
  l10n.t("proxy NDP is off on {0}: the router's neighbour solicitations for the addresses go unanswered", up),
];
export const acceptRaGood = (up: string) => l10n.t('{0} accepts router advertisements while forwarding (accept_ra=2)', up);
export const networkdMissing = (up: string, file: string) => l10n.t('systemd-networkd configures {0} ({1}) without our drop-in: its next restart resets proxy NDP on {0}', up, file);
export const defaultRouteGood = (gateway: string, up: string, protocol: string | undefined) =>
  protocol ? l10n.t('default route via {0} dev {1} ({2})', gateway, up, protocol) : l10n.t('default route via {0} dev {1}', gateway, up);

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
          ? l10n.t('{0} holds {1} from its label {2}', k.name, held.address, label)
          : matchesLabel
            ? l10n.t('{0} holds {1} by assign', k.name, held.address)
            : l10n.t('{0} holds {1} by assign; its label {2} is not used while that binding stays (assign wins)', k.name, held.address, label),
      );
      continue;
    }
    if (k.labels.badAddress !== undefined) {
      check(false, badLabelMessage(k, label, l10n.t('nothing bound')));
      continue;
    }
    if (want !== 'auto' && !c.addresses.includes(want)) {
      check(false, l10n.t("{0}'s label {1} names an address outside this host's set ({2}): refused, nothing bound", k.name, label, c.prefix ?? c.addresses.join(', ')));
      continue;
    }
    const holder = want === 'auto' ? undefined : s.bindings.find((b) => b.address === want);
    if (holder) {
      check(
        false,
        holder.source === 'label'
          ? l10n.t("{0}'s label {1} conflicts: {2} is bound to {3} (by its label); refused, nothing changed: give one of them another address", k.name, label, want, holder.container)
          : l10n.t("{0}'s label {1} conflicts: {2} is bound to {3}; refused, nothing changed: give one of them another address", k.name, label, want, holder.container),
      );
      continue;
    }
    if (want === 'auto' && c.addresses.every((a) => s.bindings.some((b) => b.address === a))) {
      check(false, l10n.t("{0}'s label {1}: every address of the host is bound; refused, nothing bound", k.name, label));
      continue;
    }
    const named = k.labels.network ? k.attachments.find((a) => a.network === k.labels.network) : defaultAttachment(k, c.bridge);
    if (!named || named.refused) {
      const why =
        named?.refused ??
        (k.labels.network
          ? l10n.t('it is not on network {0}', k.labels.network)
          : l10n.t('it is on no bridge network an address can go on ({0})', k.attachments.map((a) => a.refused ?? a.network).join('; ') || l10n.t('no network')));
      check(false, l10n.t("{0}'s label {1}: {2}; refused, nothing bound", k.name, label, why));
      continue;
    }
    check(false, l10n.t('{0} has the label {1} but holds no address: is the conoha-ipv6 watcher running? (journalctl -u conoha-ipv6 tells why)', k.name, label), { id: 'prepare' });
  }
  return out;
}
