// Planning: compare a host's snapshot with what it should be, and list only the steps that change something.
// A plan is shown before it runs (--dry-run shows nothing else); a second prepare on a prepared host is empty.
import { HostConfig } from './config';
import { Action, RefusedError } from './errors';
import { desiredRadvdConf } from './radvdConf';
import { shq, validateContainerName } from './shell';
import { inPrefix, normalizeAddress } from './derive';
import { HostSnapshot, Attachment, Binding, ContainerView, bridgeOfAddress, defaultAttachment, defaultRoutes, findContainer, hasProxy, hasRoute, holderOf, networkdFileOf, routeSource, sysctl } from './snapshot';
import { FirewallPlan, planFirewall } from './firewallPlan';
import { firewallFacts } from './firewall';
import { NETWORK_STEPS, ROLLED_BACK, armScript } from './rollback';
import { LABELS, PATHS, matches } from './hostContract';
import { writeHostConf } from './hostState';
import { l10n } from './l10n';

export const AGENT_PATH = PATHS.agent;
export const UNIT_PATH = PATHS.unit;
export const STATE_DIR = PATHS.stateDir;
export const SYSCTL_PATH = PATHS.sysctlConf;

export interface Step {
  /** stable id, e.g. "forwarding", "routes" */
  id: string;
  /** what it changes, in words, with the current value */
  title: string;
  /** bash run as root on the host; every value in it is validated and quoted */
  script: string;
  /** why the step is needed, in one plain sentence for someone who does not know IPv6 routing terms */
  why?: string;
  /** the files the step writes, with their full content (the script carries them encoded) */
  files?: StepFile[];
}

export interface StepFile {
  path: string;
  /** octal, e.g. "0644" */
  mode: string;
  content: string;
}

export interface Plan {
  steps: Step[];
  /** things the user should know that do not stop the plan */
  notes: string[];
}

/** What the tool installs on a host: the agent script (and its sha256), produced by the host layer. */
export interface Artifacts {
  agent: string;
  agentSha256: string;
}

export function unitText(): string {
  return [
    '[Unit]',
    'Description=conoha-ipv6: re-apply container IPv6 addresses, routes and proxy NDP entries',
    'Documentation=https://www.npmjs.com/package/conoha-ipv6',
    'After=network-online.target docker.service',
    'Wants=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${AGENT_PATH} watch`,
    'Restart=always',
    'RestartSec=2',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

/** What prepare records about how it set the host up, besides the config itself. */
export interface HostSetup {
  /** where the default route comes from */
  route: 'ra' | 'static';
  firewall: FirewallPlan;
  /** the ip6tables FORWARD policy the host had before us, kept by the agent: Docker 28 sets DROP only when it turns
   * forwarding on itself, so with our sysctl turning it on at boot the host would come up with ACCEPT */
  forwardPolicy?: 'DROP' | 'ACCEPT';
}

/** host.conf, in the one format of hostState.ts (read by the agent's civ6_conf_load and by parseHostConf) */
export function hostConfText(c: HostConfig, h: HostSetup): string {
  return writeHostConf({
    uplink: c.uplink,
    bridge: c.bridge,
    gateway: c.gateway,
    addresses: c.addresses,
    route: h.route,
    allow: h.firewall.allow,
    firewall: h.firewall.mechanisms,
    forwardPolicy: h.forwardPolicy,
  });
}

export function hostSetup(s: HostSnapshot, c: HostConfig): HostSetup {
  const now = firewallFacts({ ip6tablesSave: s.netfilter.ip6tablesSave }).forwardPolicy;
  const recorded = s.recorded?.forwardPolicy;
  const forwardPolicy = recorded === 'DROP' || recorded === 'ACCEPT' ? recorded : now === 'DROP' || now === 'ACCEPT' ? now : undefined;
  return { route: routeSource(s, c.uplink), firewall: planFirewall(s, c), forwardPolicy };
}

/** sysctl.d keys name interfaces with '/' for '.', as sysctl(8) does (eth0.100 is eth0/100) */
const sysctlDev = (dev: string) => dev.replace(/\./g, '/');

/** accept_ra is ours to set only when the kernel itself takes the default route from RAs: not when the route is
 * static, and not when systemd-networkd runs the uplink (it handles RAs itself and keeps the kernel's at 0). */
export function ownsAcceptRa(s: HostSnapshot, c: HostConfig): boolean {
  return routeSource(s, c.uplink) === 'ra' && !networkdFileOf(s, c.uplink);
}

export function sysctlConfText(c: HostConfig, acceptRa: boolean): string {
  return [
    '# conoha-ipv6: route container addresses and answer neighbour solicitations for them.',
    ...(acceptRa
      ? ['# accept_ra=2 keeps the default route from the provider\'s router advertisements while forwarding.', `net.ipv6.conf.${sysctlDev(c.uplink)}.accept_ra = 2`]
      : []),
    'net.ipv6.conf.all.forwarding = 1',
    `net.ipv6.conf.${sysctlDev(c.uplink)}.proxy_ndp = 1`,
    '',
  ].join('\n');
}

/** A drop-in for the uplink's .network file, so that systemd-networkd itself keeps proxy NDP (and RAs while
 * forwarding) when it reconfigures the link: it would otherwise reset proxy_ndp at its next restart. */
export function networkdDropInText(c: HostConfig, acceptRa: boolean): string {
  return [
    '# written by conoha-ipv6 prepare: keep answering neighbour solicitations for the container addresses',
    '[Network]',
    'IPv6ProxyNDP=yes',
    ...c.addresses.map((a) => `IPv6ProxyNDPAddress=${a}`),
    ...(acceptRa ? ['# the default route comes from router advertisements: keep taking them while forwarding', 'IPv6AcceptRA=yes'] : []),
    '',
  ].join('\n');
}

const NETWORK_FILE = /^\/(etc|run|usr\/lib|lib|usr\/local\/lib)\/systemd\/network\/([A-Za-z0-9_.@-]{1,200}\.network)$/;
export function networkdDropInPath(networkFile: string): string | undefined {
  const m = NETWORK_FILE.exec(networkFile);
  return m ? `/etc/systemd/network/${m[2]}.d/${PATHS.networkdDropInName}` : undefined;
}

/** bash: write base64 content to a file atomically with a mode (civ6_write comes with the generated preamble) */
function writeFile(path: string, content: string, mode: string): string {
  return `civ6_write ${shq(path)} ${mode} ${shq(Buffer.from(content).toString('base64'))}`;
}

/** a file a step writes: the script line, and the file as the plan shows it */
function fileStep(path: string, content: string, mode: string): { script: string; file: StepFile } {
  return { script: writeFile(path, content, mode), file: { path, mode, content } };
}

function setSysctl(dev: string, key: string, value: number): string {
  return `echo ${value} > ${shq(`/proc/sys/net/ipv6/conf/${dev}/${key}`)}`;
}

/** Reasons prepare cannot run at all on this host (each with what to do); empty when it can. */
/** With a rollback window, an "arm a rollback" step before the first step that can cut the connection (those
 * `isNetwork` names): if the change locks us out, the host undoes it by itself. Both modes' plans use it. */
export function armRollbackBefore(steps: Step[], s: HostSnapshot, c: HostConfig, seconds: number | undefined, isNetwork: (id: string) => boolean): void {
  const first = steps.findIndex((x) => isNetwork(x.id));
  if (first < 0 || !seconds) return;
  steps.splice(first, 0, {
    id: 'arm-rollback',
    title: l10n.t('arm a rollback: unless a new connection confirms the change within {0} s, the host restores its forwarding, accept_ra, proxy NDP and default route by itself', seconds),
    script: armScript(s, c, seconds),
    why: l10n.t('If the changes below cut this connection to the host, the host undoes them by itself after that time, so you are not locked out.'),
  });
}

/** Why prepare cannot go on, each with what the user can do about it (if there is one thing). */
export interface Blocker {
  message: string;
  fix?: Action;
}

export function prepareBlockers(s: HostSnapshot, c: HostConfig): Blocker[] {
  const blockers: Blocker[] = [];
  const out = { push: (message: string, fix?: Action) => blockers.push({ message, ...(fix ? { fix } : {}) }) };
  if (!s.tools.ip) out.push(noIp());
  if (!s.tools.nsenter) out.push(l10n.t('nsenter is missing on the host: install util-linux'));
  if (!s.tools.docker) out.push(l10n.t('docker is not installed on the host: install Docker first (e.g. apt-get install docker.io)'));
  else if (!s.docker.ok) out.push(dockerSilent(s));
  if (!s.links.some((l) => l.name === c.bridge)) out.push(l10n.t('bridge {0} does not exist on the host: start Docker, or name the bridge Docker uses', c.bridge), { id: 'set-host-setting', setting: 'bridge' });
  if (!s.tools.radvd && !s.tools.apt) out.push(l10n.t("radvd is not installed and this host has no apt-get: install radvd with the host's package manager"), { id: 'retry' });
  // forwarding drops every RA-learned default route on an interface without accept_ra=2: preparing another
  // interface than the one the route comes from would cut the host off (and the fallback route would go out
  // the wrong interface)
  const raElsewhere = [...new Set(defaultRoutes(s).flatMap((r) => (r.protocol === 'ra' && r.dev && r.dev !== c.uplink ? [r.dev] : [])))];
  if (raElsewhere.length && sysctl(s, 'all', 'forwarding') !== 1) {
    const why = l10n.t(
      'the default route comes from router advertisements on {0}, not on {1}: turning forwarding on would drop it and cut the host off; prepare the uplink that carries the default route ({2}), or leave the uplink unset so it is found by itself',
      raElsewhere.join(', '),
      c.uplink,
      raElsewhere[0],
    );
    out.push(why, { id: 'set-host-setting', setting: 'interface' });
  }
  // the set must be on the uplink's own prefix (the provider routes only that to this host), and no other machine
  // on the link may be answering for one of the addresses already: proxying it would capture a neighbour's traffic
  const onLink = s.routes.filter((r) => r.dev === c.uplink && !r.gateway && r.dst.includes('/') && r.dst !== 'default' && !r.dst.startsWith('fe80:'));
  const ownNets = s.addresses.filter((x) => x.dev === c.uplink && x.scope === 'global').map((x) => `${x.address}/64`);
  const offPrefix = c.addresses.filter((a) => !onLink.some((r) => inPrefix(a, r.dst)) && !ownNets.some((n) => inPrefix(a, n)));
  if (offPrefix.length) {
    const nets = onLink.map((r) => r.dst).join(', ') || l10n.t('none');
    const why =
      offPrefix.length === c.addresses.length
        ? l10n.t("the addresses are not on {0}'s prefix ({1}): the provider routes only that prefix to this host; check the address set", c.uplink, nets)
        : offPrefix.length === 1
          ? l10n.t("{0} is not on {1}'s prefix ({2}): the provider routes only that prefix to this host; check the address set", offPrefix[0], c.uplink, nets)
          : l10n.t("{0} are not on {1}'s prefix ({2}): the provider routes only that prefix to this host; check the address set", offPrefix.join(', '), c.uplink, nets);
    out.push(why, { id: 'set-host-setting', setting: 'addresses' });
  }
  const taken = c.addresses.filter((a) => s.neighbours.some((n) => n.address === a && n.dev === c.uplink && n.lladdr));
  if (taken.length) {
    const why =
      taken.length === 1
        ? l10n.t('another machine on {0} answers for {1} (in the neighbour table): proxying it would capture its traffic; check the address set', c.uplink, taken[0])
        : l10n.t('another machine on {0} answers for {1} (in the neighbour table): proxying them would capture its traffic; check the address set', c.uplink, taken.join(', '));
    out.push(why, { id: 'set-host-setting', setting: 'addresses' });
  }
  const conflict = desiredRadvdConf(s.radvd.conf, c.bridge).conflict;
  if (conflict) out.push(conflict);
  const dropped = (s.recorded?.addresses ?? []).filter((a) => !c.addresses.includes(a));
  for (const b of s.bindings) {
    if (dropped.includes(b.address)) out.push(l10n.t('{0} is bound to {1} but not in the new address set: release it first', b.address, b.container), { id: 'release', address: b.address });
  }
  return blockers;
}

// what stops prepare in both modes, worded alike
export const noIp = () => l10n.t('the "ip" command (iproute2) is missing on the host: install iproute2');
export const dockerSilent = (s: HostSnapshot) => l10n.t('docker does not answer on the host ({0}): start it (systemctl start docker)', s.docker.error || l10n.t('no error text'));
/** the refusal of a prepare that cannot run: what stops it, one reason a line */
export const cannotPrepare = (host: string, reasons: string[], dockerMode = false) =>
  (dockerMode ? l10n.t('cannot prepare {0} in docker mode:', host) : l10n.t('cannot prepare {0}:', host)) + `\n  - ${reasons.join('\n  - ')}`;

const watcherWhy = () => l10n.t("Starts the script on the host now, so it puts each container's address back from this moment on.");

export interface PlanOptions {
  /** commit-confirmed: arm a rollback that fires after this many seconds unless a new connection confirms */
  rollbackSeconds?: number;
}

export function planHostSetup(s: HostSnapshot, c: HostConfig, art: Artifacts, opts: PlanOptions = {}): Plan {
  const blockers = prepareBlockers(s, c);
  if (blockers.length) {
    throw new RefusedError(
      cannotPrepare(s.hostname, blockers.map((b) => b.message)),
      blockers.flatMap((b) => (b.fix ? [b.fix] : [])),
    );
  }
  const steps: Step[] = [];
  const notes: string[] = [];
  const add = (id: string, title: string, script: string, why: string, files?: StepFile[]) => steps.push({ id, title, script, why, ...(files?.length ? { files } : {}) });
  const up = c.uplink;
  const br = c.bridge;

  if (!s.files.previous) {
    const previous = {
      recordedAt: new Date().toISOString(),
      uplink: up,
      bridge: br,
      sysctl: {
        'all.forwarding': sysctl(s, 'all', 'forwarding'),
        [`${up}.proxy_ndp`]: sysctl(s, up, 'proxy_ndp'),
        [`${up}.accept_ra`]: sysctl(s, up, 'accept_ra'),
        [`${br}.disable_ipv6`]: sysctl(s, br, 'disable_ipv6'),
      },
      defaultRoutes: defaultRoutes(s),
      radvdConfExisted: s.radvd.conf !== undefined,
      radvdRunning: s.radvd.running,
      radvdEnabled: s.radvd.enabled,
      ip6ForwardPolicy: firewallFacts({ ip6tablesSave: s.netfilter.ip6tablesSave }).forwardPolicy ?? null,
      radvdInstalled: s.tools.radvd,
    };
    const f = fileStep(PATHS.previousJson, JSON.stringify(previous, null, 2) + '\n', '0644');
    add(
      'record-previous',
      s.radvd.conf !== undefined
        ? l10n.t("record the host's state before any change in {0} (and a copy of {1})", PATHS.previousJson, PATHS.radvdConf)
        : l10n.t("record the host's state before any change in {0}", PATHS.previousJson),
      [s.radvd.conf !== undefined ? `mkdir -p ${PATHS.backupDir} && cp -p ${PATHS.radvdConf} ${PATHS.radvdBackup}` : ':', f.script].join('\n'),
      l10n.t('Notes how the host was set up before any change, so that unprepare can put everything back the way it was.'),
      [f.file],
    );
  }

  if (sysctl(s, br, 'disable_ipv6') === 1) {
    add(
      'bridge-ipv6',
      l10n.t('enable IPv6 on {0} (disable_ipv6 is 1; newer Docker turns it off on IPv4-only bridges)', br),
      setSysctl(br, 'disable_ipv6', 0),
      l10n.t('Docker switched IPv6 off on the network the containers are attached to; it has to be on before any container can use an IPv6 address.'),
    );
  }
  const setup = hostSetup(s, c);
  const { route, firewall } = setup;
  const acceptRa = ownsAcceptRa(s, c);
  if (acceptRa && sysctl(s, up, 'accept_ra') !== 2) {
    add(
      'accept-ra',
      l10n.t('keep accepting router advertisements on {0} while forwarding: accept_ra=2 (now {1})', up, String(sysctl(s, up, 'accept_ra'))),
      setSysctl(up, 'accept_ra', 2),
      l10n.t("Turning forwarding on (next) would make Linux ignore the provider's router announcements and drop the host's way out to the internet they give it; this keeps it listening, so the host stays reachable."),
    );
  }
  const ensureDefault =
    // metric 2048: a later RA route (1024) or the network manager's own is installed beside it, not refused as a duplicate
    `if [ -z "$(ip -6 route show default)" ]; then ip -6 route add default via ${shq(c.gateway)} dev ${shq(up)} metric 2048; fi\n` +
    `ip -6 route show default | grep -q . || { echo 'no default route: turning forwarding off again so the host stays reachable'; echo 0 > /proc/sys/net/ipv6/conf/all/forwarding; exit 1; }\n` +
    'ip -6 route show default';
  if (sysctl(s, 'all', 'forwarding') !== 1) {
    add(
      'forwarding',
      l10n.t('turn on IPv6 forwarding: net.ipv6.conf.all.forwarding=1 (now {0}), keeping the default route via {1} dev {2}', String(sysctl(s, 'all', 'forwarding')), c.gateway, up),
      `${setSysctl('all', 'forwarding', 1)}\nsleep 0.2\n${ensureDefault}`,
      l10n.t('Lets the host pass traffic between the internet and the containers; without it, traffic for their addresses stops at the host. If the host loses its own way out to the internet, the step turns this off again.'),
    );
  } else if (defaultRoutes(s).length === 0) {
    add(
      'default-route',
      l10n.t('restore the lost default route: default via {0} dev {1}', c.gateway, up),
      ensureDefault,
      l10n.t("The host has no way out to the internet over IPv6 right now; this puts back the route through the provider's router."),
    );
  }
  if (sysctl(s, up, 'proxy_ndp') !== 1) {
    add(
      'proxy-ndp',
      l10n.t('answer neighbour solicitations for the addresses on {0}: proxy_ndp=1 (now {1})', up, String(sysctl(s, up, 'proxy_ndp'))),
      setSysctl(up, 'proxy_ndp', 1),
      l10n.t("The provider's router asks on the network who has each address; with this on, the host answers for the containers' addresses, so their traffic is sent to this host."),
    );
  }
  if (s.files.sysctlConf !== sysctlConfText(c, acceptRa)) {
    const f = fileStep(SYSCTL_PATH, sysctlConfText(c, acceptRa), '0644');
    add('sysctl-conf', l10n.t('persist the sysctls in {0}', SYSCTL_PATH), f.script, l10n.t('Settings changed directly are lost at the next reboot; this file makes the host set them again at every boot.'), [f.file]);
  }
  const networkFile = networkdFileOf(s, up);
  if (networkFile) {
    const dropIn = networkdDropInPath(networkFile);
    if (!dropIn) notes.push(l10n.t('systemd-networkd configures {0} from {1}, a path this tool does not write a drop-in for: after "systemctl restart systemd-networkd" the agent re-applies proxy NDP.', up, JSON.stringify(networkFile)));
    else if (s.files.networkdDropIn !== networkdDropInText(c, route === 'ra')) {
      const f = fileStep(dropIn, networkdDropInText(c, route === 'ra'), '0644');
      add(
        'networkd',
        route === 'ra'
          ? l10n.t('tell systemd-networkd, which configures {0}, to keep proxy NDP for the addresses and to keep accepting RAs while forwarding: {1} (applies when networkd next reconfigures {0}; nothing is reloaded now)', up, dropIn)
          : l10n.t('tell systemd-networkd, which configures {0}, to keep proxy NDP for the addresses: {1} (applies when networkd next reconfigures {0}; nothing is reloaded now)', up, dropIn),
        f.script,
        l10n.t("systemd-networkd manages {0} and would undo the host's answering for the containers' addresses the next time it sets the link up; this tells it to keep it.", up),
        [f.file],
      );
    }
  }

  if (!s.tools.radvd) {
    add(
      'radvd-install',
      l10n.t('install radvd (apt-get install radvd)'),
      'DEBIAN_FRONTEND=noninteractive apt-get install -y -q radvd </dev/null 2>&1 | tail -n 3; test -x /usr/sbin/radvd',
      l10n.t('radvd is the small program that tells the containers where their way out to the internet is; it is not installed yet.'),
    );
  }
  const radvd = desiredRadvdConf(s.radvd.conf, br);
  const radvdChanges = radvd.text !== (s.radvd.conf ?? '');
  if (radvdChanges) {
    // every change keeps the file it replaces (the five newest), besides the original kept by record-previous
    const keep = s.radvd.conf !== undefined
      ? `mkdir -p ${PATHS.backupDir} && cp -p ${PATHS.radvdConf} "${PATHS.radvdBackup}.$(date -u +%Y%m%dT%H%M%S%N)" && ls -1t ${PATHS.radvdBackup}.2* | tail -n +6 | xargs -r rm -f\n`
      : '';
    const f = fileStep(PATHS.radvdConf, radvd.text, '0644');
    add(
      'radvd-conf',
      s.radvd.conf
        ? l10n.t('advertise a default route to containers: add "interface {0} { AdvSendAdvert on; };" to /etc/radvd.conf (other stanzas kept)', br)
        : l10n.t('advertise a default route to containers: add "interface {0} { AdvSendAdvert on; };" to /etc/radvd.conf', br),
      keep + f.script,
      l10n.t("Tells radvd to announce on {0}, the containers' network, that this host is their way out, so the containers send their internet traffic to it.", br),
      [f.file],
    );
  }
  if (s.systemd && s.tools.radvd && s.radvd.running && !radvdChanges && s.radvd.enabled !== 'enabled') {
    add(
      'radvd-enable',
      l10n.t('start radvd at boot: systemctl enable radvd (now {0})', s.radvd.enabled || l10n.t('unknown')),
      'systemctl enable radvd',
      l10n.t('radvd runs now but would not come back after a reboot, and the containers would lose their way out.'),
    );
  }
  if (radvdChanges || !s.radvd.running || !s.tools.radvd) {
    const restart = s.systemd
      ? 'systemctl enable radvd >/dev/null 2>&1 || true\nsystemctl restart radvd'
      : 'if [ -x /etc/init.d/radvd ]; then /etc/init.d/radvd restart; else service radvd restart; fi';
    add(
      'radvd-start',
      s.radvd.running
        ? s.systemd
          ? l10n.t('restart radvd (and enable it at boot)')
          : l10n.t('restart radvd')
        : s.systemd
          ? l10n.t('start radvd (and enable it at boot)')
          : l10n.t('start radvd'),
      `${restart}\nfor i in $(seq 30); do [ "$(civ6_radvd_pids)" != '[]' ] && exit 0; sleep 0.1; done\necho 'radvd is not running after the start; see its log (journalctl -u radvd or /var/log/syslog)'; exit 1`,
      l10n.t('radvd reads its settings when it starts; (re)starting it lets the containers learn their way out now, and at every boot.'),
    );
  }

  // an address bound on another network is routed to that network's bridge (the agent keeps it so)
  const missingRoutes = c.addresses.filter((a) => !hasRoute(s, a, bridgeOfAddress(s, a, br)));
  if (missingRoutes.length) {
    add(
      'routes',
      l10n.t('route {0} address(es) to {1}: ip -6 route replace X/128 dev {1}', missingRoutes.length, br),
      missingRoutes.map((a) => `ip -6 route replace ${shq(a + '/128')} dev ${shq(bridgeOfAddress(s, a, br))}`).join('\n'),
      l10n.t('Sends the traffic that arrives for each container address into {0}, the network the containers are attached to, where the container holding the address picks it up.', br),
    );
  }
  const missingProxies = c.addresses.filter((a) => !hasProxy(s, a, up));
  if (missingProxies.length) {
    add(
      'proxies',
      l10n.t('answer for {0} address(es) on {1}: ip -6 neigh replace proxy X dev {1}', missingProxies.length, up),
      missingProxies.map((a) => `ip -6 neigh replace proxy ${shq(a)} dev ${shq(up)}`).join('\n'),
      l10n.t("With this, the host answers the provider's router for each container address, so the traffic for them from the internet is sent to this host."),
    );
  }
  const dropped = (s.recorded?.addresses ?? []).filter((a) => !c.addresses.includes(a));
  if (dropped.length) {
    const oldUp = s.recorded?.uplink ?? up;
    const oldBr = s.recorded?.bridge ?? br;
    add(
      'drop-old',
      l10n.t('remove the routes and proxy entries of {0} address(es) no longer in the set', dropped.length),
      dropped.map((a) => `ip -6 route del ${shq(a + '/128')} dev ${shq(oldBr)} 2>/dev/null; ip -6 neigh del proxy ${shq(a)} dev ${shq(oldUp)} 2>/dev/null; true`).join('\n'),
      l10n.t('These addresses were taken out of the set: the host stops receiving and passing on their traffic.'),
    );
  }

  const agentChanges = s.agent.sha256 !== art.agentSha256;
  if (agentChanges) {
    const f = fileStep(AGENT_PATH, art.agent, '0755');
    add(
      'agent',
      s.agent.sha256 ? l10n.t('update {0} (re-applies bindings on container start and at boot)', AGENT_PATH) : l10n.t('install {0} (re-applies bindings on container start and at boot)', AGENT_PATH),
      f.script,
      l10n.t("Docker forgets a container's IPv6 address when the container restarts, and the host forgets its routes at reboot; this small script on the host puts them back each time."),
      [f.file],
    );
  }
  const confChanges = s.files.hostConf !== hostConfText(c, setup);
  if (confChanges) {
    const f = fileStep(PATHS.hostConf, hostConfText(c, setup), '0644');
    add(
      'host-conf',
      l10n.t('record uplink {0}, bridge {1}, gateway {2} and the {3} addresses in {4}', up, br, c.gateway, c.addresses.length, PATHS.hostConf),
      f.script,
      l10n.t('The script on the host reads from this file which network card, Docker network and addresses it looks after.'),
      [f.file],
    );
  }
  if (firewall.needed) add('firewall', firewall.title, `${AGENT_PATH} firewall`, l10n.t("The host's firewall would otherwise block the traffic between the internet and the containers' addresses."));
  notes.push(...firewall.notes);
  const unitChanges = s.agent.unit !== unitText();
  const wants = PATHS.unitWants;
  if (unitChanges || !s.agent.unitWanted) {
    // enabling is a symlink in multi-user.target.wants (what systemctl enable writes); with systemd
    // running, systemctl does it and reloads; without (a container, a chroot), the link is made directly
    const enable = s.systemd ? `systemctl daemon-reload\nsystemctl enable ${PATHS.unitName}` : `mkdir -p ${shq(wants.replace(/\/[^/]*$/, ''))}\nln -sfn ../${PATHS.unitName} ${shq(wants)}`;
    const f = fileStep(UNIT_PATH, unitText(), '0644');
    add(
      'unit',
      l10n.t('install and enable the systemd unit {0} (starts after docker, at every boot)', UNIT_PATH),
      (unitChanges ? f.script + '\n' : '') + enable,
      l10n.t('Makes the host start the script at every boot, after Docker, so the addresses come back by themselves.'),
      unitChanges ? [f.file] : undefined,
    );
  }
  if (s.systemd) {
    if (agentChanges || confChanges || unitChanges || s.agent.unitActive !== 'active') {
      add('watcher', l10n.t('start the conoha-ipv6 service (watches container starts)'), `systemctl restart ${PATHS.unitName}\nsystemctl is-active ${PATHS.unitName}`, watcherWhy());
    }
  } else {
    notes.push(l10n.t('{0} is not running systemd now: the watcher is started directly; the unit is enabled, so systemd starts it at boot.', s.hostname));
    if (agentChanges || confChanges || s.agent.watchPid === undefined) {
      add('watcher', l10n.t('start the watcher (no systemd running: started directly)'), `${AGENT_PATH} stop-watch\nsleep 0.2\n${AGENT_PATH} start-watch`, watcherWhy());
    }
  }
  armRollbackBefore(steps, s, c, opts.rollbackSeconds, (id) => NETWORK_STEPS.includes(id));
  if (s.files.rolledBack !== undefined) {
    add(
      'clear-rolled-back',
      l10n.t('forget the earlier rollback ({0})', s.files.rolledBack.trim()),
      `rm -f ${ROLLED_BACK}`,
      l10n.t('An earlier change was undone automatically; this removes the note about it, now that the host is set up again.'),
    );
  }
  return { steps, notes };
}

// ---- assign / release

export interface AssignPlan {
  address: string;
  container: ContainerView;
  /** the network the address goes on */
  network: string;
  /** false when the container already holds this binding: nothing to do */
  changes: boolean;
  step?: Step;
}

// refusals both modes word alike
export const dockerDown = (s: HostSnapshot) => new RefusedError(l10n.t('docker does not answer on {0} ({1}): start it (systemctl start docker)', s.hostname, s.docker.error), [{ id: 'retry' }]);
export const noContainer = (s: HostSnapshot, name: string) =>
  new RefusedError(l10n.t('there is no container "{0}" on {1} (containers: {2})', name, s.hostname, s.docker.containers.map((x) => x.name).join(', ') || l10n.t('none')));
export const notOurs = (s: HostSnapshot, address: string, set: string) => new RefusedError(l10n.t("{0} is not one of {1}'s addresses ({2})", address, s.hostname, set));

/** Refuses (RefusedError) unless the host was prepared with this config and is ready for bindings. */
export function requirePrepared(s: HostSnapshot, c: HostConfig, art: Artifacts): void {
  if (s.stateErrors.length) throw new RefusedError(s.stateErrors.join('; '), [{ id: 'prepare' }]);
  if (!s.recorded || !s.agent.sha256) {
    throw new RefusedError(l10n.t('{0} is not prepared for container addresses yet: prepare it first', s.hostname), [{ id: 'prepare' }]);
  }
  if (s.agent.sha256 !== art.agentSha256) {
    throw new RefusedError(l10n.t('{0} runs an older conoha-ipv6 agent: prepare it again to update the agent', s.hostname), [{ id: 'prepare' }]);
  }
  if (!s.docker.ok) throw dockerDown(s);
}

/** The network of the container an address goes on: the one named, else the default (defaultAttachment); refused
 * (with the reason) when that network is internal, not a bridge, or the container is not on it. */
export function chooseAttachment(s: HostSnapshot, c: HostConfig, k: ContainerView, networkArg?: string): Attachment & { bridge: string; ifname: string } {
  const list = k.attachments.map((a) => `${a.network}${a.bridge ? ` (${a.bridge})` : ''}`).join(', ') || l10n.t('none');
  let att: Attachment | undefined;
  if (networkArg !== undefined) {
    if (!matches('networkName', networkArg)) throw new RefusedError(l10n.t('"{0}" is not a Docker network name', networkArg.slice(0, 60)));
    att = k.attachments.find((a) => a.network === networkArg);
    if (!att) throw new RefusedError(l10n.t('container {0} is not on network {1} (its networks: {2})', k.name, networkArg, list));
    if (att.refused) throw new RefusedError(l10n.t('cannot give {0} an address on {1}', k.name, att.refused));
  } else {
    att = defaultAttachment(k, c.bridge);
    if (!att) {
      const why = k.attachments.map((a) => a.refused ?? a.network).join('; ');
      throw new RefusedError(
        l10n.t('container {0} is on no bridge network an address can go on ({1}): connect it to a bridge network (docker network connect), e.g. the default "bridge"', k.name, why || l10n.t('it has no network')),
      );
    }
  }
  if (!att.bridge || !att.ifname) {
    const noIf = att.bridge
      ? l10n.t('container {0} has no interface on {1} of network {2} (yet): is it running?', k.name, att.bridge, att.network)
      : l10n.t('container {0} has no interface on the bridge of network {1} (yet): is it running?', k.name, att.network);
    throw new RefusedError(noIf, [{ id: 'retry' }]);
  }
  if (!s.links.some((l) => l.name === att.bridge)) throw new RefusedError(l10n.t('the bridge {0} of network {1} does not exist on {2}', att.bridge, att.network, s.hostname), [{ id: 'retry' }]);
  return { ...att, bridge: att.bridge, ifname: att.ifname };
}

export function planAssign(s: HostSnapshot, c: HostConfig, art: Artifacts, containerArg: string, addressArg?: string, networkArg?: string): AssignPlan {
  const name = validateContainerName(containerArg);
  const address = addressArg === undefined ? undefined : normalizeAddress(addressArg);
  requirePrepared(s, c, art);
  const k = findContainer(s, name);
  if (!k) {
    throw noContainer(s, name);
  }
  if (!k.running) throw new RefusedError(l10n.t('container {0} is {1}, not running: start it, then assign again', k.name, k.state), [{ id: 'start-container', container: k.name }]);
  const mineB = s.bindings.filter((b) => b.container === k.name);
  const mine = mineB.map((b) => b.address);
  const fromLabel = mineB.find((b) => b.source === 'label');
  if (fromLabel && address && address !== fromLabel.address) {
    const why = l10n.t('{0} holds {1} from its label {2}: change the label (and recreate the container), or release {1} first', k.name, fromLabel.address, `${LABELS.address}=${k.labels.address ?? '?'}`);
    throw new RefusedError(why, [{ id: 'release', address: fromLabel.address }]);
  }
  // an existing binding stays on its network; a new one goes on the one named, else the default
  const recorded = mineB.find((b) => b.address === (address ?? mine[0]));
  const att = chooseAttachment(s, c, k, networkArg ?? (recorded ? recorded.network ?? defaultAttachment(k, c.bridge)?.network : undefined));
  let chosen: string;
  if (address) {
    if (!c.addresses.includes(address)) {
      throw notOurs(s, address, c.prefix ?? c.addresses.join(', '));
    }
    const holder = holderOf(s, address)?.container;
    if (holder && holder !== k.name) throw new RefusedError(l10n.t('{0} is already bound to {1}: release it first, or pick a free address', address, holder), [{ id: 'release', address }]);
    chosen = address;
  } else if (mine.length) {
    chosen = mine[0];
  } else {
    const free = c.addresses.find((a) => !holderOf(s, a));
    if (!free) throw new RefusedError(l10n.t('all {0} addresses of {1} are bound: release one first', c.addresses.length, s.hostname));
    chosen = free;
  }
  const alreadyBound = mine.includes(chosen);
  const present = k.globalAddresses.includes(chosen);
  if (alreadyBound && present) return { address: chosen, container: k, network: att.network, changes: false };
  return {
    address: chosen,
    container: k,
    network: att.network,
    changes: true,
    step: {
      id: 'bind',
      title:
        att.bridge === c.bridge
          ? l10n.t('bind {0} to container {1} on network {2}: enable IPv6 in it, add {0}/128 on {3}, route it to {4}, record it in {5}', chosen, k.name, att.network, att.ifname, att.bridge, PATHS.bindings)
          : l10n.t('bind {0} to container {1} on network {2}: enable IPv6 in it, add {0}/128 on {3}, route it to {4} (radvd advertises there too), record it in {5}', chosen, k.name, att.network, att.ifname, att.bridge, PATHS.bindings),
      script: `${AGENT_PATH} bind ${shq(k.name)} ${shq(chosen)} ${shq(att.network)}`,
    },
  };
}

export interface ReleasePlan {
  bindings: Binding[];
  steps: Step[];
}

export function planRelease(s: HostSnapshot, c: HostConfig, art: Artifacts, target: string): ReleasePlan {
  let bindings: Binding[];
  if (target.includes(':')) {
    const address = normalizeAddress(target);
    requirePrepared(s, c, art);
    bindings = s.bindings.filter((b) => b.address === address);
    if (!bindings.length) throw new RefusedError(l10n.t('{0} is not bound to any container on {1}', address, s.hostname));
  } else {
    const name = validateContainerName(target);
    requirePrepared(s, c, art);
    const k = findContainer(s, name);
    const cname = k?.name ?? name;
    bindings = s.bindings.filter((b) => b.container === cname);
    if (!bindings.length) throw new RefusedError(l10n.t('container {0} holds no address on {1}', cname, s.hostname));
  }
  return {
    bindings,
    steps: bindings.map((b) => ({
      id: 'unbind',
      title:
        b.source === 'label'
          ? l10n.t('release {0} from {1} (bound by its label {2}: the agent binds an address again when the container starts; remove the label to keep it released)', b.address, b.container, LABELS.address)
          : l10n.t('release {0} from {1}', b.address, b.container),
      script: `${AGENT_PATH} unbind ${shq(b.address)}`,
    })),
  };
}

