// Checking a host key against the text of an OpenSSH known_hosts file (sshd(8), "SSH_KNOWN_HOSTS FILE FORMAT"):
// plain and hashed (|1|salt|hash) host names, comma-separated patterns with * ? and ! negation, [host]:port
// names for ports other than 22, and @revoked keys. Pure functions over the text, plus one append for accept-new.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { knownHostsName } from '../core/hostSpec';

export type HostKeyStatus = 'match' | 'mismatch' | 'unknown' | 'revoked';

export interface HostKeyCheck {
  status: HostKeyStatus;
  /** key types known_hosts records for this host (not revoked), in file order, without duplicates */
  knownTypes: string[];
  /** 1-based line of the entry that decided the status: the matching, the conflicting or the revoking line */
  line?: number;
}

export interface KnownHostsEntry {
  /** 1-based line number in the file */
  line: number;
  revoked: boolean;
  /** the host field as written: a pattern list, or one hashed name |1|salt|hash */
  hosts: string;
  /** key type from the key blob itself (falls back to the type field when the blob does not say) */
  keyType: string;
  blob: Buffer;
}

/**
 * Entries of a known_hosts text. Comments, blank lines, @cert-authority lines (not supported here) and
 * lines that do not parse are left out.
 */
export function parseKnownHosts(text: string): KnownHostsEntry[] {
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
    entries.push({ line: i + 1, revoked, hosts, keyType, blob });
  }
  return entries;
}

/**
 * What known_hosts says about `keyBlob` offered by host:port. Revoked wins (a revoked key is refused whatever
 * host it is listed for); then an entry for this host with exactly this key is a match; an entry for this host
 * with the same key type and another key is a mismatch ("REMOTE HOST IDENTIFICATION HAS CHANGED"); otherwise unknown.
 */
export function checkHostKey(text: string, host: string, port: number, keyType: string, keyBlob: Buffer): HostKeyCheck {
  const entries = parseKnownHosts(text);
  const revoked = entries.find((e) => e.revoked && e.blob.equals(keyBlob));
  const mine = entries.filter((e) => !e.revoked && hostMatches(e.hosts, host, port));
  const knownTypes = [...new Set(mine.map((e) => e.keyType))];
  if (revoked) return { status: 'revoked', knownTypes, line: revoked.line };
  const same = mine.find((e) => e.blob.equals(keyBlob));
  if (same) return { status: 'match', knownTypes, line: same.line };
  const conflicting = mine.find((e) => e.keyType === keyType);
  if (conflicting) return { status: 'mismatch', knownTypes, line: conflicting.line };
  return { status: 'unknown', knownTypes };
}

/** Key types recorded for host:port (not revoked), in file order: what to ask the server for first. */
export function knownKeyTypes(text: string, host: string, port: number): string[] {
  const types = parseKnownHosts(text)
    .filter((e) => !e.revoked && hostMatches(e.hosts, host, port))
    .map((e) => e.keyType);
  return [...new Set(types)];
}

/**
 * Whether a host field names host:port, as OpenSSH decides it: the name looked up is `host` on port 22 and
 * `[host]:port` otherwise, compared case-insensitively; a hashed field is the HMAC-SHA1 of that name; in a
 * pattern list a matching negated pattern (!pat) vetoes the line, otherwise any matching pattern matches.
 */
export function hostMatches(hostsField: string, host: string, port: number): boolean {
  const name = knownHostsName(host.toLowerCase(), port);
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

/** A plain (unhashed) known_hosts line for accept-new, without the newline. */
export function formatKnownHostsLine(host: string, port: number, keyType: string, blob: Buffer): string {
  return `${knownHostsName(host.toLowerCase(), port)} ${keyType} ${blob.toString('base64')}`;
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
