// The typed view of a host, parsed from the JSON that scripts/snapshot.sh prints in one round trip.
// Everything the tool decides (plans, checks, refusals) is computed from a HostSnapshot.
import { Address6 } from 'ip-address';
import { parseRadvdConf, RadvdInterface } from './radvdConf';

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
  /** docker network names the container is on */
  networks: string[];
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

export interface Binding {
  address: string;
  /** the container's name when it was bound */
  container: string;
  /** the container's id when it was bound (bindings written by older agents have none) */
  id?: string;
}

export interface RecordedConfig {
  uplink?: string;
  bridge?: string;
  gateway?: string;
  addresses: string[];
  /** where the default route comes from: 'ra' (router advertisements) or 'static' (the host's network manager) */
  route?: string;
  /** the networks the firewall rules admit (the /124, or one /128 per address) */
  allow: string[];
  /** where prepare put allow rules: docker-user, forward, ufw */
  firewall: string[];
  /** the ip6tables FORWARD policy before the first prepare, kept by the agent */
  forwardPolicy?: string;
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
  docker: { ok: boolean; version: string; error: string; containers: ContainerView[] };
  agent: { sha256?: string; unit?: string; /** the multi-user.target.wants link exists (enabled at boot) */ unitWanted: boolean; unitActive: string; watchPid?: number };
  files: { hostConf?: string; bindings?: string; previous: boolean; sysctlConf?: string; /** our drop-in for the uplink's .network file */ networkdDropIn?: string; /** when an unconfirmed prepare was rolled back */ rolledBack?: string; rollbackArmed: boolean; /** previous.json: the host before the first prepare */ previousJson?: string; /** backup/radvd.conf exists */ radvdBackup: boolean };
  recorded?: RecordedConfig;
  bindings: Binding[];
  pings: PingResult[];
  /** outbound probes from bound containers' namespaces (verify with a probe target) */
  probes: PingResult[];
  netfilter: { ip6tablesSave?: string; nftJson?: string; ufwEnabled: boolean };
  /** interfaces systemd-networkd manages, with the .network file that configures each */
  networkd: { dev: string; networkFile: string }[];
}

const b64 = (v: unknown): string => (typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : '');
const b64opt = (v: unknown): string | undefined => (typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : undefined);
const arr = (v: unknown): any[] => (Array.isArray(v) ? v : []);
// the snapshot comes from an untrusted host: every field is checked for its type, never assumed
const obj = (v: unknown): Record<string, any> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, any>) : {});
const objs = (v: unknown): Record<string, any>[] => arr(v).filter((x) => x !== null && typeof x === 'object' && !Array.isArray(x));
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
  return objs(json)
    .filter((r) => typeof r.dst === 'string')
    .map((r) => ({
      dst: r.dst === 'default' ? 'default' : canonDst(r.dst),
      dev: str(r.dev),
      gateway: typeof r.gateway === 'string' && r.gateway ? canon(r.gateway) : undefined,
      protocol: str(r.protocol),
      metric: num(r.metric),
    }));
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
    if (typeof link.ifname !== 'string') continue;
    for (const a of objs(link.addr_info)) {
      if (a.family !== 'inet6' || typeof a.local !== 'string' || num(a.prefixlen) === undefined) continue;
      out.push({ dev: link.ifname, address: canon(a.local), prefixLength: a.prefixlen, scope: str(a.scope) ?? '', tentative: a.tentative === true });
    }
  }
  return out;
}

export function parseBindings(text: string | undefined): Binding[] {
  if (!text) return [];
  return text
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => (f.length === 2 || f.length === 3) && f[0] !== '')
    .map(([address, container, id]) => ({ address: canon(address), container, ...(id && /^[0-9a-f]{12,64}$/.test(id) ? { id } : {}) }));
}

/** host.conf is written by prepare as shell assignments of validated values. */
export function parseHostConf(text: string | undefined): RecordedConfig | undefined {
  if (!text) return undefined;
  const get = (k: string) => {
    const m = new RegExp(`^${k}=['"]?([^'"\\n]*)['"]?$`, 'm').exec(text);
    return m ? m[1] : undefined;
  };
  return {
    uplink: get('UPLINK') || undefined,
    bridge: get('BRIDGE') || undefined,
    gateway: get('GATEWAY') || undefined,
    addresses: (get('ADDRESSES') ?? '').split(/\s+/).filter(Boolean).map(canon),
    route: get('ROUTE') || undefined,
    allow: (get('ALLOW') ?? '').split(/\s+/).filter(Boolean),
    firewall: (get('FIREWALL') ?? '').split(/\s+/).filter(Boolean),
    forwardPolicy: get('FORWARD_POLICY') || undefined,
  };
}

/** an address as /proc prints it (32 hex digits), in canonical form */
function procAddress(hex: string): string {
  return canon(hex.match(/.{4}/g)!.join(':'));
}

/** snapshot.sh's civ6_nsv text (a container's netns read from /proc) in the shape "ip -j" gives it (the "ns" object) */
export function parseNsv(text: string): Record<string, any> {
  const links: Record<string, any>[] = [{ ifindex: 1, ifname: 'lo' }];
  const addr_info: Record<string, any>[] = [];
  const routes: Record<string, any>[] = [];
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

function parseContainer(c: Record<string, any>, bridgeIndexes: Map<number, string>): ContainerView {
  const ns = typeof c.nsv === 'string' ? parseNsv(c.nsv) : obj(c.ns);
  const links = objs(ns.links);
  // the container interface whose peer (link_index in the host namespace) is enslaved to a bridge
  const onBridge = links.find((l) => typeof l.ifname === 'string' && typeof l.link_index === 'number' && bridgeIndexes.has(l.link_index));
  return {
    id: str(c.id) ?? '',
    name: (str(c.name) ?? '').replace(/^\//, ''),
    state: str(c.state) ?? '',
    running: c.running === true,
    pid: num(c.pid) ?? 0,
    restartPolicy: str(c.restartPolicy) ?? '',
    networks: Object.keys(obj(c.networks)),
    bridgeInterface: onBridge?.ifname,
    bridgeOf: onBridge ? bridgeIndexes.get(onBridge.link_index) : undefined,
    ipv6Disabled: ns.disable_ipv6 === null || ns.disable_ipv6 === undefined ? undefined : ns.disable_ipv6 === 1,
    globalAddresses: parseAddrs(ns.addrs)
      .filter((a) => a.scope === 'global')
      .map((a) => a.address),
    defaultRoutes: parseRoutes(ns.routes).filter((r) => r.dst === 'default'),
  };
}

export class SnapshotError extends Error {}

/** Parses snapshot.sh's output (the first line that starts with '{'). */
export function parseSnapshot(stdout: string): HostSnapshot {
  const line = stdout.split('\n').find((l) => l.startsWith('{"v":'));
  if (!line) throw new SnapshotError(`the host did not return a snapshot; it printed: ${shown(stdout.slice(0, 400)) || '(nothing)'}`);
  let j: Record<string, any>;
  try {
    j = JSON.parse(line);
  } catch (e) {
    throw new SnapshotError(`the host's snapshot is not valid JSON (${shown((e as Error).message.slice(0, 400))})`);
  }
  if (j.v !== 1) {
    // never stringify the host's value whole: it may be nested deeper than the stack
    const v = j.v !== null && typeof j.v === 'object' ? (Array.isArray(j.v) ? 'an array' : 'an object') : JSON.stringify(j.v).slice(0, 40);
    throw new SnapshotError(`the host's snapshot has format version ${shown(v)}; this conoha-ipv6 reads version 1`);
  }
  const links = objs(j.links)
    .filter((l) => typeof l.ifname === 'string' && num(l.ifindex) !== undefined)
    .map((l) => ({
      name: l.ifname as string,
      index: l.ifindex as number,
      master: str(l.master),
      up: arr(l.flags).includes('UP'),
      linkIndex: num(l.link_index),
    }));
  // veths enslaved to some bridge: host ifindex -> bridge name
  const bridgeIndexes = new Map<number, string>();
  for (const l of links) if (l.master) bridgeIndexes.set(l.index, l.master);
  const os = b64(j.osRelease);
  const radvd = obj(j.radvd);
  const docker = obj(j.docker);
  const agent = obj(j.agent);
  const files = obj(j.files);
  const netfilter = obj(j.netfilter);
  const tools = obj(j.tools);
  const radvdConf = b64opt(radvd.conf);
  const hostConf = b64opt(files.hostConf);
  const bindingsText = b64opt(files.bindings);
  const pids = arr(radvd.pids).filter((p) => num(p) !== undefined);
  const sysctls: Record<string, number> = {};
  for (const [k, v] of Object.entries(obj(j.sysctl))) if (k !== '__proto__' && num(v) !== undefined) sysctls[k] = v;
  const results = (v: unknown): PingResult[] =>
    objs(v)
      .filter((p) => typeof p.address === 'string')
      .map((p) => ({ address: canon(p.address), ok: p.rc === 0, output: b64(p.out) }));
  return {
    hostname: b64(j.hostname),
    uid: num(j.uid) ?? -1,
    sudoUser: b64(j.sudoUser),
    osId: (/^ID=["']?([^"'\n]*)/m.exec(os)?.[1] ?? '').toLowerCase(),
    systemd: j.systemd === true,
    tools: {
      ip: tools.ip === true,
      nsenter: tools.nsenter === true,
      docker: tools.docker === true,
      radvd: tools.radvd === true,
      apt: tools.apt === true,
      ping: tools.ping === true,
      systemctl: tools.systemctl === true,
    },
    links,
    addresses: parseAddrs(j.addrs),
    routes: parseRoutes(j.routes),
    proxies: objs(j.proxies)
      .filter((p) => typeof p.dst === 'string' && typeof p.dev === 'string')
      .map((p) => ({ address: canon(p.dst), dev: p.dev })),
    neighbours: objs(j.neighbours)
      .filter((p) => typeof p.dst === 'string' && typeof p.dev === 'string')
      .map((p) => ({ address: canon(p.dst), dev: p.dev, lladdr: str(p.lladdr) })),
    sysctl: sysctls,
    radvd: {
      running: pids.length > 0,
      pids,
      conf: radvdConf,
      interfaces: radvdConf ? parseRadvdConf(radvdConf) : [],
      enabled: b64(radvd.enabled).trim(),
    },
    docker: {
      ok: docker.ok === true,
      version: b64(docker.version).trim(),
      error: b64(docker.error).trim(),
      containers: objs(docker.containers).map((c) => parseContainer(c, bridgeIndexes)),
    },
    agent: {
      sha256: str(agent.sha256),
      unit: b64opt(agent.unit),
      unitWanted: agent.unitWanted === true,
      unitActive: b64(agent.unitActive).trim(),
      watchPid: num(agent.watchPid),
    },
    files: { hostConf, bindings: bindingsText, previous: files.previous === true, sysctlConf: b64opt(files.sysctlConf), networkdDropIn: b64opt(files.networkdDropIn), rolledBack: b64opt(files.rolledBack), rollbackArmed: files.rollbackArmed === true, previousJson: b64opt(files.previousJson), radvdBackup: files.radvdBackup === true },
    recorded: parseHostConf(hostConf),
    bindings: parseBindings(bindingsText),
    pings: results(j.pings),
    probes: results(j.probes),
    netfilter: { ip6tablesSave: b64opt(netfilter.ip6tablesSave), nftJson: b64opt(netfilter.nftJson), ufwEnabled: netfilter.ufwEnabled === true },
    networkd: Object.entries(obj(j.networkd)).flatMap(([index, file]) => {
      const dev = links.find((l) => l.index === Number(index))?.name;
      return dev ? [{ dev, networkFile: b64(file) }] : [];
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
    (/^[0-9a-f]{12,64}$/.test(n) ? s.docker.containers.find((c) => c.id.startsWith(n)) : undefined)
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
