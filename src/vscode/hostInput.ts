// What Add Host and Edit Host offer, without vscode (so unit tests hold it): the item a typed host becomes, the
// keys a user can pick, a default name, and the host settings Edit Host changes with their validation.
import { Address6 } from 'ip-address';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAddressList } from '../core/derive';
import { HostSpec, formatHostSpec, parseHostSpec } from '../core/hostSpec';
import { validateInterfaceName } from '../core/shell';
import { parseJumpList } from '../core/sshConfig';
import { parseMode } from '../core/nativePlan';
import { L10n, english } from './l10nText';
import type { HostEntry } from './settings';

/** The quick pick's item for what the user typed: "Add user@host" when it parses, else the parser's message. */
export interface TypedHost {
  label: string;
  /** the parser's message when the value is not a host */
  detail?: string;
  spec?: HostSpec;
}

export function typedHostItem(value: string, l10n: L10n = english): TypedHost | undefined {
  const v = value.trim();
  if (!v) return undefined;
  try {
    const spec = parseHostSpec(v);
    return { label: l10n.t('Add {0}', formatHostSpec(spec)), spec };
  } catch (e) {
    return { label: l10n.t('Cannot add "{0}"', v), detail: e instanceof Error ? e.message : String(e) };
  }
}

export interface KeyChoice {
  label: string;
  description?: string;
  /** the key file; undefined: ssh-agent (or the default keys) */
  identityFile?: string;
  choice: 'file' | 'agent' | 'browse';
}

/** `~/.ssh/id_*` private keys (a file with a matching .pub, or one that starts like a private key), the agent when
 * SSH_AUTH_SOCK is set, and Browse… */
export function keyChoices(home: string, env: NodeJS.ProcessEnv, l10n: L10n = english): KeyChoice[] {
  const dir = join(home, '.ssh');
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((n) => /^id_[\w-]+$/.test(n)).sort();
  } catch {
    // no ~/.ssh: only the agent and Browse…
  }
  const keys = names.filter((n) => existsSync(join(dir, `${n}.pub`)) || looksPrivate(join(dir, n)));
  return [
    ...keys.map((n): KeyChoice => ({ label: `~/.ssh/${n}`, identityFile: `~/.ssh/${n}`, choice: 'file' })),
    ...(env.SSH_AUTH_SOCK ? [{ label: l10n.t('Use the SSH agent'), description: env.SSH_AUTH_SOCK, choice: 'agent' as const }] : []),
    { label: l10n.t('Browse…'), description: l10n.t('a private key file'), choice: 'browse' },
  ];
}

function looksPrivate(file: string): boolean {
  try {
    return readFileSync(file, 'utf8').slice(0, 64).includes('PRIVATE KEY');
  } catch {
    return false;
  }
}

/** A name for the sidebar: the host name's first label (an address as is), made unique among `taken`. */
export function defaultName(spec: HostSpec, taken: string[]): string {
  const isIp = spec.host.includes(':') || /^\d+(\.\d+){3}$/.test(spec.host);
  const base = isIp ? spec.host : spec.host.replace(/\.$/, '').split('.')[0] || spec.host;
  let name = base;
  for (let i = 2; taken.includes(name); i++) name = `${base}-${i}`;
  return name;
}

/** What Edit Host changes; `identity` is the key file, `host` is where: user@host[:port]. */
export const EDIT_FIELDS = ['host', 'identity', 'proxyJump', 'name', 'mode', 'interface', 'gateway', 'bridge', 'addresses'] as const;
export type EditField = (typeof EDIT_FIELDS)[number];

export const isEditField = (v: unknown): v is EditField => typeof v === 'string' && (EDIT_FIELDS as readonly string[]).includes(v);

/** The optional fields and the entry's key each one is stored under ('' or absent: the default applies). */
const OPTIONAL_KEYS = {
  identity: 'identityFile',
  proxyJump: 'proxyJump',
  mode: 'mode',
  interface: 'interface',
  gateway: 'gateway',
  bridge: 'bridge',
  addresses: 'addresses',
} as const satisfies Partial<Record<EditField, keyof HostEntry>>;
type OptionalField = keyof typeof OPTIONAL_KEYS;
const isOptional = (f: EditField): f is OptionalField => f in OPTIONAL_KEYS;

/** The field's value as Edit Host shows it ('' when not set: the default applies). */
export function fieldValue(e: HostEntry, f: EditField): string {
  if (isOptional(f)) return e[OPTIONAL_KEYS[f]] ?? '';
  if (f === 'name') return e.name;
  return formatHostSpec({ user: e.user || 'root', host: e.host.replace(/^\[(.*)\]$/, '$1'), port: e.port || 22 });
}

/** The message that says why `value` cannot be field `f` of `e` (undefined: it can; '' clears an optional field). */
export function fieldProblem(e: HostEntry, f: EditField, value: string, others: string[], l10n: L10n = english): string | undefined {
  const v = value.trim();
  try {
    switch (f) {
      case 'host':
        parseHostSpec(v);
        return undefined;
      case 'name':
        if (!v) return l10n.t('a name is needed');
        return others.includes(v) ? l10n.t('a host named "{0}" is already in the list', v) : undefined;
      case 'interface':
      case 'bridge':
        if (v) validateInterfaceName(v, l10n.t("{0}'s {1}", e.name, f));
        return undefined;
      case 'gateway':
        if (v && !(Address6.isValid(v) && !v.includes('/'))) return l10n.t('"{0}" is not an IPv6 address', v);
        return undefined;
      case 'addresses':
        if (v) parseAddressList(v, l10n.t("{0}'s addresses", e.name));
        return undefined;
      case 'identity':
        return undefined;
      case 'proxyJump':
        if (v) parseJumpList(v, l10n.t("{0}'s proxyJump", e.name));
        return undefined;
      case 'mode':
        if (v) parseMode(v, l10n.t("{0}'s mode", e.name));
        return undefined;
    }
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** The entry with field `f` set to `value` ('' takes an optional field out: its default applies again). */
export function withField(e: HostEntry, f: EditField, value: string): HostEntry {
  const v = value.trim();
  if (isOptional(f)) {
    const { [OPTIONAL_KEYS[f]]: _old, ...rest } = e;
    return v ? { ...rest, [OPTIONAL_KEYS[f]]: v } : rest;
  }
  const out: HostEntry = { ...e };
  if (f === 'name') {
    out.name = v;
  } else {
    const spec = parseHostSpec(v);
    out.host = spec.host;
    if (spec.user === 'root') delete out.user;
    else out.user = spec.user;
    if (spec.port === 22) delete out.port;
    else out.port = spec.port;
  }
  return out;
}
