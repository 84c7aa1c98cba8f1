// Docker-native mode ("mode: docker"): instead of radvd, /128 routes to docker0 and an agent that re-binds addresses,
// the tool creates ONE Docker IPv6 network on the host's /124 and containers join it with a fixed address
// (docker network connect --ip6 ADDR conoha-ipv6 CONTAINER): Docker itself keeps the address across docker restart,
// a dockerd restart and a reboot. The host side is what Docker does not do: proxy NDP on the uplink for every
// address, forwarding with the RA default route kept (accept_ra=2), the firewall rules that let new connections
// through, and a small oneshot unit that puts back proxy entries and rules after every start of docker.service.
//
// What each engine does (moby source and docs; see README "Docker-native mode"):
//   - Docker < 27: no IPv6 gateway modes. Without "ip6tables" in daemon.json (the default before 27.0) Docker
//     writes no ip6tables rules: the /124 is routed as is, every port reachable. With ip6tables on, it masquerades
//     the subnet outbound and its FORWARD chain admits only published ports, so our DOCKER-USER rules matter.
//   - Docker >= 27: ip6tables is on by default and the bridge driver takes
//     com.docker.network.bridge.gateway_mode_ipv6=routed: no NAT, no port mapping, the addresses are routed; Docker
//     28 also drops direct access to unpublished ports of NAT-mode networks in the raw table (before DOCKER-USER),
//     which routed mode avoids. Our DOCKER-USER rules admit every port to the /124.
//   - Every engine reserves the subnet's first address (the subnet-router anycast) and gives the bridge the next one
//     as the containers' gateway: 14 of the 16 addresses of a /124 are for containers.
// Pure logic: the host's facts come from nativeFacts.sh (parsed here), the steps run through apply.sh.
import { Address6 } from 'ip-address';
import { HostConfig } from './config';
import { InputError, RefusedError } from './errors';
import { StateError } from './hostState';
import { Plan, Step, StepFile, armRollbackBefore, cannotPrepare, dockerDown, dockerSilent, networkdDropInPath, networkdDropInText, noContainer, noIp, notOurs, ownsAcceptRa, sysctlConfText } from './plan';
import { shq, validateContainerName } from './shell';
import { HostSnapshot, canon, defaultRoutes, findContainer, hasProxy, networkdFileOf, routeSource, sysctl } from './snapshot';
import { firewallFacts } from './firewall';
import { planFirewall } from './firewallPlan';
import { NETWORK_STEPS } from './rollback';
import { CONF_LINE } from './hostState';
import { PATHS, matches } from './hostContract';
import { normalizeAddress } from './derive';
import { l10n } from './l10n';
import { forwardPolicyBack, removeDropIn, removeFallbackRoute } from './unprepare';

export type HostMode = 'radvd' | 'docker';
export const HOST_MODES: readonly HostMode[] = ['radvd', 'docker'];

export function parseMode(text: string, what = l10n.t('the mode')): HostMode {
  if (text === 'radvd' || text === 'docker') return text;
  throw new InputError(l10n.t('{0} is not a mode ({1}): use "radvd" (the default: radvd, routes to docker0 and the agent) or "docker" (a Docker IPv6 network on the /124)', JSON.stringify(text.slice(0, 40)), what));
}

/** Everything docker mode puts on a host, besides the shared sysctl file and networkd drop-in. */
export const NATIVE = {
  network: 'conoha-ipv6',
  /** the bridge's name (com.docker.network.bridge.name): predictable, so rules and checks can name it */
  bridge: 'conoha-ipv6',
  label: 'conoha-ipv6.mode=docker',
  conf: '/etc/conoha-ipv6/native.conf',
  previous: '/etc/conoha-ipv6/native-previous.json',
  /** "ADDRESS NAME" lines: the address a container name last got from its conoha-ipv6.address label (auto takes it again) */
  labels: '/etc/conoha-ipv6/native-labels',
  agent: '/usr/local/sbin/conoha-ipv6-native',
  unitName: 'conoha-ipv6-native.service',
  unit: '/etc/systemd/system/conoha-ipv6-native.service',
  unitWants: '/etc/systemd/system/docker.service.wants/conoha-ipv6-native.service',
  ruleComment: 'conoha-ipv6-native',
} as const;

/** shell assignments of NATIVE for the scripts (after the shared preamble) */
export function nativeShellVars(): string {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  return [
    `CIV6_NATIVE_NETWORK=${q(NATIVE.network)}`,
    `CIV6_NATIVE_CONF=${q(NATIVE.conf)}`,
    `CIV6_NATIVE_PREVIOUS=${q(NATIVE.previous)}`,
    `CIV6_NATIVE_LABELS=${q(NATIVE.labels)}`,
    `CIV6_NATIVE_AGENT=${q(NATIVE.agent)}`,
    `CIV6_NATIVE_UNIT=${q(NATIVE.unit)}`,
    `CIV6_NATIVE_UNIT_NAME=${q(NATIVE.unitName)}`,
    `CIV6_NATIVE_UNIT_WANTS=${q(NATIVE.unitWants)}`,
    `CIV6_NATIVE_RULE_COMMENT=${q(NATIVE.ruleComment)}`,
    '',
  ].join('\n');
}

// ---- the host's facts (nativeFacts.sh)

export interface NativeEndpoint {
  container: string;
  id: string;
  running: boolean;
  /** the fixed address asked for (IPAMConfig.IPv6Address), canonical */
  fixed?: string;
  /** the address Docker gave the endpoint (GlobalIPv6Address; empty while the container is stopped) */
  address?: string;
}

export interface NativeNetwork {
  id: string;
  driver: string;
  enableIPv6: boolean;
  /** the IPv6 subnets of its IPAM config, canonical "addr/len" */
  subnets6: string[];
  options: Record<string, string>;
  labels: Record<string, string>;
}

export interface NativeFacts {
  conf?: NativeConf;
  /** native.conf is there but not in the format we write */
  confError?: string;
  confText?: string;
  previousText?: string;
  agentSha256?: string;
  unit?: string;
  unitWanted: boolean;
  unitActive: string;
  network?: NativeNetwork;
  /** every container (running or not) that has an endpoint on our network */
  endpoints: NativeEndpoint[];
}

export interface NativeConf {
  uplink: string;
  bridge: string;
  prefix: string;
  addresses: string[];
  /** Docker's own addresses on the network (the subnet-router anycast, the gateway): never given to a label */
  reserved: string[];
  firewall: string[];
  forwardPolicy: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const b64 = (v: unknown): string | undefined => (typeof v === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(v) ? Buffer.from(v, 'base64').toString('utf8') : undefined);
const strMap = (v: unknown): Record<string, string> => {
  const out: Record<string, string> = {};
  if (isObj(v)) for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  return out;
};

function canonNet(n: string): string | undefined {
  const [a, len] = n.split('/');
  if (!len || !/^[0-9]{1,3}$/.test(len) || !Address6.isValid(a)) return undefined;
  return `${new Address6(a).correctForm()}/${len}`;
}

/** native.conf: KEY=value lines (the CONF_LINE format of host.conf), every value checked */
export function parseNativeConf(text: string): NativeConf {
  const v = new Map<string, string>();
  const lines = text.split('\n');
  if (Buffer.byteLength(text) > 16384) throw new StateError(l10n.t('{0} is too big: prepare the host again', NATIVE.conf));
  lines.forEach((l, i) => {
    if (!new RegExp(CONF_LINE).test(l)) throw new StateError(l10n.t('{0} line {1} is not in the format conoha-ipv6 writes: prepare the host again', NATIVE.conf, i + 1));
    if (l === '' || l.startsWith('#')) return;
    const eq = l.indexOf('=');
    let x = l.slice(eq + 1);
    if (x.length >= 2 && x.startsWith('"') && x.endsWith('"')) x = x.slice(1, -1);
    v.set(l.slice(0, eq), x);
  });
  const words = (k: string) => (v.get(k) ?? '').split(' ').filter(Boolean);
  const one = (k: string, p: Parameters<typeof matches>[0], required = true) => {
    const x = v.get(k) ?? '';
    if ((required || x !== '') && !matches(p, x)) throw new StateError(l10n.t('{0} has a bad or missing {1}: prepare the host again', NATIVE.conf, k));
    return x;
  };
  const conf: NativeConf = {
    uplink: one('UPLINK', 'ifname'),
    bridge: one('BRIDGE', 'ifname'),
    prefix: one('PREFIX', 'network'),
    addresses: words('ADDRESSES'),
    reserved: words('RESERVED'),
    firewall: words('FIREWALL'),
    forwardPolicy: one('FORWARD_POLICY', 'forwardPolicy', false),
  };
  for (const a of [...conf.addresses, ...conf.reserved]) if (!matches('address', a)) throw new StateError(l10n.t('{0} has a bad address: prepare the host again', NATIVE.conf));
  for (const m of conf.firewall) if (!matches('firewallMechanism', m)) throw new StateError(l10n.t('{0} has a bad FIREWALL: prepare the host again', NATIVE.conf));
  conf.addresses = conf.addresses.map(canon);
  conf.reserved = conf.reserved.map(canon);
  conf.prefix = canonNet(conf.prefix) ?? conf.prefix;
  return conf;
}

export function nativeConfText(c: NativeConf): string {
  const out = [
    '# written by conoha-ipv6 prepare (docker mode); read by conoha-ipv6-native and by conoha-ipv6 itself',
    `UPLINK=${c.uplink}`,
    `BRIDGE=${c.bridge}`,
    `PREFIX=${c.prefix}`,
    `ADDRESSES="${c.addresses.join(' ')}"`,
    `RESERVED="${c.reserved.join(' ')}"`,
    `FIREWALL="${c.firewall.join(' ')}"`,
    `FORWARD_POLICY=${c.forwardPolicy}`,
    '',
  ].join('\n');
  parseNativeConf(out); // what we write, we read
  return out;
}

/** Parses nativeFacts.sh's line. Docker's JSON is read leniently: what lacks a field we need is skipped. */
export function parseNativeFacts(stdout: string): NativeFacts {
  const line = stdout.split('\n').find((l) => l.startsWith('{"native":1'));
  if (!line) throw new StateError(l10n.t('the host did not return the docker-mode facts; it printed: {0}', stdout.slice(0, 200)));
  const j = JSON.parse(line) as Obj;
  const f: NativeFacts = { unitWanted: j.unitWanted === true, unitActive: (b64(j.unitActive) ?? '').trim(), endpoints: [] };
  f.confText = b64(j.conf);
  if (f.confText !== undefined) {
    try {
      f.conf = parseNativeConf(f.confText);
    } catch (e) {
      f.confError = (e as Error).message;
    }
  }
  f.previousText = b64(j.previous);
  if (typeof j.agentSha256 === 'string' && /^[0-9a-f]{64}$/.test(j.agentSha256)) f.agentSha256 = j.agentSha256;
  f.unit = b64(j.unit);
  const net = b64(j.network)?.trim();
  if (net) {
    try {
      const n = JSON.parse(net) as Obj;
      const ipam = isObj(n.IPAM) ? n.IPAM : {};
      const subnets = (Array.isArray(ipam.Config) ? ipam.Config : []).filter(isObj).map((x) => (typeof x.Subnet === 'string' ? x.Subnet : ''));
      f.network = {
        id: typeof n.Id === 'string' ? n.Id : '',
        driver: typeof n.Driver === 'string' ? n.Driver : '',
        enableIPv6: n.EnableIPv6 === true,
        subnets6: subnets.filter((x) => x.includes(':')).flatMap((x) => canonNet(x) ?? []),
        options: strMap(n.Options),
        labels: strMap(n.Labels),
      };
    } catch {
      f.network = undefined;
    }
  }
  for (const l of (b64(j.containers) ?? '').split('\n')) {
    if (!l.trim()) continue;
    let c: Obj;
    try {
      c = JSON.parse(l) as Obj;
    } catch {
      continue;
    }
    if (!isObj(c.ep) || typeof c.name !== 'string') continue;
    const name = c.name.replace(/^\//, '');
    if (!matches('containerName', name)) continue;
    const ipam = isObj(c.ep.IPAMConfig) ? c.ep.IPAMConfig : {};
    const fixed = typeof ipam.IPv6Address === 'string' && Address6.isValid(ipam.IPv6Address) ? canon(ipam.IPv6Address) : undefined;
    const address = typeof c.ep.GlobalIPv6Address === 'string' && c.ep.GlobalIPv6Address && Address6.isValid(c.ep.GlobalIPv6Address) ? canon(c.ep.GlobalIPv6Address) : undefined;
    f.endpoints.push({ container: name, id: typeof c.id === 'string' ? c.id : '', running: c.running === true, fixed, address });
  }
  return f;
}

/** The mode a host is prepared in, from what it records: docker (native.conf), radvd (host.conf or the agent), none. */
export function recordedMode(s: HostSnapshot, f: NativeFacts): HostMode | undefined {
  if (f.confText !== undefined || f.network?.labels['conoha-ipv6.mode'] === 'docker') return 'docker';
  if (s.files.hostConf !== undefined || s.agent.sha256) return 'radvd';
  return undefined;
}

// ---- the engine

export interface Engine {
  major: number;
  /** com.docker.network.bridge.gateway_mode_ipv6=routed (Docker >= 27) */
  routed: boolean;
  /** Docker manages ip6tables (DOCKER-USER exists) */
  ip6tables: boolean;
  /** addresses Docker keeps for itself: the subnet-router anycast and the bridge's gateway */
  reserved: string[];
  /** in words, for the plan and status */
  summary: string;
}

export function engineOf(s: HostSnapshot, prefix: string): Engine {
  const m = /^(\d+)\./.exec(s.docker.version);
  const major = m ? Number(m[1]) : 0;
  const routed = major >= 27;
  const ip6tables = firewallFacts({ ip6tablesSave: s.netfilter.ip6tablesSave }).dockerUser;
  const base = new Address6(prefix.split('/')[0]).bigInt();
  const at = (n: number) => Address6.fromBigInt(base + BigInt(n)).correctForm();
  return {
    major,
    routed,
    ip6tables,
    reserved: [at(0), at(1)],
    summary: routed
      ? l10n.t('Docker {0}: routed gateway mode for IPv6 (no NAT; every port reachable through the conoha-ipv6 firewall rules)', s.docker.version)
      : ip6tables
        ? l10n.t('Docker {0}: no IPv6 gateway modes before Docker 27; Docker manages ip6tables (outbound masqueraded, inbound admitted by the conoha-ipv6 rules in DOCKER-USER)', s.docker.version)
        : l10n.t('Docker {0}: no IPv6 gateway modes before Docker 27; Docker writes no ip6tables rules: the addresses are routed as they are', s.docker.version),
  };
}

/** the docker network create command for this host (every value validated) */
export function networkCreateArgs(prefix: string, e: Engine): string[] {
  return [
    'network', 'create', '--driver', 'bridge', '--ipv6', '--subnet', prefix,
    '-o', `com.docker.network.bridge.name=${NATIVE.bridge}`,
    ...(e.routed ? ['-o', 'com.docker.network.bridge.gateway_mode_ipv6=routed'] : []),
    '--label', NATIVE.label,
    NATIVE.network,
  ];
}

/** What is wrong with an existing network of our name (empty: it is ours and right). */
export function networkProblems(n: NativeNetwork, prefix: string, e: Engine): string[] {
  const p: string[] = [];
  if (n.driver !== 'bridge') p.push(`its driver is ${n.driver}, not bridge`);
  if (!n.enableIPv6) p.push('IPv6 is not enabled on it');
  if (!n.subnets6.includes(prefix)) p.push(`its IPv6 subnet is ${n.subnets6.join(', ') || 'none'}, not ${prefix}`);
  if (n.options['com.docker.network.bridge.name'] !== NATIVE.bridge) p.push(`its bridge is not named ${NATIVE.bridge}`);
  if (e.routed && n.options['com.docker.network.bridge.gateway_mode_ipv6'] !== 'routed') p.push('it is not in routed gateway mode');
  return p;
}

// ---- prepare

export function nativeUnitText(): string {
  return [
    '[Unit]',
    'Description=conoha-ipv6 (docker mode): proxy NDP entries and firewall rules for the container addresses, and containers labelled conoha-ipv6.address connected to the network',
    'Documentation=https://www.npmjs.com/package/conoha-ipv6',
    // after every start of docker.service (BindsTo: stopped with it, started again by its .wants link)
    'After=network-online.target docker.service',
    'Wants=network-online.target',
    'BindsTo=docker.service',
    '',
    '[Service]',
    // boot (proxy entries, firewall) before the unit counts as started; then the watcher of labelled containers
    'Type=simple',
    `ExecStartPre=${NATIVE.agent} boot`,
    `ExecStart=${NATIVE.agent} watch`,
    'Restart=on-failure',
    'RestartSec=2',
    '',
    '[Install]',
    'WantedBy=docker.service',
    '',
  ].join('\n');
}

function fileStep(path: string, content: string, mode: string): { script: string; file: StepFile } {
  return { script: `civ6_write ${shq(path)} ${mode} ${shq(Buffer.from(content).toString('base64'))}`, file: { path, mode, content } };
}
const setSysctl = (dev: string, key: string, v: number) => `echo ${v} > ${shq(`/proc/sys/net/ipv6/conf/${dev}/${key}`)}`;

export interface NativeArtifacts {
  agent: string;
  agentSha256: string;
}

export interface NativeSetup {
  engine: Engine;
  conf: NativeConf;
}

/** the firewall as radvd mode plans it, for the docker-mode bridge: where the allow rules go, and whether any are missing */
export function nativeFirewallPlan(s: HostSnapshot, c: HostConfig) {
  return planFirewall(s, { ...c, bridge: NATIVE.bridge });
}

export function nativeSetup(s: HostSnapshot, f: NativeFacts, c: HostConfig): NativeSetup {
  if (!c.prefix) {
    const why = l10n.t("docker mode needs the addresses as one /124 (Docker's network is a subnet): {0}'s addresses are a list; name the /124 in the host's settings", s.hostname);
    throw new RefusedError(why, [{ id: 'set-host-setting', setting: 'addresses' }]);
  }
  const engine = engineOf(s, c.prefix);
  const policyNow = firewallFacts({ ip6tablesSave: s.netfilter.ip6tablesSave }).forwardPolicy;
  const recorded = f.conf?.forwardPolicy;
  const forwardPolicy = recorded === 'DROP' || recorded === 'ACCEPT' ? recorded : policyNow === 'DROP' || policyNow === 'ACCEPT' ? policyNow : '';
  return { engine, conf: { uplink: c.uplink, bridge: NATIVE.bridge, prefix: c.prefix, addresses: c.addresses, reserved: engine.reserved, firewall: nativeFirewallPlan(s, c).mechanisms, forwardPolicy } };
}

/** Why docker mode cannot be prepared here (each with what to do); empty when it can. */
export function nativeBlockers(s: HostSnapshot, f: NativeFacts, c: HostConfig): string[] {
  const out: string[] = [];
  if (!s.tools.ip) out.push(noIp());
  if (!s.tools.docker) out.push(l10n.t('docker is not installed on the host: install Docker first'));
  else if (!s.docker.ok) out.push(dockerSilent(s));
  if (!s.systemd) out.push(l10n.t('{0} does not run systemd: docker mode re-applies proxy entries with a systemd unit after docker.service; use radvd mode', s.hostname));
  if (!c.prefix) out.push(l10n.t("docker mode needs the addresses as one /124: name it in the host's settings"));
  if (s.files.hostConf !== undefined || s.agent.sha256) out.push(l10n.t('{0} is prepared in radvd mode: switching modes undoes that first', s.hostname));
  const ownNets = s.addresses.filter((x) => x.dev === c.uplink && x.scope === 'global').map((x) => `${x.address}/64`);
  const onLink = s.routes.filter((r) => r.dev === c.uplink && !r.gateway && r.dst.includes('/') && !r.dst.startsWith('fe80:')).map((r) => r.dst);
  const inNet = (a: string, n: string) => {
    try {
      return new Address6(a).isInSubnet(new Address6(n));
    } catch {
      return false;
    }
  };
  if (!c.addresses.every((a) => [...onLink, ...ownNets].some((n) => inNet(a, n)))) {
    out.push(l10n.t("the addresses are not on {0}'s prefix: the provider routes only that prefix to this host; check the address set", c.uplink));
  }
  const taken = c.addresses.filter((a) => s.neighbours.some((n) => n.address === a && n.dev === c.uplink && n.lladdr));
  if (taken.length) out.push(l10n.t('another machine on {0} answers for {1}: proxying would capture its traffic; check the address set', c.uplink, taken.join(', ')));
  const prefix = c.prefix;
  if (prefix) {
    // another interface (another Docker network, a route by hand) already has the /124 or a part of it
    const clash = s.routes.filter((r) => r.dev !== NATIVE.bridge && r.dev !== c.uplink && r.dst !== 'default' && (inNet(r.dst.split('/')[0], prefix) || c.addresses.includes(r.dst)));
    if (clash.length) out.push(l10n.t('{0} is already routed elsewhere ({1}): remove that first', prefix, clash.map((r) => `${r.dst} dev ${r.dev}`).join(', ')));
    if (f.network) {
      if (f.network.labels['conoha-ipv6.mode'] !== 'docker') out.push(l10n.t('a Docker network named {0} exists that conoha-ipv6 did not create: rename or remove it', NATIVE.network));
      else {
        const p = networkProblems(f.network, prefix, engineOf(s, prefix));
        if (p.length && f.endpoints.length) {
          out.push(l10n.t('Docker network {0} must be recreated ({1}) but containers are on it ({2}): release them first', NATIVE.network, p.join('; '), f.endpoints.map((x) => x.container).join(', ')));
        }
      }
    }
  }
  if (f.confError) out.push(f.confError);
  return out;
}

export interface NativePlanOptions {
  rollbackSeconds?: number;
}

export function planNativePrepare(s: HostSnapshot, f: NativeFacts, c: HostConfig, art: NativeArtifacts, opts: NativePlanOptions = {}): Plan & { setup: NativeSetup } {
  const blockers = nativeBlockers(s, f, c);
  if (blockers.length) throw new RefusedError(cannotPrepare(s.hostname, blockers, true), c.prefix ? [] : [{ id: 'set-host-setting', setting: 'addresses' }]);
  const setup = nativeSetup(s, f, c);
  const { engine, conf } = setup;
  const steps: Step[] = [];
  const notes: string[] = [
    engine.summary,
    l10n.t("{0} of the {1} addresses are for containers: Docker keeps {2} (the subnet-router anycast) and gives {3} to the {4} bridge as the containers' gateway", c.addresses.length - engine.reserved.length, c.addresses.length, engine.reserved[0], engine.reserved[1], NATIVE.bridge),
  ];
  const add = (id: string, title: string, script: string, why: string, files?: StepFile[]) => steps.push({ id, title, script, why, ...(files?.length ? { files } : {}) });
  const up = c.uplink;

  if (f.previousText === undefined) {
    const previous = {
      recordedAt: new Date().toISOString(),
      mode: 'docker',
      uplink: up,
      sysctl: { 'all.forwarding': sysctl(s, 'all', 'forwarding'), [`${up}.proxy_ndp`]: sysctl(s, up, 'proxy_ndp'), [`${up}.accept_ra`]: sysctl(s, up, 'accept_ra') },
      defaultRoutes: defaultRoutes(s),
      ip6ForwardPolicy: firewallFacts({ ip6tablesSave: s.netfilter.ip6tablesSave }).forwardPolicy ?? null,
      sysctlConfExisted: s.files.sysctlConf !== undefined,
    };
    const x = fileStep(NATIVE.previous, JSON.stringify(previous, null, 2) + '\n', '0644');
    add('record-previous', l10n.t("record the host's state before any change in {0}", NATIVE.previous), x.script, l10n.t('Notes how the host was set up before any change, so that undoing the setup can put it back.'), [x.file]);
  }
  const acceptRa = ownsAcceptRa(s, c);
  if (acceptRa && sysctl(s, up, 'accept_ra') !== 2) {
    add(
      'accept-ra',
      l10n.t('keep accepting router advertisements on {0} while forwarding: accept_ra=2 (now {1})', up, String(sysctl(s, up, 'accept_ra'))),
      setSysctl(up, 'accept_ra', 2),
      l10n.t("Forwarding (which Docker also turns on by itself when it creates an IPv6 network) makes Linux ignore the provider's router announcements and drop the host's default route; this keeps it."),
    );
  }
  const ensureDefault =
    `if [ -z "$(ip -6 route show default)" ]; then ip -6 route add default via ${shq(c.gateway)} dev ${shq(up)} metric 2048; fi\n` +
    `ip -6 route show default | grep -q . || { echo 'no default route: turning forwarding off again so the host stays reachable'; echo 0 > /proc/sys/net/ipv6/conf/all/forwarding; exit 1; }\n` +
    'ip -6 route show default';
  if (sysctl(s, 'all', 'forwarding') !== 1) {
    add(
      'forwarding',
      l10n.t('turn on IPv6 forwarding: net.ipv6.conf.all.forwarding=1 (now {0}), keeping the default route via {1} dev {2}', String(sysctl(s, 'all', 'forwarding')), c.gateway, up),
      `${setSysctl('all', 'forwarding', 1)}\nsleep 0.2\n${ensureDefault}`,
      l10n.t('Lets the host pass traffic between the internet and the containers. If the host loses its own default route, the step turns this off again.'),
    );
  } else if (defaultRoutes(s).length === 0) {
    add('default-route', l10n.t('restore the lost default route: default via {0} dev {1}', c.gateway, up), ensureDefault, l10n.t("The host has no IPv6 default route right now; this puts back the route through the provider's router."));
  }
  if (sysctl(s, up, 'proxy_ndp') !== 1) {
    add(
      'proxy-ndp',
      l10n.t('answer neighbour solicitations on {0}: proxy_ndp=1 (now {1})', up, String(sysctl(s, up, 'proxy_ndp'))),
      setSysctl(up, 'proxy_ndp', 1),
      l10n.t("The provider's router asks who has each address; with this on, the host answers for the containers' addresses."),
    );
  }
  if (s.files.sysctlConf !== sysctlConfText(c, acceptRa)) {
    const x = fileStep(PATHS.sysctlConf, sysctlConfText(c, acceptRa), '0644');
    add('sysctl-conf', l10n.t('persist the sysctls in {0}', PATHS.sysctlConf), x.script, l10n.t('Makes the host set forwarding, accept_ra and proxy NDP again at every boot.'), [x.file]);
  }
  const networkFile = networkdFileOf(s, up);
  const dropIn = networkFile ? networkdDropInPath(networkFile) : undefined;
  const dropInText = networkdDropInText(c, routeSource(s, up) === 'ra');
  if (dropIn && s.files.networkdDropIn !== dropInText) {
    const x = fileStep(dropIn, dropInText, '0644');
    add(
      'networkd',
      l10n.t('tell systemd-networkd, which configures {0}, to keep proxy NDP for the addresses: {1}', up, dropIn),
      x.script,
      l10n.t('systemd-networkd manages {0} and would drop the proxy entries when it next configures the link.', up),
      [x.file],
    );
  }

  // the network: created, or recreated when it is ours but wrong and empty
  const n = f.network;
  const problems = n ? networkProblems(n, conf.prefix, engine) : [];
  if (!n || problems.length) {
    const create = `docker ${networkCreateArgs(conf.prefix, engine).map(shq).join(' ')}`;
    add(
      'network',
      n
        ? engine.routed
          ? l10n.t('recreate Docker network {0} ({1}) on {2}, bridge {3}, IPv6 gateway mode routed', NATIVE.network, problems.join('; '), conf.prefix, NATIVE.bridge)
          : l10n.t('recreate Docker network {0} ({1}) on {2}, bridge {3}', NATIVE.network, problems.join('; '), conf.prefix, NATIVE.bridge)
        : engine.routed
          ? l10n.t('create Docker network {0} on {1}, bridge {2}, IPv6 gateway mode routed', NATIVE.network, conf.prefix, NATIVE.bridge)
          : l10n.t('create Docker network {0} on {1}, bridge {2}', NATIVE.network, conf.prefix, NATIVE.bridge),
      (n ? `docker network rm ${shq(NATIVE.network)}\n` : '') + create,
      l10n.t('Containers join this network with a fixed address from the /124; Docker keeps that address across container restarts, dockerd restarts and reboots.'),
    );
  }
  const missing = c.addresses.filter((a) => !hasProxy(s, a, up));
  if (missing.length) {
    add(
      'proxies',
      l10n.t('answer for {0} address(es) on {1}: ip -6 neigh replace proxy X dev {1}', missing.length, up),
      missing.map((a) => `ip -6 neigh replace proxy ${shq(a)} dev ${shq(up)}`).join('\n'),
      l10n.t("With this, the host answers the provider's router for each container address, so their traffic is sent to this host."),
    );
  }
  const dropped = (f.conf?.addresses ?? []).filter((a) => !c.addresses.includes(a));
  const oldUplink = f.conf?.uplink ?? up;
  if (dropped.length) {
    const script = dropped.map((a) => `ip -6 neigh del proxy ${shq(a)} dev ${shq(oldUplink)} 2>/dev/null; true`).join('\n');
    add('drop-old', l10n.t('remove the proxy entries of {0} address(es) no longer in the set', dropped.length), script, l10n.t('These addresses left the set.'));
  }
  const agentChanges = f.agentSha256 !== art.agentSha256;
  if (agentChanges) {
    const x = fileStep(NATIVE.agent, art.agent, '0755');
    add(
      'agent',
      f.agentSha256
        ? l10n.t('update {0} (puts proxy entries and firewall rules back after each start of docker)', NATIVE.agent)
        : l10n.t('install {0} (puts proxy entries and firewall rules back after each start of docker)', NATIVE.agent),
      x.script,
      l10n.t('The kernel forgets proxy entries at reboot, and firewall rules go with it; this small script puts them back.'),
      [x.file],
    );
  }
  const confText = nativeConfText(conf);
  const confChanges = f.confText !== confText;
  if (confChanges) {
    const x = fileStep(NATIVE.conf, confText, '0644');
    add(
      'host-conf',
      l10n.t('record docker mode, uplink {0}, {1} and the firewall in {2}', up, conf.prefix, NATIVE.conf),
      x.script,
      l10n.t('The script on the host reads from this file which addresses it answers for and which rules it keeps.'),
      [x.file],
    );
  }
  const unitChanges = f.unit !== nativeUnitText();
  if (unitChanges || !f.unitWanted || f.unitActive !== 'active' || agentChanges || confChanges) {
    const x = fileStep(NATIVE.unit, nativeUnitText(), '0644');
    add(
      'unit',
      l10n.t('install, enable and run {0} (after every start of docker.service: proxy entries and firewall rules)', NATIVE.unitName),
      (unitChanges ? x.script + '\n' : '') + `systemctl daemon-reload\nsystemctl enable ${NATIVE.unitName} >/dev/null 2>&1\nsystemctl restart ${NATIVE.unitName}\nsystemctl is-active ${NATIVE.unitName}`,
      l10n.t('Makes the host put the proxy entries and firewall rules back at every boot and every docker restart.'),
      unitChanges ? [x.file] : undefined,
    );
  }
  const fw = nativeFirewallPlan(s, c);
  if (fw.needed || (!f.network && fw.mechanisms.length)) {
    add('firewall', fw.title, `${NATIVE.agent} firewall`, l10n.t("The host's firewall (or Docker's own rules, which admit only published ports) would otherwise block new connections to the containers' addresses."));
  }
  notes.push(...fw.notes);
  armRollbackBefore(steps, s, c, opts.rollbackSeconds, (id) => NETWORK_STEPS.includes(id) || id === 'network');
  return { steps, notes, setup };
}

// ---- assign / release

export function requireNativePrepared(s: HostSnapshot, f: NativeFacts, c: HostConfig, art: NativeArtifacts): NativeConf {
  if (f.confError) throw new RefusedError(f.confError, [{ id: 'prepare' }]);
  if (!f.conf || !f.network) throw new RefusedError(l10n.t('{0} is not prepared in docker mode yet: prepare it first', s.hostname), [{ id: 'prepare' }]);
  if (f.agentSha256 !== art.agentSha256) throw new RefusedError(l10n.t('{0} runs an older conoha-ipv6-native: prepare it again', s.hostname), [{ id: 'prepare' }]);
  if (!s.docker.ok) throw dockerDown(s);
  if (c.prefix && f.conf.prefix !== c.prefix) throw new RefusedError(l10n.t('{0} was prepared in docker mode for {1}, not {2}: prepare it again', s.hostname, f.conf.prefix, c.prefix), [{ id: 'prepare' }]);
  return f.conf;
}

/** who holds an address on our network */
export function nativeHolder(f: NativeFacts, address: string): NativeEndpoint | undefined {
  return f.endpoints.find((e) => e.fixed === address || e.address === address);
}

export interface NativeAssignPlan {
  address: string;
  container: string;
  changes: boolean;
  step?: Step;
}

export function planNativeAssign(s: HostSnapshot, f: NativeFacts, c: HostConfig, art: NativeArtifacts, containerArg: string, addressArg?: string): NativeAssignPlan {
  const name = validateContainerName(containerArg);
  const address = addressArg === undefined ? undefined : normalizeAddress(addressArg);
  const conf = requireNativePrepared(s, f, c, art);
  const k = findContainer(s, name);
  if (!k) throw noContainer(s, name);
  const engine = engineOf(s, conf.prefix);
  const mine = f.endpoints.find((e) => e.container === k.name);
  let chosen: string;
  if (address) {
    if (!conf.addresses.includes(address)) throw notOurs(s, address, conf.prefix);
    if (engine.reserved.includes(address)) {
      const own =
        address === engine.reserved[0]
          ? l10n.t("{0} is Docker's own on {1} (the subnet-router anycast address): pick another of {2}", address, NATIVE.network, conf.prefix)
          : l10n.t("{0} is Docker's own on {1} (the bridge's gateway address): pick another of {2}", address, NATIVE.network, conf.prefix);
      throw new RefusedError(own);
    }
    const holder = nativeHolder(f, address);
    if (holder && holder.container !== k.name) throw new RefusedError(l10n.t('{0} is already held by {1}: release it first, or pick a free address', address, holder.container), [{ id: 'release', address }]);
    chosen = address;
  } else if (mine?.fixed) {
    chosen = mine.fixed;
  } else {
    const free = conf.addresses.find((a) => !engine.reserved.includes(a) && !nativeHolder(f, a));
    if (!free) throw new RefusedError(l10n.t('all {0} container addresses of {1} are taken: release one first', conf.addresses.length - engine.reserved.length, s.hostname));
    chosen = free;
  }
  if (mine && mine.fixed === chosen) return { address: chosen, container: k.name, changes: false };
  const disconnect = mine ? `docker network disconnect ${shq(NATIVE.network)} ${shq(k.name)}\n` : '';
  return {
    address: chosen,
    container: k.name,
    changes: true,
    step: {
      id: 'connect',
      title: mine
        ? l10n.t('move {0} from {1} to {2} with the fixed address {2} (docker network connect --ip6)', k.name, mine.fixed ?? mine.address ?? l10n.t('its address'), chosen)
        : l10n.t('connect {0} to {1} with the fixed address {2} (docker network connect --ip6)', k.name, NATIVE.network, chosen),
      script: `${disconnect}docker network connect --ip6 ${shq(chosen)} ${shq(NATIVE.network)} ${shq(k.name)}`,
    },
  };
}

export interface NativeReleasePlan {
  released: { address: string; container: string }[];
  steps: Step[];
}

export function planNativeRelease(s: HostSnapshot, f: NativeFacts, c: HostConfig, art: NativeArtifacts, target: string): NativeReleasePlan {
  let eps: NativeEndpoint[];
  if (target.includes(':')) {
    const address = normalizeAddress(target);
    requireNativePrepared(s, f, c, art);
    eps = f.endpoints.filter((e) => e.fixed === address || e.address === address);
    if (!eps.length) throw new RefusedError(l10n.t('{0} is not held by any container on {1}', address, s.hostname));
  } else {
    const name = validateContainerName(target);
    requireNativePrepared(s, f, c, art);
    const k = findContainer(s, name);
    eps = f.endpoints.filter((e) => e.container === (k?.name ?? name));
    if (!eps.length) throw new RefusedError(l10n.t('container {0} is not on {1} on {2}', k?.name ?? name, NATIVE.network, s.hostname));
  }
  return {
    released: eps.map((e) => ({ address: e.fixed ?? e.address ?? '', container: e.container })),
    steps: eps.map((e) => ({
      id: 'disconnect',
      title: l10n.t('release {0} from {1} (docker network disconnect)', String(e.fixed ?? e.address), e.container),
      script: `docker network disconnect ${shq(NATIVE.network)} ${shq(e.container)}`,
    })),
  };
}

// ---- undo

interface NativePrevious {
  sysctl: Record<string, number>;
  ip6ForwardPolicy?: 'DROP' | 'ACCEPT';
  sysctlConfExisted: boolean;
}

function parseNativePrevious(text: string | undefined): NativePrevious | undefined {
  if (!text) return undefined;
  try {
    const o = JSON.parse(text) as Obj;
    const sys: Record<string, number> = {};
    if (isObj(o.sysctl)) for (const [k, v] of Object.entries(o.sysctl)) if (/^[A-Za-z0-9_.@-]{1,15}\.(forwarding|proxy_ndp|accept_ra)$/.test(k) && Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 2) sys[k] = v as number;
    return { sysctl: sys, ip6ForwardPolicy: o.ip6ForwardPolicy === 'DROP' || o.ip6ForwardPolicy === 'ACCEPT' ? o.ip6ForwardPolicy : undefined, sysctlConfExisted: o.sysctlConfExisted === true };
  } catch {
    return undefined;
  }
}

export function planNativeUnprepare(s: HostSnapshot, f: NativeFacts, c: HostConfig, o: { releaseAll?: boolean } = {}): Plan {
  const known = f.confText !== undefined || f.agentSha256 || f.network || f.previousText !== undefined;
  if (!known) throw new RefusedError(l10n.t('{0} was not prepared in docker mode: nothing to undo', s.hostname));
  if (f.endpoints.length && !o.releaseAll) {
    const on = f.endpoints.map((e) => `${e.container} ${e.fixed ?? e.address ?? ''}`.trim()).join(', ');
    throw new RefusedError(l10n.t('{0} container(s) are on {1} on {2} ({3}): release them first, or undo releasing them all', f.endpoints.length, NATIVE.network, s.hostname, on), [{ id: 'unprepare', releaseAll: true }]);
  }
  const steps: Step[] = [];
  const notes: string[] = [];
  const add = (id: string, title: string, script: string) => steps.push({ id, title, script });
  const up = f.conf?.uplink ?? c.uplink;
  const prev = parseNativePrevious(f.previousText);
  for (const e of f.endpoints) add('disconnect', l10n.t('release {0} from {1}', String(e.fixed ?? e.address), e.container), `docker network disconnect ${shq(NATIVE.network)} ${shq(e.container)}`);
  if (f.agentSha256 && f.conf) add('firewall', l10n.t('take out the firewall rules prepare added'), `${NATIVE.agent} unfirewall`);
  if (f.unit !== undefined || f.unitWanted || f.unitActive === 'active') {
    add('unit', l10n.t('stop and remove {0}', NATIVE.unitName), `systemctl disable --now ${NATIVE.unitName} >/dev/null 2>&1 || true\nrm -f ${shq(NATIVE.unitWants)} ${shq(NATIVE.unit)}\nsystemctl daemon-reload`);
  }
  if (f.network) add('network', l10n.t('remove Docker network {0}', NATIVE.network), `docker network rm ${shq(NATIVE.network)}`);
  const addrs = f.conf?.addresses ?? c.addresses;
  const proxied = addrs.filter((a) => hasProxy(s, a, up));
  if (proxied.length) {
    const title = proxied.length === 1 ? l10n.t('remove 1 proxy entry on {0}', up) : l10n.t('remove {0} proxy entries on {1}', proxied.length, up);
    add('proxies', title, proxied.map((a) => `ip -6 neigh del proxy ${shq(a)} dev ${shq(up)}`).join('\n'));
  }
  const networkFile = networkdFileOf(s, up);
  const dropIn = networkFile ? networkdDropInPath(networkFile) : undefined;
  if (s.files.networkdDropIn !== undefined && dropIn) add('networkd', ...removeDropIn(dropIn));
  const policyNow = firewallFacts({ ip6tablesSave: s.netfilter.ip6tablesSave }).forwardPolicy;
  if (prev) {
    const sets = Object.entries(prev.sysctl)
      .sort(([a], [b]) => Number(a === 'all.forwarding') - Number(b === 'all.forwarding'))
      .map(([k, v]) => {
        const i = k.lastIndexOf('.');
        const p = `/proc/sys/net/ipv6/conf/${k.slice(0, i)}/${k.slice(i + 1)}`;
        return `if [ -e ${shq(p)} ]; then echo ${v} > ${shq(p)}; fi`;
      });
    const title = prev.sysctlConfExisted
      ? l10n.t('set forwarding, accept_ra and proxy NDP back to their values before the first prepare')
      : l10n.t('set forwarding, accept_ra and proxy NDP back to their values before the first prepare, and remove {0}', PATHS.sysctlConf);
    add('sysctls', title, [...sets, prev.sysctlConfExisted ? ':' : `rm -f ${PATHS.sysctlConf}`].join('\n'));
    // Docker may have changed the policy when it turned forwarding on: back to what the host had
    if (prev.ip6ForwardPolicy && policyNow && policyNow !== prev.ip6ForwardPolicy) add('forward-policy', forwardPolicyBack(prev.ip6ForwardPolicy, policyNow), `ip6tables -w 10 -P FORWARD ${prev.ip6ForwardPolicy}`);
    if (policyNow && !prev.ip6ForwardPolicy) notes.push(l10n.t('the host had no ip6tables filter table before; Docker created one (FORWARD policy {0}), which stays as Docker manages it', policyNow));
  } else {
    notes.push(l10n.t('{0} is missing or unreadable: the sysctls stay as they are', NATIVE.previous));
  }
  const fallback = defaultRoutes(s).find((r) => r.dev === up && r.gateway === c.gateway && r.metric === 2048);
  if (fallback) {
    add('default-route', ...removeFallbackRoute(c.gateway, up));
  }
  add('files', l10n.t('remove {0}, {1}, {2} and {3}', NATIVE.agent, NATIVE.conf, NATIVE.labels, NATIVE.previous), `rm -f ${shq(NATIVE.agent)} ${shq(NATIVE.conf)} ${shq(NATIVE.labels)} ${shq(NATIVE.previous)}\nrmdir ${shq(PATHS.stateDir)} 2>/dev/null || true`);
  return { steps, notes };
}
