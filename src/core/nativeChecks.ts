// Verify in docker mode: what a user's packets need, judged from one snapshot and the docker-mode facts. Host checks
// (forwarding, the RA default route, proxy NDP, the Docker network, persistence, the firewall), a proxy check per
// address, and per container on the network: it runs, holds its fixed address, has its default route via the bridge,
// and answers a ping from the host. The TCP connection from the provider side is added by the operation.
import { Action } from './errors';
import { Check, HostCheckKind, acceptRaGood, badLabelMessage, bindingCheck, defaultRouteGood, firewallProblem, forwardingCheck, networkdMissing, pingCheck, proxyCheck, proxyNdpCheck } from './checks';
import { l10n } from './l10n';
import { HostConfig } from './config';
import { judgePath } from './firewallPlan';
import { NATIVE, NativeArtifacts, NativeFacts, engineOf, nativeConfText, nativeHolder, nativeSetup, nativeUnitText, networkProblems } from './nativePlan';
import { LABELS } from './hostContract';
import { networkdDropInText, ownsAcceptRa } from './plan';
import { HostSnapshot, defaultRoutes, findContainer, networkdFileOf, routeSource, sysctl } from './snapshot';

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
    check(
      'mode',
      f.confText === want,
      l10n.t('prepared in docker mode for {0} ({1})', f.conf.prefix, NATIVE.conf),
      l10n.t('{0} records another setup than this host needs now (uplink, addresses or firewall changed): prepare again', NATIVE.conf),
    );
  } else check('mode', false, '', l10n.t('{0} is not prepared in docker mode ({1} is missing)', s.hostname, NATIVE.conf));
  check('forwarding', ...forwardingCheck(s));
  check('proxy-ndp', ...proxyNdpCheck(s, up));
  const networkFile = networkdFileOf(s, up);
  if (ownsAcceptRa(s, c)) {
    const bad = l10n.t("{0} has accept_ra={1}: with forwarding on (Docker turns it on for an IPv6 network), the default route from the provider's RAs lapses", up, String(sysctl(s, up, 'accept_ra')));
    check('accept-ra', sysctl(s, up, 'accept_ra') === 2, acceptRaGood(up), bad);
  } else if (networkFile) {
    const want = networkdDropInText(c, routeSource(s, up) === 'ra');
    check('networkd', s.files.networkdDropIn === want, l10n.t('systemd-networkd configures {0} and keeps proxy NDP for the addresses (drop-in)', up), networkdMissing(up, networkFile));
  }
  const viaGw = defaultRoutes(s).find((r) => r.dev === up && r.gateway === c.gateway);
  check('default-route', !!viaGw, defaultRouteGood(c.gateway, up, viaGw?.protocol), l10n.t('the host has no IPv6 default route via {0} dev {1}: outside traffic cannot come back', c.gateway, up));
  const engine = prefix ? engineOf(s, prefix) : undefined;
  const n = f.network;
  const problems = n && prefix && engine ? networkProblems(n, prefix, engine) : [];
  check(
    'network',
    !!n && problems.length === 0 && n.labels['conoha-ipv6.mode'] === 'docker',
    engine?.routed
      ? l10n.t('Docker network {0} has {1} on bridge {2}, IPv6 gateway mode routed', NATIVE.network, String(prefix), NATIVE.bridge)
      : l10n.t('Docker network {0} has {1} on bridge {2}', NATIVE.network, String(prefix), NATIVE.bridge),
    !n
      ? l10n.t('Docker network {0} does not exist', NATIVE.network)
      : problems.length
        ? l10n.t('Docker network {0} is not right: {1}', NATIVE.network, problems.join('; '))
        : l10n.t('Docker network {0} was not created by conoha-ipv6', NATIVE.network),
  );
  const unitOk = f.unit === nativeUnitText() && f.unitWanted && f.unitActive === 'active';
  check(
    'persistence',
    f.agentSha256 === art.agentSha256 && unitOk,
    l10n.t('{0} is enabled and ran after docker started (proxy entries and firewall rules come back at boot); Docker keeps the addresses itself', NATIVE.unitName),
    f.agentSha256 !== art.agentSha256
      ? f.agentSha256
        ? l10n.t('{0} is outdated', NATIVE.agent)
        : l10n.t('{0} is not installed', NATIVE.agent)
      : !f.unitWanted
        ? l10n.t('{0} is not enabled', NATIVE.unitName)
        : l10n.t('{0} is {1} (or changed)', NATIVE.unitName, f.unitActive || l10n.t('not active')),
  );
  const first = f.endpoints.find((e) => e.fixed)?.fixed ?? (engine ? c.addresses.find((a) => !engine.reserved.includes(a)) : undefined) ?? c.addresses[0];
  const path = judgePath(s, { ...c, bridge: NATIVE.bridge }, first, o.port);
  check(
    'firewall',
    path.ok,
    f.conf?.firewall.length
      ? l10n.t('the firewall lets new TCP connections to and from {0} through {1} (rules in {2})', String(prefix), NATIVE.bridge, f.conf.firewall.join(', '))
      : l10n.t('the firewall lets new TCP connections to and from {0} through {1}', String(prefix), NATIVE.bridge),
    firewallProblem(path, first, o.port ?? 80, s.netfilter.ufwEnabled),
  );
  for (const a of f.conf?.addresses ?? c.addresses) checks.push(proxyCheck(s, a, up));
  for (const e of f.endpoints) {
    const address = e.fixed ?? e.address ?? '';
    const bc = (kind: Parameters<typeof bindingCheck>[0], ok: boolean, good: string, bad: string, fix?: Action) => checks.push(bindingCheck(kind, address, e.container, ok, ok ? good : bad, fix));
    if (!e.fixed) {
      const loose = l10n.t('{0} is on {1} without a fixed address ({2}): Docker may give it another one after a restart; assign it again', e.container, NATIVE.network, e.address ?? l10n.t('none'));
      bc('address', false, '', loose, { id: 'assign', container: e.container });
    }
    const k = findContainer(s, e.container);
    if (!k || !k.running) {
      const stopped = k
        ? l10n.t('{0} (holding {1}) is {2}: start it, Docker gives it the address back', e.container, address, k.state)
        : l10n.t('{0} (holding {1}) is gone: start it, Docker gives it the address back', e.container, address);
      bc('container', false, '', stopped, { id: 'start-container', container: e.container });
      continue;
    }
    const has = k.globalAddresses.includes(address);
    bc('address', has, l10n.t('{0} has {1}', e.container, address), l10n.t('{0} does not have {1} in its network namespace', e.container, address), { id: 'assign', container: e.container, address });
    const gw = engine?.reserved[1];
    const r = k.defaultRoutes.find((x) => x.gateway === gw);
    bc(
      'default-route',
      !!r,
      l10n.t("{0}'s IPv6 default route is via {1} (the {2} bridge)", e.container, String(gw), NATIVE.bridge),
      l10n.t('{0} has no IPv6 default route via {1} ({2}): replies cannot leave it', e.container, String(gw), k.defaultRoutes.map((x) => `via ${x.gateway}`).join(', ') || l10n.t('none')),
    );
    checks.push(...pingCheck(s, address, e.container));
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
      check(
        true,
        want === 'auto' || want === held
          ? l10n.t('{0} is on {1} with {2} (its label {3})', k.name, NATIVE.network, held, label)
          : l10n.t('{0} is on {1} with {2}; its label {3} is not used while it is there (assign wins)', k.name, NATIVE.network, held, label),
      );
      continue;
    }
    if (k.labels.badAddress !== undefined) {
      check(false, badLabelMessage(k, label, l10n.t('nothing changed')));
      continue;
    }
    if (want !== 'auto' && !addresses.includes(want)) {
      check(false, l10n.t("{0}'s label {1} names an address outside this host's set ({2}): refused, nothing changed", k.name, label, f.conf?.prefix ?? c.prefix ?? addresses.join(', ')));
      continue;
    }
    if (want !== 'auto' && reserved.includes(want)) {
      check(false, l10n.t("{0}'s label {1} names one of Docker's own addresses on {2} ({3}): refused, nothing changed", k.name, label, NATIVE.network, reserved.join(', ')));
      continue;
    }
    const holder = want === 'auto' ? undefined : nativeHolder(f, want);
    if (holder) {
      check(false, l10n.t("{0}'s label {1} conflicts: {2} is held by {3}; refused, nothing changed: give one of them another address", k.name, label, want, holder.container));
      continue;
    }
    if (want === 'auto' && addresses.every((a) => reserved.includes(a) || nativeHolder(f, a))) {
      check(false, l10n.t("{0}'s label {1}: every container address of the host is taken; refused, nothing changed", k.name, label));
      continue;
    }
    check(false, l10n.t('{0} has the label {1} but is not on {2}: is {3} running? (journalctl -u {3} tells why)', k.name, label, NATIVE.network, NATIVE.unitName), { id: 'prepare' });
  }
  return out;
}
