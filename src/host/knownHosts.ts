// Checking a host key against the text of OpenSSH known_hosts files (sshd(8), "SSH_KNOWN_HOSTS FILE FORMAT"):
// plain and hashed (|1|salt|hash) host names, comma-separated patterns with * ? and ! negation, [host]:port
// names for ports other than 22, and @revoked keys. Pure functions over the text, plus one append for new keys.
// What to do about the answer (ask, record, refuse) is knownHostsPolicy.ts.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { knownHostsName } from '../core/hostSpec';

/**
 * 'other-type': nothing records the offered key's type for this host, but another type is recorded: not a first
 * contact (OpenSSH: "keys of different type are already known for this host").
 */
export type HostKeyStatus = 'match' | 'mismatch' | 'other-type' | 'unknown' | 'revoked';

export interface HostKeyCheck {
  status: HostKeyStatus;
  /** key types the files record for this host (not revoked), in file order, without duplicates */
  knownTypes: string[];
  /** the entry that decided the status: the matching, the conflicting or the revoking one; for 'other-type' the first known */
  entry?: KnownHostsEntry;
  /** every entry for this host (not revoked), in file order */
  known: KnownHostsEntry[];
}

export interface KnownHostsEntry {
  /** the file it was read from ('' when checking a text) */
  file: string;
  /** 1-based line number in the file */
  line: number;
  revoked: boolean;
  /** the host field as written: a pattern list, or one hashed name |1|salt|hash */
  hosts: string;
  /** key type from the key blob itself (falls back to the type field when the blob does not say) */
  keyType: string;
  blob: Buffer;
}

/** One known_hosts file's text; its name is what messages cite. */
export interface KnownHostsSource {
  file: string;
  text: string;
}

/**
 * The name known_hosts records a host under, as ssh(1) looks it up: the HostKeyAlias when one is set (port
 * ignored), otherwise the host, as `[host]:port` when the port is not 22; lowercased, as ssh lowercases both.
 */
export function hostKeyName(host: string, port: number, alias?: string): string {
  return alias ? alias.toLowerCase() : knownHostsName(host.toLowerCase(), port);
}

/**
 * Entries of a known_hosts text. Comments, blank lines, @cert-authority lines (not supported here) and
 * lines that do not parse are left out.
 */
export function parseKnownHosts(text: string, file = ''): KnownHostsEntry[] {
  const entries: KnownHostsEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const fields = lines[i].trim().split(/[ \t]+/);
    if (fields[0] === '' || fields[0].startsWith('#')) continue;
    let revoked = false;
    if (fields[0].startsWith('@')) {
      if (fields[0] !== '@revoked') continue; // @cert-authority, or a marker we do not know
      revoked = true;
      fields.shift();
    }
    if (fields.length < 3) continue;
    const [hosts, typeField, keyText] = fields;
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(keyText)) continue;
    const blob = Buffer.from(keyText, 'base64');
    if (blob.length === 0) continue;
    const keyType = keyTypeOfBlob(blob) ?? typeField;
    entries.push({ file, line: i + 1, revoked, hosts, keyType, blob });
  }
  return entries;
}

/**
 * What the known_hosts files (the user's and the system's, read as one list like ssh does) say about `keyBlob`
 * offered by the host known as `name` (see hostKeyName). Revoked wins (a revoked key is refused whatever host it
 * is listed for); then an entry for this host with exactly this key is a match; an entry for this host with the
 * same key type and another key is a mismatch ("REMOTE HOST IDENTIFICATION HAS CHANGED"); entries of other
 * types only make it 'other-type'; no entry at all is 'unknown'.
 */
export function checkHostKey(sources: KnownHostsSource[] | string, name: string, keyBlob: Buffer): HostKeyCheck {
  const entries = allEntries(sources);
  const keyType = keyTypeOfBlob(keyBlob);
  const revoked = entries.find((e) => e.revoked && e.blob.equals(keyBlob));
  const known = entries.filter((e) => !e.revoked && nameMatches(e.hosts, name));
  const knownTypes = [...new Set(known.map((e) => e.keyType))];
  if (revoked) return { status: 'revoked', knownTypes, entry: revoked, known };
  const same = known.find((e) => e.blob.equals(keyBlob));
  if (same) return { status: 'match', knownTypes, entry: same, known };
  const conflicting = known.find((e) => e.keyType === keyType);
  if (conflicting) return { status: 'mismatch', knownTypes, entry: conflicting, known };
  if (known.length > 0) return { status: 'other-type', knownTypes, entry: known[0], known };
  return { status: 'unknown', knownTypes, known };
}

/** Key types recorded for `name` (not revoked), in file order: what to ask the server for first. */
export function knownKeyTypes(sources: KnownHostsSource[] | string, name: string): string[] {
  const types = allEntries(sources)
    .filter((e) => !e.revoked && nameMatches(e.hosts, name))
    .map((e) => e.keyType);
  return [...new Set(types)];
}

function allEntries(sources: KnownHostsSource[] | string): KnownHostsEntry[] {
  const list = typeof sources === 'string' ? [{ file: '', text: sources }] : sources;
  return list.flatMap((s) => parseKnownHosts(s.text, s.file));
}

/** Whether a host field names host:port (looked up as hostKeyName(host, port)). */
export function hostMatches(hostsField: string, host: string, port: number): boolean {
  return nameMatches(hostsField, hostKeyName(host, port));
}

/**
 * Whether a host field names `name`, as OpenSSH decides it: compared case-insensitively; a hashed field is the
 * HMAC-SHA1 of the name; in a pattern list a matching negated pattern (!pat) vetoes the line, otherwise any
 * matching pattern matches.
 */
export function nameMatches(hostsField: string, name: string): boolean {
  if (hostsField.startsWith('|')) return hashedNameMatches(hostsField, name);
  let positive = false;
  for (const raw of hostsField.split(',')) {
    if (raw === '') continue;
    const negated = raw.startsWith('!');
    const pattern = negated ? raw.slice(1) : raw;
    if (!wildcardMatch(pattern.toLowerCase(), name)) continue;
    if (negated) return false;
    positive = true;
  }
  return positive;
}

function hashedNameMatches(field: string, name: string): boolean {
  const parts = field.split('|'); // ['', '1', salt, hash]
  if (parts.length !== 4 || parts[1] !== '1') return false;
  const salt = Buffer.from(parts[2], 'base64');
  const hash = Buffer.from(parts[3], 'base64');
  if (salt.length === 0 || hash.length !== 20) return false;
  const mine = createHmac('sha1', salt).update(name).digest();
  return timingSafeEqual(mine, hash);
}

/** `|1|salt|hash` as ssh-keygen -H and HashKnownHosts write it: HMAC-SHA1 of the name keyed with a random 20-byte salt. */
export function hashHostName(name: string, salt: Buffer = randomBytes(20)): string {
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

/** Whether the text has entries and every one is hashed: a file whose owner hashes names (ssh-keygen -H). */
export function isHashedOnly(text: string): boolean {
  const entries = parseKnownHosts(text);
  return entries.length > 0 && entries.every((e) => e.hosts.startsWith('|'));
}

/** `*` is any run of characters (also none), `?` exactly one; everything else is literal. */
function wildcardMatch(pattern: string, s: string): boolean {
  // iterative matcher with backtracking to the last '*'
  let p = 0;
  let i = 0;
  let star = -1;
  let starI = 0;
  while (i < s.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === s[i])) {
      p++;
      i++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      starI = i;
    } else if (star >= 0) {
      p = star + 1;
      i = ++starI;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

/** The key type a public key blob declares: its first SSH string ("ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa"). */
export function keyTypeOfBlob(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const len = blob.readUInt32BE(0);
  if (len === 0 || len > 64 || 4 + len > blob.length) return undefined;
  const type = blob.toString('latin1', 4, 4 + len);
  return /^[\x21-\x7e]+$/.test(type) ? type : undefined;
}

/** `SHA256:<base64, no padding>`, as `ssh-keygen -lf` prints it. */
export function fingerprintSha256(blob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

/** A known_hosts line for `name` (see hostKeyName), hashed when asked to, without the newline. */
export function formatKnownHostsLine(name: string, blob: Buffer, o: { hash?: boolean } = {}): string {
  const type = keyTypeOfBlob(blob);
  if (!type) throw new Error('not an SSH public key blob');
  return `${o.hash ? hashHostName(name) : name} ${type} ${blob.toString('base64')}`;
}

/** Appends one line to a known_hosts file, creating it (mode 600) and its directory (mode 700) when missing. */
export function appendKnownHost(file: string, line: string): void {
  const dir = parentDirectory(file);
  if (dir !== '' && !existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  let prefix = '';
  if (existsSync(file)) {
    const current = readFileSync(file);
    if (current.length > 0 && current[current.length - 1] !== 0x0a) prefix = '\n';
  }
  appendFileSync(file, prefix + line.replace(/\n+$/, '') + '\n', { mode: 0o600 });
}

function parentDirectory(file: string): string {
  const separator = process.platform === 'win32' ? /[\\/][^\\/]*$/ : /\/[^/]*$/;
  if (!separator.test(file)) return '';
  const dir = file.replace(separator, '');
  return dir === '' ? '/' : dir;
}
