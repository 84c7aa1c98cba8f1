// Several hosts in one CLI call (`--host` repeated, or `--all`): which hosts, and the one table their results make.
// Pure: the caller reads the files and the ssh config, and runs each host.
import { InputError } from './errors';

/** One host's line of the table. exitCode follows the CLI's contract: 0 fine, 1 a check failed, 2 refused, 3 unreachable. */
export interface FleetRow {
  host: string;
  exitCode: number;
  /** ready, N problems, unreachable, error */
  state: string;
  /** "3/16" addresses bound, when the host was read */
  bound?: string;
  /** "12/12" checks passing, when checks were judged */
  checks?: string;
  /** the first failing check or the error, in one line */
  detail?: string;
}

const GLOB = /[*?]/;

/** An OpenSSH Host pattern (`*`, `?`; `!` negates) as a test of an alias. */
function matcher(patterns: string): (alias: string) => boolean {
  const parts = patterns.split(',').map((p) => p.trim()).filter(Boolean);
  const re = (p: string) => new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  const yes = parts.filter((p) => !p.startsWith('!')).map(re);
  const no = parts.filter((p) => p.startsWith('!')).map((p) => re(p.slice(1)));
  return (alias) => yes.some((r) => r.test(alias)) && !no.some((r) => r.test(alias));
}

/**
 * `--all VALUE`: a file with one host per line (`#` comments and blank lines skipped), when `fileText` is given (the
 * value names an existing file); else a pattern over the ssh config's Host aliases (`vps-*`, `web?,!web9`).
 */
export function hostsOfAll(value: string, fileText: string | undefined, aliases: readonly string[]): string[] {
  const hosts =
    fileText !== undefined
      ? fileText
          .split('\n')
          .map((l) => l.replace(/#.*/, '').trim())
          .filter(Boolean)
      : aliases.filter(matcher(value));
  if (!hosts.length) {
    throw new InputError(
      fileText !== undefined
        ? `--all ${value}: the file lists no host (one [user@]host[:port] or ssh config alias per line)`
        : `--all ${JSON.stringify(value)}: no Host alias of the ssh config matches${GLOB.test(value) ? '' : ' (give a file of hosts, or a pattern such as "vps-*")'}`,
    );
  }
  const seen = new Set<string>();
  return hosts.filter((h) => !seen.has(h) && !!seen.add(h));
}

/** The table, a line per host in the order given, then a summary line. */
export function fleetTable(rows: readonly FleetRow[]): string {
  const head = ['HOST', 'STATE', 'BOUND', 'CHECKS', 'DETAIL'];
  const cells = rows.map((r) => [r.host, r.state, r.bound ?? '-', r.checks ?? '-', r.detail ?? '']);
  const width = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((x, i) => (i === c.length - 1 ? x : x.padEnd(width[i]))).join('  ').trimEnd();
  const bad = rows.filter((r) => r.exitCode !== 0).length;
  const n = rows.length;
  const summary = n === 1 ? (bad ? 'the host failed' : 'the host passes') : bad ? `${bad} of ${n} hosts failed` : `all ${n} hosts pass`;
  return [line(head), ...cells.map(line), summary].join('\n');
}

/** The call's exit code: the worst host's (unreachable 3 > refused 2 > a check failed 1 > 0). */
export const fleetExitCode = (rows: readonly FleetRow[]): number => Math.max(0, ...rows.map((r) => r.exitCode));
