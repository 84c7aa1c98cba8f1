// The host's recorded state: /etc/conoha-ipv6/host.conf (written by prepare) and /etc/conoha-ipv6/bindings (written by
// the agent at bind/unbind). One format for both, defined here once, with its writer, its TS parser and the shell
// reader the agent and the snapshot script use (generated from the same tables, never `source`d):
//   - a text file of at most STATE_MAX_BYTES bytes, no NUL byte, lines of printable ASCII;
//   - blank lines and "#" comment lines are ignored;
//   - host.conf: KEY=value lines, the value optionally in double quotes, made only of letters, digits and "_.:/ -"
//     (so even a shell that sources it, as agents before this format did, reads it as plain words); every value is
//     checked against its key's pattern (hostContract.ts), a list value word by word; unknown keys are ignored;
//   - bindings: "ADDRESS CONTAINER-NAME [CONTAINER-ID [NETWORK [SOURCE]]]" lines, each field checked against its
//     pattern; NETWORK is the Docker network the address is on (none: the host's bridge), SOURCE "assign" or "label";
//     a "#released ADDRESS CONTAINER-NAME" comment remembers the address a removed label container held, so that
//     "auto" gives the container of that name the same address again (readers ignore comments).
// Anything else (a "$(...)", a stray line, a huge file) is refused as a whole by both readers: the TS parser throws a
// StateError, the shell reader fails with the reason on stderr. Files written by earlier versions are in this format.
import { PATTERNS, PATHS, PatternName, matches } from './hostContract';
import { l10n } from './l10n';

export const STATE_MAX_BYTES = 16384;

const VALUE = '[A-Za-z0-9_.:/ -]';
const inner = (p: string) => p.slice(1, -1); // a pattern without its anchors
/** a host.conf line (ERE, for JS and grep -E) */
export const CONF_LINE = `^(#[ -~]*|[A-Z][A-Z0-9_]{0,31}=(${VALUE}*|"${VALUE}*")|)$`;
/** a bindings line (ERE, for JS and grep -E) */
export const BINDING_LINE = `^(#[ -~]*|(${inner(PATTERNS.address)}) +(${inner(PATTERNS.containerName)})( +(${inner(PATTERNS.containerId)})( +(${inner(PATTERNS.networkName)})( +(${inner(PATTERNS.bindingSource)}))?)?)? *|)$`;

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

export interface Binding {
  address: string;
  /** the container's name when it was bound */
  container: string;
  /** the container's id when it was bound (bindings written by older agents have none) */
  id?: string;
  /** the Docker network the address is on (none: the container's network on the host's bridge) */
  network?: string;
  /** who made it: the assign command, or the container's conoha-ipv6.address label (none: assign, older agents) */
  source?: 'assign' | 'label';
}

interface ConfKey {
  key: string;
  field: Exclude<keyof RecordedConfig, never>;
  pattern: PatternName;
  list?: boolean;
  required?: boolean;
  /** written in double quotes (lists, as earlier versions did) */
  quoted?: boolean;
}

/** host.conf's keys, in the order prepare writes them; the shell reader sets a variable of the same name. */
export const CONF_KEYS: readonly ConfKey[] = [
  { key: 'UPLINK', field: 'uplink', pattern: 'ifname', required: true },
  { key: 'BRIDGE', field: 'bridge', pattern: 'ifname', required: true },
  { key: 'GATEWAY', field: 'gateway', pattern: 'address', required: true },
  { key: 'ADDRESSES', field: 'addresses', pattern: 'address', list: true, quoted: true },
  { key: 'ROUTE', field: 'route', pattern: 'routeSource' },
  { key: 'ALLOW', field: 'allow', pattern: 'network', list: true, quoted: true },
  { key: 'FIREWALL', field: 'firewall', pattern: 'firewallMechanism', list: true, quoted: true },
  { key: 'FORWARD_POLICY', field: 'forwardPolicy', pattern: 'forwardPolicy' },
];

/** A recorded-state file that is not in the format: the message says which file, where, and what to do. */
export class StateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StateError';
  }
}

const shownLine = (l: string) => JSON.stringify(l.length > 60 ? l.slice(0, 60) + '…' : l).replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

/** The lines of a state file that passes the file-level rules (size, NUL, every line matching `line`). */
function checkedLines(text: string, path: string, line: RegExp, fix: string): string[] {
  const bytes = Buffer.byteLength(text);
  if (bytes > STATE_MAX_BYTES) throw new StateError(l10n.t('{0} is {1} bytes, more than the {2} conoha-ipv6 writes: {3}', path, bytes, STATE_MAX_BYTES, fix));
  if (text.includes('\0')) throw new StateError(l10n.t('{0} contains a NUL byte: {1}', path, fix));
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((l, i) => {
    if (!line.test(l)) throw new StateError(l10n.t('{0} line {1} ({2}) is not in the format conoha-ipv6 writes: {3}', path, i + 1, shownLine(l), fix));
  });
  return lines.filter((l) => l !== '' && !l.startsWith('#'));
}

// what to do about a bad file, in the user's words when the error is made
const confFix = () => l10n.t('prepare the host again to write it anew');
const bindingsFix = () => l10n.t('correct or remove that line by hand (lines are "ADDRESS CONTAINER [ID [NETWORK [assign|label]]]"), then run the command again');

/** host.conf as prepare writes it. Every value must match its key's pattern (they are validated input). */
export function writeHostConf(r: RecordedConfig): string {
  const lines = ['# written by conoha-ipv6 prepare; read by conoha-ipv6-agent and by conoha-ipv6 itself'];
  for (const k of CONF_KEYS) {
    const v = r[k.field];
    const words = Array.isArray(v) ? v : v === undefined ? [] : [v];
    for (const w of words) if (!matches(k.pattern, w) || (k.list && w === '')) throw new Error(`host.conf: ${k.key} value ${JSON.stringify(w)} does not match ${PATTERNS[k.pattern]}`);
    const text = words.join(' ');
    lines.push(`${k.key}=${k.quoted ? `"${text}"` : text}`);
  }
  const out = lines.join('\n') + '\n';
  checkedLines(out, PATHS.hostConf, new RegExp(CONF_LINE), l10n.t('a bug in conoha-ipv6')); // what we write, we read
  return out;
}

/** host.conf from the host. Throws StateError on anything prepare would not have written. */
export function parseHostConf(text: string): RecordedConfig {
  const values = new Map<string, string>();
  for (const l of checkedLines(text, PATHS.hostConf, new RegExp(CONF_LINE), confFix())) {
    const eq = l.indexOf('=');
    let v = l.slice(eq + 1);
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    values.set(l.slice(0, eq), v);
  }
  const r: RecordedConfig = { addresses: [], allow: [], firewall: [] };
  for (const k of CONF_KEYS) {
    const v = values.get(k.key) ?? '';
    if (k.required && v === '') throw new StateError(l10n.t('{0} has no {1}: {2}', PATHS.hostConf, k.key, confFix()));
    const words = k.list ? v.split(' ').filter(Boolean) : [v];
    for (const w of words) if (!matches(k.pattern, w)) throw new StateError(l10n.t('{0} has a bad {1} ({2}): {3}', PATHS.hostConf, k.key, shownLine(w), confFix()));
    if (k.list) (r[k.field] as string[]) = words;
    else if (v !== '') (r[k.field] as string) = v;
  }
  return r;
}

/** one line of the bindings file, as the agent appends it */
export function bindingLine(b: Binding): string {
  if ((b.network || b.source) && !b.id) throw new Error(`not a binding: a network or source needs the container id (${b.address})`);
  if (b.source && !b.network) throw new Error(`not a binding: a source needs the network (${b.address})`);
  const line = [b.address, b.container, b.id, b.network, b.source].filter(Boolean).join(' ');
  if (!new RegExp(BINDING_LINE).test(line) || line === '' || line.startsWith('#')) throw new Error(`not a binding: ${JSON.stringify(line)}`);
  return line + '\n';
}

/** the bindings file from the host (addresses as recorded, not canonicalized). Throws StateError on a bad file. */
export function parseBindings(text: string): Binding[] {
  const re = new RegExp(BINDING_LINE);
  return checkedLines(text, PATHS.bindings, re, bindingsFix()).map((l) => {
    const m = re.exec(l);
    if (!m) throw new StateError(`${PATHS.bindings}: a checked line no longer matches (${shownLine(l)})`); // checkedLines tested it
    return { address: m[2], container: m[3], ...(m[5] ? { id: m[5] } : {}), ...(m[7] ? { network: m[7] } : {}), ...(m[9] ? { source: m[9] as 'assign' | 'label' } : {}) };
  });
}

/** single-quoted for sh (no import of shell.ts: this module stays below it) */
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The shell side of the format: POSIX sh (dash, busybox sh, bash), part of the generated preamble. Needs civ6_match
 * and the CIV6_RE_* variables of the preamble. */
export function stateShell(): string {
  const varOf = (p: PatternName) => `$CIV6_RE_${p.replace(/[A-Z]/g, (c) => '_' + c).toUpperCase()}`;
  const confCases = CONF_KEYS.map((k) => {
    const check = k.list
      ? `for _w in $_v; do civ6_match "${varOf(k.pattern)}" "$_w" || { echo "$1 has a bad ${k.key} ($_w): prepare the host again to write it anew" >&2; return 1; }; done`
      : `civ6_match "${varOf(k.pattern)}" "$_v" || { echo "$1 has a bad ${k.key} ($_v): prepare the host again to write it anew" >&2; return 1; }`;
    // an empty single value is "not recorded"; the required ones are checked after the loop
    return `      ${k.key}) ${k.list ? '' : '[ -z "$_v" ] || '}{ ${check}; }; ${k.key}=$_v ;;`;
  });
  const required = CONF_KEYS.filter((k) => k.required).map((k) => `[ -n "$${k.key}" ]`).join(' && ');
  return [
    `CIV6_STATE_MAX_BYTES=${STATE_MAX_BYTES}`,
    `CIV6_RE_CONF_LINE=${q(CONF_LINE)}`,
    `CIV6_RE_BINDING_LINE=${q(BINDING_LINE)}`,
    '# civ6_state_check FILE LINE-RE: refuse a recorded-state file that is too big, has a NUL byte, or a line outside LINE-RE',
    'civ6_state_check() {',
    '  local _n _m',
    '  _n=$(wc -c < "$1") || return 1; _n=$((_n))',
    `  if [ "$_n" -gt "$CIV6_STATE_MAX_BYTES" ]; then echo "$1 is $_n bytes, more than the $CIV6_STATE_MAX_BYTES conoha-ipv6 writes" >&2; return 1; fi`,
    `  _m=$(tr -d '\\000' < "$1" | wc -c); _m=$((_m))`,
    '  if [ "$_m" -ne "$_n" ]; then echo "$1 contains a NUL byte" >&2; return 1; fi',
    '  if LC_ALL=C grep -Evq -- "$2" "$1"; then echo "$1 line $(LC_ALL=C grep -Evn -- "$2" "$1" | head -n 1 | cut -d: -f1) is not in the format conoha-ipv6 writes" >&2; return 1; fi',
    '}',
    `# civ6_conf_load FILE: host.conf's values into ${CONF_KEYS.map((k) => k.key).join(' ')}: each checked, nothing`,
    '# evaluated; fails (the reason on stderr) on a file prepare would not have written',
    'civ6_conf_load() {',
    '  local _l _k _v _w',
    `  ${CONF_KEYS.map((k) => `${k.key}=''`).join(' ')}`,
    '  [ -r "$1" ] || { echo "$1 is missing" >&2; return 1; }',
    '  civ6_state_check "$1" "$CIV6_RE_CONF_LINE" || return 1',
    '  while IFS= read -r _l || [ -n "$_l" ]; do',
    "    case $_l in ''|'#'*) continue ;; esac",
    '    _k=${_l%%=*} _v=${_l#*=}',
    '    case $_v in \\"*\\") _v=${_v#\\"} _v=${_v%\\"} ;; esac',
    '    case $_k in',
    ...confCases,
    '    esac',
    '  done < "$1"',
    `  ${required} || { echo "$1 lacks one of ${CONF_KEYS.filter((k) => k.required).map((k) => k.key).join(', ')}: prepare the host again to write it anew" >&2; return 1; }`,
    '}',
    '# civ6_bindings_read FILE: the bindings, one "ADDRESS NAME ID NETWORK SOURCE" per line (a field an older line lacks:',
    '# "-"), each field checked; nothing for a missing file; fails (printing nothing) on a file the agent would not have written',
    'civ6_bindings_read() {',
    '  local _a _n _i _w _s _x',
    '  [ -e "$1" ] || return 0',
    '  civ6_state_check "$1" "$CIV6_RE_BINDING_LINE" || return 1',
    '  while read -r _a _n _i _w _s _x || [ -n "$_a" ]; do',
    "    case $_a in ''|'#'*) continue ;; esac",
    '    printf \'%s %s %s %s %s\\n\' "$_a" "$_n" "${_i:--}" "${_w:--}" "${_s:-assign}"',
    '  done < "$1"',
    '}',
  ].join('\n');
}
