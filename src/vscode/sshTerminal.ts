// Open SSH Terminal's ssh arguments, without vscode (so unit tests hold them). The terminal runs ssh itself
// (shellPath 'ssh', these as shellArgs): no shell ever parses them.
import { HostSpec, InputError, formatHostSpec, parseHostSpec } from '../core/hostSpec';
import { l10n } from '../core/l10n';
import { parseJumpList } from '../core/sshConfig';

/**
 * `-p PORT [-i KEY] [-J HOPS] [-o UserKnownHostsFile="FILE"] -l USER -- HOST`, the IPv6 literal without brackets as ssh expects. The user, host and port
 * are validated as Add Host validates them (a user or host that reads as an option is refused), and `--` ends the
 * options before the destination in any case; the key file is `-i`'s value, never an option of its own.
 */
export function sshTerminalArgs(spec: HostSpec, identityFile?: string, o: { proxyJump?: string; knownHostsFile?: string } = {}): string[] {
  const { proxyJump, knownHostsFile } = o;
  let parsed: HostSpec;
  try {
    parsed = parseHostSpec(formatHostSpec(spec));
  } catch (e) {
    throw new InputError(l10n.t('cannot open ssh to this host: {0}', e instanceof Error ? e.message : String(e)));
  }
  if (parsed.user !== spec.user || parsed.host !== spec.host || parsed.port !== spec.port) {
    throw new InputError(l10n.t('cannot open ssh to "{0}": it does not read back as the same user, host and port', formatHostSpec(spec)));
  }
  if (identityFile !== undefined && (identityFile === '' || /[\0\r\n]/.test(identityFile))) throw new InputError(l10n.t('"{0}" is not a key file path', identityFile));
  // the host's proxyJump setting, parsed and written back (so nothing in it can read as an option)
  const hops = proxyJump?.trim() ? parseJumpList(proxyJump, 'proxyJump') : [];
  const jump = hops.map((h) => `${h.user ? `${h.user}@` : ''}${h.host.includes(':') ? `[${h.host}]` : h.host}${h.port ? `:${h.port}` : ''}`).join(',');
  return ['-p', String(parsed.port), ...(identityFile ? ['-i', identityFile] : []), ...(jump ? ['-J', jump] : []), ...knownHostsOption(knownHostsFile), '-l', parsed.user, '--', parsed.host];
}

/**
 * `-o UserKnownHostsFile="PATH"` when conohaIpv6.knownHostsFile is set, so the terminal checks the host key against
 * the same file the extension trusts. ssh reads the value as a config line: quoted (a space would split it into two
 * files), `%` doubled (a token otherwise); a quote, a newline or a relative path cannot be said there and is refused.
 */
function knownHostsOption(file: string | undefined): string[] {
  if (file === undefined) return [];
  if (!file.startsWith('/') || /["\0\r\n]/.test(file)) throw new InputError(l10n.t('"{0}" cannot be given to ssh as its known_hosts file: use an absolute path without quotes or newlines', file));
  return ['-o', `UserKnownHostsFile="${file.replace(/%/g, '%%')}"`];
}

/** The terminal's name: the host's name as the sidebar shows it. */
export const sshTerminalName = (hostName: string) => `SSH ${hostName}`;
