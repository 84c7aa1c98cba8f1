// The shell side of hostContract.ts and hostState.ts, generated: variable assignments, validators and the few helpers
// that step scripts may use. Prepended to every script sent to a host (snapshot, apply) and to the agent installed
// there, so the host's shell and this client work from one set of facts. POSIX sh throughout (dash, busybox sh, bash):
// the agent and the scripts run it under bash, the unit tests also under dash.
import { EXIT, MARKERS, PATHS, PATTERNS, PatternName, SNAPSHOT_VERSION } from './hostContract';
import { stateShell } from './hostState';

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const snake = (k: string) => k.replace(/[A-Z]/g, (c) => '_' + c).toUpperCase();

/** CIV6_* name of a path, marker, exit code or pattern, as the .sh files use it */
export const shellVar = {
  path: (k: keyof typeof PATHS) => `CIV6_${snake(k)}`,
  marker: (k: keyof typeof MARKERS) => `CIV6_MARK_${snake(k)}`,
  exit: (k: keyof typeof EXIT) => `CIV6_EXIT_${snake(k)}`,
  pattern: (k: PatternName) => `CIV6_RE_${snake(k)}`,
};
/** civ6_valid_* function that checks a value against a pattern */
export const validator = (k: PatternName) => `civ6_valid_${snake(k).toLowerCase()}`;

/** Helpers a step script may call (plan.ts, rollback.ts): defined here, not by whichever library happens to precede it. */
const HELPERS = String.raw`# civ6_match ERE VALUE: VALUE (one line) matches the anchored extended regular expression
if [ -n "${'$'}{BASH_VERSION:-}" ]; then
  civ6_match() { [[ ${'$'}2 =~ ${'$'}1 ]]; }
else
  civ6_match() { case ${'$'}2 in *'
'*) return 1 ;; esac; printf '%s\n' "${'$'}2" | LC_ALL=C grep -Eq -- "${'$'}1"; }
fi
# civ6_write PATH MODE BASE64: write a file atomically
civ6_write() {
  local path=${'$'}1 mode=${'$'}2 tmp
  mkdir -p "${'$'}(dirname "${'$'}path")" || return 1
  tmp=${'$'}(mktemp "${'$'}path.civ6.XXXXXX") || return 1
  printf '%s' "${'$'}3" | base64 -d > "${'$'}tmp" && chmod "${'$'}mode" "${'$'}tmp" && mv -f "${'$'}tmp" "${'$'}path" || { rm -f "${'$'}tmp"; return 1; }
}
# civ6_radvd_pids: radvd processes in THIS network namespace (a shared PID namespace may show others), as a JSON array
civ6_radvd_pids() {
  local me p comm first=1; me=${'$'}(readlink /proc/self/ns/net)
  printf '['
  for p in /proc/[0-9]*; do
    read -r comm 2>/dev/null < "${'$'}p/comm" || continue
    [ "${'$'}comm" = radvd ] || continue
    [ "${'$'}(readlink "${'$'}p/ns/net" 2>/dev/null)" = "${'$'}me" ] || continue
    [ ${'$'}first = 1 ] || printf ','; first=0; printf '%s' "${'$'}{p#/proc/}"
  done
  printf ']'
}`;

let cached: string | undefined;
/** The preamble text (deterministic: the agent's sha256 depends on it). */
export function shellPreamble(): string {
  if (cached) return cached;
  const assign = (name: string, value: string | number) => `${name}=${typeof value === 'number' ? value : q(value)}`;
  cached = [
    '# ---- conoha-ipv6 host contract: generated from src/core/hostContract.ts and hostState.ts; edits here are lost',
    ...Object.entries(PATHS).map(([k, v]) => assign(shellVar.path(k as keyof typeof PATHS), v)),
    ...Object.entries(MARKERS).map(([k, v]) => assign(shellVar.marker(k as keyof typeof MARKERS), v)),
    ...Object.entries(EXIT).map(([k, v]) => assign(shellVar.exit(k as keyof typeof EXIT), v)),
    assign('CIV6_SNAPSHOT_VERSION', SNAPSHOT_VERSION),
    ...Object.entries(PATTERNS).map(([k, v]) => assign(shellVar.pattern(k as PatternName), v)),
    HELPERS,
    ...Object.keys(PATTERNS).map((k) => `${validator(k as PatternName)}() { civ6_match "$${shellVar.pattern(k as PatternName)}" "$1"; }`),
    stateShell(),
    '# ---- end of the host contract',
    '',
  ].join('\n');
  return cached;
}
