// What the client and the host's shell scripts both know: paths, markers, exit codes, the patterns that names and
// addresses must match, and the snapshot format version. This module is the one source: the shell side is generated
// from it (hostPreamble.ts) and prepended to every script sent to a host and to the agent installed there, so the
// .sh files under src/host/scripts/ name these facts only through the CIV6_* variables and civ6_* functions below.
// Pure data: imports nothing.

/** Files and directories on the host. */
export const PATHS = {
  /** the host's recorded state (host.conf, bindings, previous.json, backups) */
  stateDir: '/etc/conoha-ipv6',
  hostConf: '/etc/conoha-ipv6/host.conf',
  bindings: '/etc/conoha-ipv6/bindings',
  previousJson: '/etc/conoha-ipv6/previous.json',
  backupDir: '/etc/conoha-ipv6/backup',
  radvdBackup: '/etc/conoha-ipv6/backup/radvd.conf',
  rolledBack: '/etc/conoha-ipv6/rolled-back',
  /** runtime state: the lock, the watcher's pid, the armed rollback */
  runDir: '/run/conoha-ipv6',
  lock: '/run/conoha-ipv6/lock',
  watchPid: '/run/conoha-ipv6/watch.pid',
  rollbackScript: '/run/conoha-ipv6/rollback.sh',
  rollbackArmed: '/run/conoha-ipv6/rollback.armed',
  agent: '/usr/local/sbin/conoha-ipv6-agent',
  unitName: 'conoha-ipv6.service',
  unit: '/etc/systemd/system/conoha-ipv6.service',
  unitWants: '/etc/systemd/system/multi-user.target.wants/conoha-ipv6.service',
  sysctlConf: '/etc/sysctl.d/60-conoha-ipv6.conf',
  /** the file name of our drop-in beside the uplink's .network file */
  networkdDropInName: '60-conoha-ipv6.conf',
  radvdConf: '/etc/radvd.conf',
} as const;

/** Line prefixes in a script's stdout that the client looks for. */
export const MARKERS = {
  /** one JSON line per step of an apply script */
  step: 'CIV6-STEP',
  /** the fresh snapshot that ends an apply script follows this line */
  snapshot: 'CIV6-SNAPSHOT',
  /** the comment on every firewall rule prepare adds (ip6tables -m comment, ufw route ... comment) */
  ruleComment: 'conoha-ipv6',
} as const;

/** Exit codes with a meaning between the host and the client. */
export const EXIT = {
  /** bad usage or a refusal by the agent (nothing changed) */
  refused: 2,
  /** agent: the container does not exist */
  noContainer: 3,
  /** agent: the container is not running */
  notRunning: 4,
  /** agent: the container has no interface on the bridge */
  noInterface: 5,
  /** agent: the address could not be put on the container */
  attachFailed: 6,
  /** agent: another change holds the host's lock (EX_TEMPFAIL) */
  busy: 75,
  /** launcher: not root and no sudo */
  noSudo: 97,
  /** launcher: sudo wants a password */
  sudoPassword: 98,
} as const;

/** The agent's exits that mean it refused before changing anything (another client got there first, the container
 * went away or stopped, the lock is held): the client reports them as refusals, not as a failed step. */
export const AGENT_REFUSALS: readonly number[] = [EXIT.refused, EXIT.noContainer, EXIT.notRunning, EXIT.noInterface, EXIT.busy];

/** The version of the JSON the snapshot script prints ("v"). Bump it with any change to the envelope. */
export const SNAPSHOT_VERSION = 2;

/** Anchored POSIX extended regular expressions, the same text for JS RegExp, bash's [[ =~ ]] and grep -E: only
 * bracket expressions, anchors, groups, alternation and small intervals (musl's RE_DUP_MAX is 255). */
export const PATTERNS = {
  /** a network interface name: the kernel's rule (IFNAMSIZ 16) */
  ifname: '^[A-Za-z0-9_.-]{1,15}$',
  /** a Docker container name (Docker's own rule, without the leading "/") */
  containerName: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$',
  /** a Docker network name (Docker's rule for user-defined networks) */
  networkName: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$',
  /** where a binding came from: the assign command, or a container's conoha-ipv6.address label */
  bindingSource: '^(assign|label)$',
  /** a Docker container id, full or shortened */
  containerId: '^[0-9a-f]{12,64}$',
  /** an IPv6 address as the host prints and records it (lower case, no prefix length) */
  address: '^[0-9a-f:]{2,39}$',
  /** an IPv6 network (ALLOW) */
  network: '^[0-9a-f:]{2,39}/[0-9]{1,3}$',
  mac: '^[0-9a-f]{2}(:[0-9a-f]{2}){5}$',
  /** an interface name as the snapshot reports sysctls under /proc/sys/net/ipv6/conf ("all", "default" included) */
  sysctlDev: '^[A-Za-z0-9_.@-]{1,15}$',
  pid: '^[1-9][0-9]{0,9}$',
  /** where prepare put allow rules */
  firewallMechanism: '^(docker-user|forward|ufw)$',
  /** the ip6tables FORWARD policy before the first prepare (empty: no ip6 filter table) */
  forwardPolicy: '^(DROP|ACCEPT|)$',
  /** where the default route comes from (empty: not recorded) */
  routeSource: '^(ra|static|)$',
  /** a step id in an apply script */
  stepId: '^[a-z0-9:.-]{1,64}$',
} as const;

/** Container labels the agent reads (values validated like any other host input). */
export const LABELS = {
  /** "auto" or one of the host's addresses: the agent binds it when the container starts */
  address: 'conoha-ipv6.address',
  /** the Docker network the address goes on (default: the first bridge network of the container) */
  network: 'conoha-ipv6.network',
  composeProject: 'com.docker.compose.project',
  composeService: 'com.docker.compose.service',
} as const;

export type PatternName = keyof typeof PATTERNS;

const compiled = new Map<PatternName, RegExp>();
/** A pattern as a JS RegExp (the same source the shell uses). */
export function pattern(name: PatternName): RegExp {
  let r = compiled.get(name);
  if (!r) compiled.set(name, (r = new RegExp(PATTERNS[name])));
  return r;
}

export function matches(name: PatternName, value: string): boolean {
  return pattern(name).test(value);
}
