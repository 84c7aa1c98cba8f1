// Undo Host Setup: back to what previous.json and the backups recorded before the first prepare. The firewall
// rules, the unit and the agent, the routes and proxy entries, the networkd drop-in, radvd.conf byte for byte
// (and radvd's state), the sysctls, and /etc/conoha-ipv6 itself. Refused while addresses are bound, unless the
// user asks to release them first. The host never loses its default route on the way.
import { HostConfig, RefusedError } from './config';
import { AGENT_PATH, Artifacts, Plan, STATE_DIR, SYSCTL_PATH, Step, UNIT_PATH, networkdDropInPath } from './plan';
import { firewallFacts } from './firewall';
import { shq } from './shell';
import { HostSnapshot, defaultRoutes, hasProxy, hasRoute, networkdFileOf } from './snapshot';
import { MARKERS, PATHS, PATTERNS } from './hostContract';
import { l10n } from './l10n';

const SYSCTL_KEY = new RegExp(`^${PATTERNS.sysctlDev.slice(1, -1)}\\.(forwarding|proxy_ndp|accept_ra|disable_ipv6)$`);

/** what record-previous wrote (older versions wrote fewer fields) */
export interface Previous {
  recordedAt?: string;
  uplink?: string;
  bridge?: string;
  sysctl: Record<string, number | undefined>;
  radvdConfExisted: boolean;
  radvdRunning: boolean;
  radvdEnabled?: string;
  /** the ip6tables FORWARD policy, when the host had an ip6 filter table */
  ip6ForwardPolicy?: string;
}

export function parsePrevious(text: string | undefined): Previous | undefined {
  if (!text) return undefined;
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!j || typeof j !== 'object') return undefined;
  const o = j as Record<string, unknown>;
  const sys: Record<string, number | undefined> = {};
  if (o.sysctl && typeof o.sysctl === 'object') {
    for (const [k, v] of Object.entries(o.sysctl as Record<string, unknown>)) {
      if (SYSCTL_KEY.test(k) && Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 2) sys[k] = v as number;
    }
  }
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return {
    recordedAt: str(o.recordedAt),
    uplink: str(o.uplink),
    bridge: str(o.bridge),
    sysctl: sys,
    radvdConfExisted: o.radvdConfExisted === true,
    radvdRunning: o.radvdRunning === true,
    radvdEnabled: str(o.radvdEnabled),
    ip6ForwardPolicy: o.ip6ForwardPolicy === 'DROP' || o.ip6ForwardPolicy === 'ACCEPT' ? o.ip6ForwardPolicy : undefined,
  };
}

export interface UnprepareOptions {
  /** release every bound address first (else a host with bindings is refused) */
  releaseAll?: boolean;
}

export function planUnprepare(s: HostSnapshot, c: HostConfig, art: Artifacts, o: UnprepareOptions = {}): Plan {
  const prev = parsePrevious(s.files.previousJson);
  const known = !!s.recorded || !!s.agent.sha256 || s.files.previous;
  if (!known) throw new RefusedError(l10n.t('{0} was not prepared by conoha-ipv6: nothing to undo', s.hostname));
  if (s.bindings.length && !o.releaseAll) {
    const bound = s.bindings.map((b) => `${b.address} to ${b.container}`).join(', ');
    throw new RefusedError(l10n.t('{0} address(es) are bound on {1} ({2}): release them first, or undo releasing them all', s.bindings.length, s.hostname, bound), [{ id: 'unprepare', releaseAll: true }]);
  }
  const steps: Step[] = [];
  const notes: string[] = [];
  const add = (id: string, title: string, script: string) => steps.push({ id, title, script });
  const up = c.uplink;
  const br = c.bridge;
  const agent = !!s.agent.sha256;

  for (const b of s.bindings) add('unbind', l10n.t('release {0} from {1}', b.address, b.container), `${AGENT_PATH} unbind ${shq(b.address)}`);
  if (agent && s.recorded && (s.recorded.firewall.length || (s.netfilter.ip6tablesSave ?? '').includes(`--comment ${MARKERS.ruleComment}`))) {
    add('firewall', l10n.t('take out the firewall rules prepare added ({0})', s.recorded.firewall.join(', ') || 'ip6tables'), `${AGENT_PATH} unfirewall`);
  }
  const policyNow = firewallFacts({ ip6tablesSave: s.netfilter.ip6tablesSave }).forwardPolicy;
  if (prev?.ip6ForwardPolicy && policyNow && policyNow !== prev.ip6ForwardPolicy) {
    add('forward-policy', forwardPolicyBack(prev.ip6ForwardPolicy, policyNow), `ip6tables -w 10 -P FORWARD ${prev.ip6ForwardPolicy}`);
  }
  const wants = PATHS.unitWants;
  if (s.agent.unit !== undefined || s.agent.unitWanted || s.agent.watchPid !== undefined) {
    add(
      'unit',
      l10n.t('stop and remove the conoha-ipv6 service ({0})', UNIT_PATH),
      [
        s.systemd ? `systemctl disable --now ${PATHS.unitName} >/dev/null 2>&1 || true` : `if [ -x ${AGENT_PATH} ]; then ${AGENT_PATH} stop-watch; fi`,
        `rm -f ${shq(wants)} ${UNIT_PATH}`,
        s.systemd ? 'systemctl daemon-reload' : ':',
      ].join('\n'),
    );
  }
  const addrs = s.recorded?.addresses.length ? s.recorded.addresses : c.addresses;
  const routed = addrs.filter((a) => hasRoute(s, a, br));
  const proxied = addrs.filter((a) => hasProxy(s, a, up));
  if (routed.length || proxied.length) {
    add(
      'routes',
      proxied.length === 1
        ? l10n.t('remove {0} /128 route(s) to {1} and 1 proxy entry on {2}', routed.length, br, up)
        : l10n.t('remove {0} /128 route(s) to {1} and {2} proxy entries on {3}', routed.length, br, proxied.length, up),
      [...routed.map((a) => `ip -6 route del ${shq(a + '/128')} dev ${shq(br)}`), ...proxied.map((a) => `ip -6 neigh del proxy ${shq(a)} dev ${shq(up)}`)].join('\n'),
    );
  }
  const networkFile = networkdFileOf(s, up);
  const dropIn = networkFile ? networkdDropInPath(networkFile) : undefined;
  if (s.files.networkdDropIn !== undefined && dropIn) add('networkd', ...removeDropIn(dropIn));

  // radvd: the file as it was, byte for byte, and the daemon as it was
  if (prev) {
    const restore = s.files.radvdBackup ? `cp -p ${PATHS.radvdBackup} ${PATHS.radvdConf}` : prev.radvdConfExisted ? ':' : `rm -f ${PATHS.radvdConf}`;
    const daemon = prev.radvdRunning
      ? s.systemd ? 'systemctl restart radvd' : 'if [ -x /etc/init.d/radvd ]; then /etc/init.d/radvd restart; else service radvd restart; fi'
      : s.systemd ? 'systemctl stop radvd' : 'if [ -x /etc/init.d/radvd ]; then /etc/init.d/radvd stop; fi';
    const atBoot = s.systemd && prev.radvdEnabled !== undefined && prev.radvdEnabled !== 'enabled' ? '\nsystemctl disable radvd >/dev/null 2>&1 || true' : '';
    const how = s.files.radvdBackup ? l10n.t('from the backup') : prev.radvdConfExisted ? l10n.t('kept') : l10n.t('it did not exist');
    add('radvd', prev.radvdRunning ? l10n.t('put /etc/radvd.conf back as it was ({0}) and radvd running', how) : l10n.t('put /etc/radvd.conf back as it was ({0}) and radvd stopped', how), `${restore}\n${daemon}${atBoot}`);
  } else {
    notes.push(l10n.t('{0}/previous.json is missing or unreadable: radvd.conf and the sysctls stay as they are', STATE_DIR));
  }

  // the sysctls as they were; the default route stays: remove our fallback only beside another default route
  if (prev) {
    const sets = Object.entries(prev.sysctl)
      .filter(([, v]) => v !== undefined)
      // forwarding last: accept_ra and proxy_ndp first, so an RA route is never purged on the way
      .sort(([a], [b]) => Number(a === 'all.forwarding') - Number(b === 'all.forwarding'))
      .map(([k, v]) => {
        const [dev, key] = [k.slice(0, k.lastIndexOf('.')), k.slice(k.lastIndexOf('.') + 1)];
        return `if [ -e ${shq(`/proc/sys/net/ipv6/conf/${dev}/${key}`)} ]; then echo ${v} > ${shq(`/proc/sys/net/ipv6/conf/${dev}/${key}`)}; fi`;
      });
    add('sysctls', l10n.t('set forwarding, accept_ra, proxy NDP and IPv6 on {0} back to their values before the first prepare, and remove {1}', br, SYSCTL_PATH), [...sets, `rm -f ${SYSCTL_PATH}`].join('\n'));
  }
  const fallback = defaultRoutes(s).find((r) => r.dev === up && r.gateway === c.gateway && r.metric === 2048);
  if (fallback) {
    // only beside a default route of the host's own (with the old sysctls an RA route comes back within an RA interval)
    add('default-route', ...removeFallbackRoute(c.gateway, up));
  }
  add('files', l10n.t('remove {0} and {1} (host.conf, bindings, previous.json, backups)', AGENT_PATH, STATE_DIR), `rm -f ${AGENT_PATH}\nrm -rf ${STATE_DIR}`);
  return { steps, notes };
}

// The undo steps both modes share: [title, script].

export const forwardPolicyBack = (before: string, now: string) => l10n.t('set the ip6tables FORWARD policy back to {0} (now {1})', before, now);

export function removeDropIn(dropIn: string): [string, string] {
  return [l10n.t('remove the systemd-networkd drop-in {0}', dropIn), `rm -f ${shq(dropIn)}\nrmdir ${shq(dropIn.replace(/\/[^/]*$/, ''))} 2>/dev/null || true`];
}

/** our fallback default route (metric 2048) goes only once the host has a default route of its own again (with the
 * old sysctls an RA route comes back within an RA interval) */
export function removeFallbackRoute(gateway: string, up: string): [string, string] {
  return [
    l10n.t('remove the fallback default route prepare added (via {0} dev {1} metric 2048) once the host has its own again', gateway, up),
    [
      "own() { ip -6 route show default | grep -v ' metric 2048' | grep -q .; }",
      'for i in $(seq 150); do own && break; sleep 0.1; done',
      `if own; then ip -6 route del default via ${shq(gateway)} dev ${shq(up)} metric 2048; else echo 'no default route of its own came back: the fallback stays, so the host stays reachable'; fi`,
    ].join('\n'),
  ];
}
