// The typed view of a host, parsed from the JSON that scripts/snapshot.sh prints in one round trip.
// Everything the tool decides (plans, checks, refusals) is computed from a HostSnapshot.
import { Address6 } from 'ip-address';
import { parseRadvdConf, RadvdInterface } from './radvdConf';
import { SnapshotError } from './errors';
import { l10n } from './l10n';
import { Binding, RecordedConfig, StateError, parseBindings as parseBindingsFile, parseHostConf as parseHostConfFile } from './hostState';
import { LABELS, PATTERNS, SNAPSHOT_VERSION, matches } from './hostContract';

export interface Route {
  dst: string; // "default" or "addr/len" (as ip -j prints it; /128 routes print without length)
  dev?: string;
  gateway?: string;
  protocol?: string;
  metric?: number;
}

export interface ContainerView {
  id: string;
  name: string;
  state: string;
  running: boolean;
  pid: number;
  restartPolicy: string;
  /** docker network names the container is on (names outside Docker's rule left out) */
  networks: string[];
  /** each of its networks: the host bridge, the interface in the container on it, and whether an address can go there */
  attachments: Attachment[];
  /** the labels conoha-ipv6 reads (validated; anything else is ignored) */
  labels: ContainerLabels;
  /** the interface inside the container whose veth peer is on the bridge (from the netns view) */
  bridgeInterface?: string;
  /** the host bridge that interface's peer is enslaved to */
  bridgeOf?: string;
  ipv6Disabled?: boolean;
  /** global IPv6 addresses inside the container */
  globalAddresses: string[];
  /** IPv6 default routes inside the container */
  defaultRoutes: Route[];
}

export type { Binding, RecordedConfig } from './hostState';

export interface DockerNetwork {
  name: string;
  id: string;
  driver: string;
  internal: boolean;
  /** the host bridge of a bridge network (its com.docker.network.bridge.name option, else br-<id>) */
  bridge?: string;
}

export interface Attachment {
  network: string;
  bridge?: string;
  /** the container's interface whose peer is on that bridge */
  ifname?: string;
  /** why no address can go on this network (not a bridge, internal, unknown); undefined: it can */
  refused?: string;
}

export interface ContainerLabels {
  /** conoha-ipv6.address: "auto" or an address (canonical form); undefined without the label */
  address?: string;
  /** the label's value when it is neither (shown quoted, never used) */
  badAddress?: string;
  /** an address written otherwise than the host's agent compares it (upper case, leading zeros, uncompressed): its
   * canonical form, which the label must use (the agent compares text, and refuses the label) */
  canonical?: string;
  /** conoha-ipv6.network */
  network?: string;
  /** com.docker.compose.project / .service */
  project?: string;
  service?: string;
}

export interface PingResult {
  address: string;
  ok: boolean;
  output: string;
}

export interface HostSnapshot {
  hostname: string;
  uid: number;
  sudoUser: string;
  osId: string; // ID= of /etc/os-release, e.g. debian, ubuntu
  systemd: boolean;
  tools: { ip: boolean; nsenter: boolean; docker: boolean; radvd: boolean; apt: boolean; ping: boolean; systemctl: boolean };
  links: { name: string; index: number; master?: string; up: boolean; linkIndex?: number }[];
  /** IPv6 addresses per interface */
  addresses: { dev: string; address: string; prefixLength: number; scope: string; tentative: boolean }[];
  routes: Route[];
  /** proxy neighbour entries: address -> devices */
  proxies: { address: string; dev: string }[];
  /** live neighbour entries (another machine answered for the address) */
  neighbours: { address: string; dev: string; lladdr?: string }[];
  sysctl: Record<string, number>;
  radvd: { running: boolean; pids: number[]; conf?: string; interfaces: RadvdInterface[]; /** systemctl is-enabled radvd ('' without systemctl) */ enabled: string };
  docker: { ok: boolean; version: string; error: string; containers: ContainerView[]; /** docker networks (name, driver, internal, bridge) */ networks: DockerNetwork[] };
  agent: { sha256?: string; unit?: string; /** the multi-user.target.wants link exists (enabled at boot) */ unitWanted: boolean; unitActive: string; watchPid?: number };
  files: { hostConf?: string; bindings?: string; previous: boolean; sysctlConf?: string; /** our drop-in for the uplink's .network file */ networkdDropIn?: string; /** when an unconfirmed prepare was rolled back */ rolledBack?: string; rollbackArmed: boolean; /** previous.json: the host before the first prepare */ previousJson?: string; /** backup/radvd.conf exists */ radvdBackup: boolean };
  recorded?: RecordedConfig;
  bindings: Binding[];
  /** host.conf or the bindings file is not in the format conoha-ipv6 writes (each: which file, what to do) */
  stateErrors: string[];
  pings: PingResult[];
  /** outbound probes from bound containers' namespaces (verify with a probe target) */
  probes: PingResult[];
  netfilter: { ip6tablesSave?: string; nftJson?: string; ufwEnabled: boolean };
  /** interfaces systemd-networkd manages, with the .network file that configures each */
  networkd: { dev: string; networkFile: string }[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
// lenient readers for what other tools print (ip -j, docker inspect): items without the fields we need are skipped
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const obj = (v: unknown): Obj => (isObj(v) ? v : {});
const objs = (v: unknown): Obj[] => arr(v).filter(isObj);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
/** host text quoted into a message: control characters (terminal escapes) shown as \xNN */
const shown = (t: string): string => t.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

/** Canonical compressed form of an address, or the input unchanged when it is not IPv6. */
export function canon(address: string): string {
  const bare = address.replace(/\/128$/, '');
  return Address6.isValid(bare) ? new Address6(bare).correctForm() : address;
}

export function parseRoutes(json: unknown): Route[] {
  return objs(json).flatMap((r) => {
    const dst = str(r.dst);
    if (dst === undefined) return [];
    return [{
      dst: dst === 'default' ? 'default' : canonDst(dst),
      dev: str(r.dev),
      gateway: typeof r.gateway === 'string' && r.gateway ? canon(r.gateway) : undefined,
      protocol: str(r.protocol),
      metric: num(r.metric),
    }];
  });
}

function canonDst(dst: string): string {
  const [a, len] = dst.split('/');
  if (!Address6.isValid(a)) return dst;
  const c = new Address6(a).correctForm();
  return len && len !== '128' ? `${c}/${len}` : c;
}

export function parseAddrs(json: unknown): HostSnapshot['addresses'] {
  const out: HostSnapshot['addresses'] = [];
  for (const link of objs(json)) {
    const dev = str(link.ifname);
    if (dev === undefined) continue;
    for (const a of objs(link.addr_info)) {
      const local = str(a.local);
      const prefixLength = num(a.prefixlen);
      if (a.family !== 'inet6' || local === undefined || prefixLength === undefined) continue;
      out.push({ dev, address: canon(local), prefixLength, scope: str(a.scope) ?? '', tentative: a.tentative === true });
    }
  }
  return out;
}

/** the bindings file (hostState.ts's format), addresses in canonical form; throws StateError on a bad file */
export function parseBindings(text: string | undefined): Binding[] {
  if (text === undefined) return [];
  return parseBindingsFile(text).map((b) => ({ ...b, address: canon(b.address) }));
}

/** host.conf (hostState.ts's format), addresses in canonical form; throws StateError on a bad file */
export function parseHostConf(text: string | undefined): RecordedConfig | undefined {
  if (text === undefined) return undefined;
  const r = parseHostConfFile(text);
  return { ...r, addresses: r.addresses.map(canon) };
}

/** an address as /proc prints it (32 hex digits), in canonical form */
function procAddress(hex: string): string {
  return canon(hex.replace(/(.{4})(?!$)/g, '$1:'));
}

/** snapshot.sh's civ6_nsv text (a container's netns read from /proc) in the shape "ip -j" gives it (the "ns" object) */
export function parseNsv(text: string): Obj {
  const links: { ifindex: number; ifname: string; link_index?: number }[] = [{ ifindex: 1, ifname: 'lo' }];
  const addr_info: { ifname: string; family: string; local: string; prefixlen: number; scope: string; tentative: boolean }[] = [];
  const routes: Obj[] = [];
  let count: number | undefined;
  for (const item of text.split(';')) {
    const f = item.split(' ');
    if (f[0] === 'L' && f.length === 4 && /^\d{1,10}$/.test(f[2]) && /^\d{1,10}$/.test(f[3])) {
      links.push({ ifindex: +f[2], ifname: f[1], link_index: +f[3] });
    } else if (f[0] === 'A' && f.length === 5 && /^[0-9a-f]{32}$/.test(f[1]) && /^[0-9a-f]{2}$/.test(f[2]) && /^[0-9a-f]{2}$/.test(f[3])) {
      // only global addresses are listed (if_inet6 scope 00); flag 0x40 is IFA_F_TENTATIVE
      addr_info.push({ ifname: f[4], family: 'inet6', local: procAddress(f[1]), prefixlen: parseInt(f[2], 16), scope: 'global', tentative: (parseInt(f[3], 16) & 0x40) !== 0 });
    } else if (f[0] === 'R' && f.length === 4 && /^[0-9a-f]{32}$/.test(f[1]) && /^[0-9a-f]{8}$/.test(f[2])) {
      const gateway = /^0+$/.test(f[1]) ? undefined : procAddress(f[1]);
      routes.push({ dst: 'default', dev: f[3], ...(gateway ? { gateway } : {}), protocol: 'ra', metric: parseInt(f[2], 16) });
    } else if (f[0] === '6' && f.length === 2 && /^\d{1,6}$/.test(f[1])) {
      count = +f[1];
    }
  }
  links.sort((a, b) => a.ifindex - b.ifindex);
  const addrs = links.map((l) => ({ ifname: l.ifname, addr_info: addr_info.filter((a) => a.ifname === l.ifname) }));
  // all.disable_ipv6=1 takes every IPv6 address away, ::1 on lo included; with IPv6 on, lo (up) has ::1
  return { links, addrs, routes, disable_ipv6: count === undefined ? null : count === 0 ? 1 : 0 };
}

/** docker network inspect's objects (snapshot.sh civ6_networks), names checked; the bridge derived as Docker does */
export function parseNetworks(v: unknown): DockerNetwork[] {
  return objs(v).flatMap((n) => {
    const name = str(n.name);
    const id = str(n.id);
    if (name === undefined || id === undefined || !matches('networkName', name) || !/^[0-9a-f]{12,64}$/.test(id)) return [];
    const driver = str(n.driver) ?? '';
    const opt = str(obj(n.options)['com.docker.network.bridge.name']);
    const bridge = driver === 'bridge' ? (opt && matches('ifname', opt) ? opt : !opt ? `br-${id.slice(0, 12)}` : undefined) : undefined;
    return [{ name, id, driver, internal: n.internal === true, ...(bridge ? { bridge } : {}) }];
  });
}

const LABEL_TEXT = /^[A-Za-z0-9_.:-]{1,128}$/;
/** the labels conoha-ipv6 reads, each validated (host input): nothing else of a container's labels is kept */
export function parseLabels(v: unknown): ContainerLabels {
  const l = obj(v);
  const out: ContainerLabels = {};
  const addr = str(l[LABELS.address]);
  if (addr !== undefined) {
    const a = addr.trim().toLowerCase();
    if (addr === 'auto') out.address = 'auto';
    else if (Address6.isValid(a) && !a.includes('/') && canon(a) === addr) out.address = addr;
    else {
      out.badAddress = shown(addr.slice(0, 60));
      if (Address6.isValid(a) && !a.includes('/')) out.canonical = canon(a);
    }
  }
  const net = str(l[LABELS.network]);
  if (net !== undefined && matches('networkName', net)) out.network = net;
  const project = str(l[LABELS.composeProject]);
  if (project !== undefined && LABEL_TEXT.test(project)) out.project = project;
  const service = str(l[LABELS.composeService]);
  if (service !== undefined && LABEL_TEXT.test(service)) out.service = service;
  return out;
}

function parseContainer(c: Obj, bridgeIndexes: Map<number, string>, networks: DockerNetwork[]): ContainerView {
  const ns = typeof c.nsv === 'string' ? parseNsv(c.nsv) : obj(c.ns);
  const links = objs(ns.links);
  const onBridges = links
    .map((l) => ({ ifname: str(l.ifname), linkIndex: num(l.link_index) }))
    .filter((l): l is { ifname: string; linkIndex: number } => l.ifname !== undefined && l.linkIndex !== undefined && bridgeIndexes.has(l.linkIndex))
    .map((l) => ({ ifname: l.ifname, bridge: bridgeIndexes.get(l.linkIndex) as string }));
  const names = Object.keys(obj(c.networks)).filter((n) => matches('networkName', n)).sort();
  const attachments = names.map((network): Attachment => {
    const n = networks.find((x) => x.name === network);
    const refused = !n
      ? `network ${network} is not listed by docker`
      : n.driver !== 'bridge'
        ? `network ${network} is not a bridge network (driver ${shown(n.driver.slice(0, 32))}): only a bridge network's traffic can be routed to the container`
        : n.internal
          ? `network ${network} is internal (Docker gives it no way in or out)`
          : !n.bridge
            ? `network ${network} has a bridge name conoha-ipv6 does not accept`
            : undefined;
    const ifname = n?.bridge ? onBridges.find((b) => b.bridge === n.bridge)?.ifname : undefined;
    return { network, ...(n?.bridge ? { bridge: n.bridge } : {}), ...(ifname ? { ifname } : {}), ...(refused ? { refused } : {}) };
  });
  // the container interface whose peer (link_index in the host namespace) is enslaved to a bridge
  const onBridge = links
    .map((l) => ({ ifname: str(l.ifname), linkIndex: num(l.link_index) }))
    .find((l): l is { ifname: string; linkIndex: number } => l.ifname !== undefined && l.linkIndex !== undefined && bridgeIndexes.has(l.linkIndex));
  return {
    id: str(c.id) ?? '',
    name: (str(c.name) ?? '').replace(/^\//, ''),
    state: str(c.state) ?? '',
    running: c.running === true,
    pid: num(c.pid) ?? 0,
    restartPolicy: str(c.restartPolicy) ?? '',
    networks: names,
    attachments,
    labels: parseLabels(c.labels),
    bridgeInterface: onBridge?.ifname,
    bridgeOf: onBridge ? bridgeIndexes.get(onBridge.linkIndex) : undefined,
    ipv6Disabled: ns.disable_ipv6 === null || ns.disable_ipv6 === undefined ? undefined : ns.disable_ipv6 === 1,
    globalAddresses: parseAddrs(ns.addrs)
      .filter((a) => a.scope === 'global')
      .map((a) => a.address),
    defaultRoutes: parseRoutes(ns.routes).filter((r) => r.dst === 'default'),
  };
}

export { SnapshotError };
/** The host answered in another snapshot format version than this client reads: prepare updates the agent. */
export class SnapshotVersionError extends SnapshotError {}

// ---- the snapshot's schema: what snapshot.sh prints, every field typed. A missing field or a wrong type is a
// SnapshotError naming the field; the JSON that other tools print (ip -j, docker inspect) is checked for its
// container type here and read item by item below, skipping items without what we need.

type Schema<T> = (v: unknown, at: string) => T;

function describe(v: unknown): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${shown(JSON.stringify(v).slice(0, 40))}`;
}
function bad(at: string, want: string, v: unknown): never {
  throw new SnapshotError(l10n.t("the host's snapshot does not have the form this conoha-ipv6 reads: {0} is {1}, not {2}", at, describe(v), want));
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const S = {
  bool: ((v, at) => (typeof v === 'boolean' ? v : bad(at, 'true or false', v))) as Schema<boolean>,
  num: ((v, at) => (typeof v === 'number' && Number.isFinite(v) ? v : bad(at, 'a number', v))) as Schema<number>,
  int: ((v, at) => (Number.isSafeInteger(v) ? (v as number) : bad(at, 'an integer', v))) as Schema<number>,
  str: ((v, at) => (typeof v === 'string' ? v : bad(at, 'a string', v))) as Schema<string>,
  /** text the script base64-encoded */
  b64: ((v, at) => (typeof v === 'string' && v.length % 4 === 0 && BASE64.test(v) ? Buffer.from(v, 'base64').toString('utf8') : bad(at, 'base64 text', v))) as Schema<string>,
  orNull<T>(inner: Schema<T>): Schema<T | undefined> {
    return (v, at) => (v === null ? undefined : inner(v, at));
  },
  arrayOf<T>(item: Schema<T>): Schema<T[]> {
    return (v, at) => (Array.isArray(v) ? v.map((x, i) => item(x, `${at}[${i}]`)) : bad(at, 'an array', v));
  },
  /** an object with exactly these fields checked (others are ignored) */
  object<T extends object>(fields: { [K in keyof T]: Schema<T[K]> }): Schema<T> {
    return (v, at) => {
      if (!isObj(v)) return bad(at, 'an object', v);
      const out = {} as T;
      for (const k of Object.keys(fields) as (keyof T & string)[]) out[k] = fields[k](Object.prototype.hasOwnProperty.call(v, k) ? v[k] : undefined, `${at}.${k}`);
      return out;
    };
  },
  /** an object used as a map: keys matching `key`, values of one type (a plain object without a prototype chain) */
  record<T>(key: RegExp, value: Schema<T>): Schema<Record<string, T>> {
    return (v, at) => {
      if (!isObj(v)) return bad(at, 'an object', v);
      const out = Object.create(null) as Record<string, T>;
      for (const [k, x] of Object.entries(v)) {
        if (!key.test(k)) bad(`${at} key`, `a name like ${key.source}`, k);
        out[k] = value(x, `${at}.${k}`);
      }
      return { ...out };
    };
  },
  /** JSON another tool printed: an array, or null when the tool failed or printed nothing */
  toolArray: ((v, at) => (v === null ? [] : Array.isArray(v) ? (v as unknown[]) : bad(at, 'an array or null', v))) as Schema<unknown[]>,
};

const result = S.object({ address: S.str, rc: S.orNull(S.int), out: S.b64 });
/** snapshot.sh's JSON, version SNAPSHOT_VERSION */
const RAW = S.object({
  time: S.num,
  hostname: S.b64,
  uid: S.int,
  sudoUser: S.b64,
  osRelease: S.orNull(S.b64),
  kernel: S.b64,
  systemd: S.bool,
  tools: S.object({ ip: S.bool, nsenter: S.bool, docker: S.bool, radvd: S.bool, apt: S.bool, ping: S.bool, systemctl: S.bool }),
  links: S.toolArray,
  addrs: S.toolArray,
  routes: S.toolArray,
  proxies: S.toolArray,
  neighbours: S.toolArray,
  sysctl: S.record(new RegExp(`^${PATTERNS.sysctlDev.slice(1, -1)}\\.(forwarding|proxy_ndp|accept_ra|disable_ipv6)$`), S.int),
  radvd: S.object({ pids: S.arrayOf(S.int), conf: S.orNull(S.b64), enabled: S.b64 }),
  docker: S.object({ ok: S.bool, version: S.b64, error: S.b64, containers: S.toolArray, networks: S.toolArray }),
  agent: S.object({ sha256: S.orNull(S.str), unit: S.orNull(S.b64), unitWanted: S.bool, unitActive: S.b64, watchPid: S.orNull(S.int) }),
  files: S.object({
    rolledBack: S.orNull(S.b64),
    rollbackArmed: S.bool,
    previousJson: S.orNull(S.b64),
    radvdBackup: S.bool,
    hostConf: S.orNull(S.b64),
    bindings: S.orNull(S.b64),
    previous: S.bool,
    sysctlConf: S.orNull(S.b64),
    networkdDropIn: S.orNull(S.b64),
  }),
  netfilter: S.object({ ip6tablesSave: S.orNull(S.b64), nftJson: S.orNull(S.b64), ufwEnabled: S.bool }),
  networkd: S.record(/^[0-9]{1,10}$/, S.b64),
  probes: S.arrayOf(result),
  pings: S.arrayOf(result),
});

/** Parses snapshot.sh's output (the first line that starts with '{"v":'). */
export function parseSnapshot(stdout: string): HostSnapshot {
  const line = stdout.split('\n').find((l) => l.startsWith('{"v":'));
  if (!line) throw new SnapshotError(l10n.t('the host did not return a snapshot; it printed: {0}', shown(stdout.slice(0, 400)) || l10n.t('(nothing)')));
  let j: unknown;
  try {
    j = JSON.parse(line);
  } catch (e) {
    throw new SnapshotError(l10n.t("the host's snapshot is not valid JSON ({0})", shown((e as Error).message.slice(0, 400))));
  }
  if (!isObj(j)) bad('the snapshot', 'an object', j);
  if (j.v !== SNAPSHOT_VERSION) {
    // never stringify the host's value whole: it may be nested deeper than the stack
    const v = isObj(j.v) ? 'an object' : Array.isArray(j.v) ? 'an array' : shown(JSON.stringify(j.v).slice(0, 40));
    throw new SnapshotVersionError(
      `the host's snapshot has format version ${v}; this conoha-ipv6 reads version ${SNAPSHOT_VERSION}: the host answered with the scripts of another conoha-ipv6 version; prepare the host with this version to update its agent`,
      [{ id: 'prepare' }],
    );
  }
  const r = RAW(j, 'snapshot');
  const links = objs(r.links)
    .map((l) => ({ name: str(l.ifname), index: num(l.ifindex), master: str(l.master), up: arr(l.flags).includes('UP'), linkIndex: num(l.link_index) }))
    .filter((l): l is typeof l & { name: string; index: number } => l.name !== undefined && l.index !== undefined);
  // veths enslaved to some bridge: host ifindex -> bridge name
  const bridgeIndexes = new Map<number, string>();
  for (const l of links) if (l.master) bridgeIndexes.set(l.index, l.master);
  const stateErrors: string[] = [];
  const state = <T>(read: () => T): T | undefined => {
    try {
      return read();
    } catch (e) {
      if (!(e instanceof StateError)) throw e;
      stateErrors.push(shown(e.message));
      return undefined;
    }
  };
  const results = (v: { address: string; rc: number | undefined; out: string }[]): PingResult[] => v.map((p) => ({ address: canon(p.address), ok: p.rc === 0, output: p.out }));
  const pids = r.radvd.pids;
  const dockerNetworks = parseNetworks(r.docker.networks);
  const pair = (p: Obj) => ({ address: str(p.dst), dev: str(p.dev) });
  return {
    hostname: r.hostname,
    uid: r.uid,
    sudoUser: r.sudoUser,
    osId: (/^ID=["']?([^"'\n]*)/m.exec(r.osRelease ?? '')?.[1] ?? '').toLowerCase(),
    systemd: r.systemd,
    tools: r.tools,
    links,
    addresses: parseAddrs(r.addrs),
    routes: parseRoutes(r.routes),
    proxies: objs(r.proxies)
      .map(pair)
      .filter((p): p is { address: string; dev: string } => p.address !== undefined && p.dev !== undefined)
      .map((p) => ({ address: canon(p.address), dev: p.dev })),
    neighbours: objs(r.neighbours)
      .map((p) => ({ ...pair(p), lladdr: str(p.lladdr) }))
      .filter((p): p is { address: string; dev: string; lladdr: string | undefined } => p.address !== undefined && p.dev !== undefined)
      .map((p) => ({ address: canon(p.address), dev: p.dev, lladdr: p.lladdr })),
    sysctl: r.sysctl,
    radvd: {
      running: pids.length > 0,
      pids,
      conf: r.radvd.conf,
      interfaces: r.radvd.conf ? parseRadvdConf(r.radvd.conf) : [],
      enabled: r.radvd.enabled.trim(),
    },
    docker: {
      ok: r.docker.ok,
      version: r.docker.version.trim(),
      error: r.docker.error.trim(),
      containers: objs(r.docker.containers).map((c) => parseContainer(c, bridgeIndexes, dockerNetworks)),
      networks: dockerNetworks,
    },
    agent: { ...r.agent, unitActive: r.agent.unitActive.trim() },
    files: r.files,
    recorded: state(() => parseHostConf(r.files.hostConf)),
    bindings: state(() => parseBindings(r.files.bindings)) ?? [],
    stateErrors,
    pings: results(r.pings),
    probes: results(r.probes),
    netfilter: r.netfilter,
    networkd: Object.entries(r.networkd).flatMap(([index, file]) => {
      const dev = links.find((l) => l.index === Number(index))?.name;
      return dev ? [{ dev, networkFile: file }] : [];
    }),
  };
}

// ---- small queries used by the planner, the checks and the UI

export function sysctl(s: HostSnapshot, dev: string, key: 'forwarding' | 'proxy_ndp' | 'accept_ra' | 'disable_ipv6'): number | undefined {
  return s.sysctl[`${dev}.${key}`];
}

export function defaultRoutes(s: HostSnapshot): Route[] {
  return s.routes.filter((r) => r.dst === 'default');
}

/** Where the uplink's default route comes from: router advertisements (the kernel's, or a network manager's
 * RA client), or static configuration. What prepare recorded the first time wins: by then the route may be one
 * we re-added ourselves (proto boot) after forwarding purged the RA route. With nothing recorded and no route,
 * RAs: losing an RA route to forwarding is the usual way a route goes missing. */
export function routeSource(s: HostSnapshot, uplink: string): 'ra' | 'static' {
  if (s.recorded?.route === 'ra' || s.recorded?.route === 'static') return s.recorded.route;
  const r = defaultRoutes(s).find((x) => x.dev === uplink);
  return !r || r.protocol === 'ra' ? 'ra' : 'static';
}

/** the .network file of systemd-networkd that configures dev, when networkd manages it */
export function networkdFileOf(s: HostSnapshot, dev: string): string | undefined {
  return s.networkd.find((n) => n.dev === dev)?.networkFile || undefined;
}

export function linkLocalOf(s: HostSnapshot, dev: string): string | undefined {
  return s.addresses.find((a) => a.dev === dev && a.scope === 'link' && !a.tentative)?.address;
}

export function hasRoute(s: HostSnapshot, address: string, dev: string): boolean {
  return s.routes.some((r) => r.dst === address && r.dev === dev);
}

export function hasProxy(s: HostSnapshot, address: string, dev: string): boolean {
  return s.proxies.some((p) => p.address === address && p.dev === dev);
}

export function findContainer(s: HostSnapshot, nameOrId: string): ContainerView | undefined {
  const n = nameOrId.replace(/^\//, '');
  return (
    s.docker.containers.find((c) => c.name === n) ??
    (matches('containerId', n) ? s.docker.containers.find((c) => c.id.startsWith(n)) : undefined)
  );
}

/** Who holds an address: the recorded binding, or else a container that has it without a record. */
export function holderOf(s: HostSnapshot, address: string): { container: string; recorded: boolean } | undefined {
  const b = s.bindings.find((x) => x.address === address);
  if (b) return { container: b.container, recorded: true };
  const k = s.docker.containers.find((x) => x.globalAddresses.includes(address));
  return k ? { container: k.name, recorded: false } : undefined;
}

/** Running containers that hold none of `addresses` (neither recorded nor found in them). */
export function containersWithoutAddress(s: HostSnapshot, addresses: string[]): ContainerView[] {
  return s.docker.containers.filter(
    (k) => k.running && !s.bindings.some((b) => b.container === k.name) && !k.globalAddresses.some((a) => addresses.includes(a)),
  );
}

/** The network a binding is on: its recorded network, else the container's network on the host's bridge. */
export function networkOfBinding(s: HostSnapshot, b: Binding, hostBridge: string): DockerNetwork | undefined {
  if (b.network) return s.docker.networks.find((n) => n.name === b.network);
  return s.docker.networks.find((n) => n.bridge === hostBridge);
}

/** The bridge a binding's address is routed to: its network's bridge, else the host's bridge. */
export function bridgeOfBinding(s: HostSnapshot, b: Binding, hostBridge: string): string {
  return networkOfBinding(s, b, hostBridge)?.bridge ?? hostBridge;
}

/** The bridge an address should be routed to: its binding's network's bridge, else the host's bridge. */
export function bridgeOfAddress(s: HostSnapshot, address: string, hostBridge: string): string {
  const b = s.bindings.find((x) => x.address === address);
  if (!b) return hostBridge;
  const n = networkOfBinding(s, b, hostBridge);
  return n?.bridge && s.links.some((l) => l.name === n.bridge) ? n.bridge : hostBridge;
}

/** The network an address goes on when the user names none: the container's network on the host's bridge, else its
 * first usable bridge network (in name order), as the agent's pick_network does. */
export function defaultAttachment(k: ContainerView, hostBridge: string): Attachment | undefined {
  const usable = k.attachments.filter((a) => !a.refused);
  return usable.find((a) => a.bridge === hostBridge) ?? usable[0];
}
