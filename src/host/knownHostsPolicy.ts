// The host-key decision for one SSH connection, with OpenSSH's semantics (ssh_config(5) StrictHostKeyChecking,
// UserKnownHostsFile, GlobalKnownHostsFile, HostKeyAlias, HashKnownHosts): read every known_hosts file, check the
// key the host offers, then accept it, record it (accept-new, or the user said yes), or refuse with a message that
// says what to do. The key accepted at connect is the only one accepted at a later key re-exchange (rekey).
// verifyHostKey decides from what the files say (and holds the prose users read); HostKeyPolicy reads the files,
// asks, records, for one connection.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { HostSpec } from '../core/hostSpec';
import { l10n } from '../core/l10n';
import {
  KnownHostsEntry,
  KnownHostsSource,
  appendKnownHost,
  checkHostKey,
  fingerprintSha256,
  formatKnownHostsLine,
  hostKeyName,
  isHashedOnly,
  keyTypeOfBlob,
  knownKeyTypes,
} from './knownHosts';
import { TransportError } from './transport';

/** A key known_hosts records for the host: where, so the user can look. */
export interface KnownHostKey {
  keyType: string;
  /** SHA256:... as ssh-keygen -lf prints it */
  fingerprint: string;
  file: string;
  line: number;
}

export interface UnknownHostKeyInfo {
  /** SHA256:... as ssh-keygen -lf prints it */
  fingerprint: string;
  keyType: string;
  /** the name known_hosts will record: host, [host]:port, or the HostKeyAlias */
  hostName: string;
  /**
   * Keys of other types known_hosts already records for this host. Empty on a first contact; otherwise the host
   * stopped offering the key it is known by (ssh: "but keys of different type are already known for this host"),
   * which an impostor lacking that key would also do: say so, and show these.
   */
  knownKeys: KnownHostKey[];
}

export interface HostKeyOptions {
  spec: HostSpec;
  /**
   * UserKnownHostsFile: keys are read from every one, a new key is written to the first.
   * Default [knownHostsFile] when that is given, else ~/.ssh/known_hosts and ~/.ssh/known_hosts2 (OpenSSH's default).
   */
  knownHostsFiles?: string[];
  /** one user known_hosts file (the CLI's --known-hosts): the same as knownHostsFiles: [file] */
  knownHostsFile?: string;
  /** GlobalKnownHostsFile: read only; default /etc/ssh/ssh_known_hosts and /etc/ssh/ssh_known_hosts2 */
  globalKnownHostsFiles?: string[];
  /** HostKeyAlias: look the key up and record it under this name instead of host / [host]:port */
  hostKeyAlias?: string;
  /** HashKnownHosts: record new keys as |1|salt|hash (also done, unasked, in a file that holds only hashed entries) */
  hashKnownHosts?: boolean;
  /** record keys of hosts not yet in known_hosts (OpenSSH StrictHostKeyChecking=accept-new) */
  acceptNew?: boolean;
  /** asked when the host is not in known_hosts and acceptNew is not set; true records the key and goes on */
  onUnknownHostKey?: (info: UnknownHostKeyInfo) => Promise<boolean>;
}

/** What the connection lends the policy while it asks the user. */
export interface AskHooks {
  /** waiting for the user does not count against the connect timeout */
  pause(): void;
  resume(): void;
  /** the connection failed meanwhile: record nothing */
  abandoned(): boolean;
}

export const DEFAULT_GLOBAL_KNOWN_HOSTS_FILES = ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'];

export function userKnownHostsFiles(o: HostKeyOptions): string[] {
  if (o.knownHostsFiles && o.knownHostsFiles.length > 0) return o.knownHostsFiles;
  if (o.knownHostsFile) return [o.knownHostsFile];
  return [join(homedir(), '.ssh', 'known_hosts'), join(homedir(), '.ssh', 'known_hosts2')];
}

/** What to do about the key a host offered: decided from the known_hosts text alone (no file access, no question). */
export type HostKeyDecision =
  /** go on; `note` is for the log; `record`: append the key to the first user file (accept-new) */
  | { action: 'accept'; note?: string; record: boolean }
  /** do not connect: the error says why and what to do */
  | { action: 'refuse'; reason: TransportError }
  /** ask the user (onUnknownHostKey); a yes records the key, a no (or a failed question) is `refusal(why?)` */
  | { action: 'ask'; info: UnknownHostKeyInfo; refusal: (why?: string) => TransportError };

/** Everything verifyHostKey decides from: the known_hosts files as read, and the options that bear on the answer. */
export interface HostKeyFacts {
  spec: HostSpec;
  /** what known_hosts calls this host (hostKeyName) */
  name: string;
  /** user files first (the first one is where a new key goes), then the global files */
  sources: KnownHostsSource[];
  hostKeyAlias?: string;
  acceptNew?: boolean;
  /** there is someone to ask (onUnknownHostKey is set) */
  canAsk: boolean;
  /** the key accepted at connect, when this is a rekey */
  accepted?: Buffer;
}

/**
 * The host-key decision, as ssh makes it: a key accepted at connect is the only one a rekey may bring; then
 * @revoked refuses, a match accepts, another key of a recorded type is a changed key (refused, whatever the options
 * say), and a key the files do not know is recorded on a first contact with accept-new, else asked about when
 * someone can be asked, else refused. A host known by another key type is never a first contact.
 */
export function verifyHostKey(facts: HostKeyFacts, key: Buffer): HostKeyDecision {
  const { name } = facts;
  const keyType = keyTypeOfBlob(key) ?? 'unknown';
  const fingerprint = fingerprintSha256(key);
  const refuse = (reason: TransportError): HostKeyDecision => ({ action: 'refuse', reason });
  if (facts.accepted) {
    // like ssh: the key accepted at connect is the key of this connection; files are not consulted again
    if (facts.accepted.equals(key)) return { action: 'accept', record: false };
    return refuse(new TransportError('host-key-changed', l10n.t('{0} offered another host key at a rekey ({1} {2}, not the {3} accepted at connect): someone may have taken over the connection; it was closed', name, keyType, fingerprint, fingerprintSha256(facts.accepted))));
  }
  const check = checkHostKey(facts.sources, name, key);
  // match, revoked and mismatch always name the entry that decided them
  const decidedBy = (): KnownHostsEntry => {
    if (!check.entry) throw new Error(`known_hosts check '${check.status}' for ${name} without the entry that decided it`);
    return check.entry;
  };
  switch (check.status) {
    case 'match':
      return { action: 'accept', record: false, note: `ssh: host key ${keyType} ${fingerprint} matches ${decidedBy().file} line ${decidedBy().line}` };
    case 'revoked':
      return refuse(new TransportError('host-key-revoked', l10n.t('{0} offered the {1} key {2}, which {3} line {4} marks @revoked. Refusing to connect; nothing was changed.', name, keyType, fingerprint, decidedBy().file, decidedBy().line)));
    case 'mismatch':
      return refuse(new TransportError('host-key-changed', [
        l10n.t('WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED for {0}!', name),
        l10n.t('It offered the {0} key {1}, but {2} line {3} records a different {0} key for it.', keyType, fingerprint, decidedBy().file, decidedBy().line),
        l10n.t('Someone could be intercepting the connection (man-in-the-middle), or the host key was just changed (e.g. the VPS was reinstalled).'),
        l10n.t("Check the fingerprint on the server's console ({0}).", `ssh-keygen -lf /etc/ssh/ssh_host_${shortType(keyType)}_key.pub`),
        l10n.t('If the host was reinstalled, remove the old key with: {0}', `ssh-keygen -R ${shellQuote(name, true)} -f ${shellQuote(decidedBy().file)}`),
        l10n.t('Nothing was changed: we did not log in, and known_hosts was left as it is.'),
      ].join('\n')));
    case 'other-type':
    case 'unknown': {
      const knownKeys = check.known.map((e) => ({ keyType: e.keyType, fingerprint: fingerprintSha256(e.blob), file: e.file, line: e.line }));
      const refusal = (why?: string) => unknownKeyRefusal(facts, keyType, fingerprint, knownKeys, why);
      if (knownKeys.length === 0 && facts.acceptNew) {
        return { action: 'accept', record: true, note: `ssh: ${name} is new; accepting its ${keyType} key ${fingerprint} (accept-new)` };
      }
      // accept-new records first contacts only: a host known by another key type is not one
      if (!facts.canAsk) return refuse(refusal());
      return { action: 'ask', info: { fingerprint, keyType, hostName: name, knownKeys }, refusal };
    }
  }
}

/** The refusal of a key known_hosts does not record: what the user can check, and how to add it. */
function unknownKeyRefusal(facts: HostKeyFacts, keyType: string, fingerprint: string, knownKeys: KnownHostKey[], why?: string): TransportError {
  const { spec: { host, port }, name } = facts;
  const file = facts.sources[0].file;
  const scan = `ssh-keyscan -t ${shortType(keyType)} -p ${port} ${host}${facts.hostKeyAlias ? ` | sed 's/^[^ ]*/${name}/'` : ''} > /tmp/hostkeys`;
  const add = [scan, 'ssh-keygen -lf /tmp/hostkeys', `cat /tmp/hostkeys >> ${shellQuote(file)}`] as const;
  const consoleCommand = `ssh-keygen -lf /etc/ssh/ssh_host_${shortType(keyType)}_key.pub`;
  const lines = knownKeys.length > 0
    ? [
        l10n.t('WARNING: {0} is known with a different key type: {1}.', name, knownKeys.map((k) => l10n.t('{0} key {1} in {2} line {3}', k.keyType, k.fingerprint, k.file, k.line)).join('; ')),
        l10n.t('It offered the {0} key {1} instead, though it was asked for {2} first.', keyType, fingerprint, [...new Set(knownKeys.map((k) => k.keyType))].join(', ')),
        l10n.t('An impostor that lacks the known key would do the same; or that key was removed from the host.'),
        l10n.t("This is not a first contact, so trusting new keys does not record it. If {0} is the host's {1} fingerprint (on its console: {2}),", fingerprint, keyType, consoleCommand),
        l10n.t('add it yourself: {0}; {1} (check the fingerprint); {2}', ...add),
      ]
    : [
        l10n.t("The authenticity of {0} can't be established: no key for it in {1}.", name, facts.sources.map((s) => s.file).join(', ')),
        l10n.t('It offered the {0} key {1}.', keyType, fingerprint),
        l10n.t("If that is the host's fingerprint (on its console: {0}), trust it to record it,", consoleCommand),
        l10n.t('or add it yourself: {0}; {1} (check the fingerprint); {2}', ...add),
      ];
  if (why) lines.push(`(${why})`);
  lines.push(l10n.t('Nothing was run on the host.'));
  return new TransportError(knownKeys.length > 0 ? 'host-key-other-type' : 'host-key-unknown', lines.join('\n'));
}

/** One connection's host keys: reads the files, asks verifyHostKey, and does what it says (log, ask, record). */
export class HostKeyPolicy {
  /** what known_hosts calls this host */
  readonly name: string;
  /** key types known for the host: ask the server for these first */
  readonly knownTypes: string[];
  private readonly userFiles: string[];
  private readonly sources: KnownHostsSource[];
  /** the key accepted at connect: the only one a rekey may bring */
  private accepted: Buffer | undefined;

  /** Reads the files now: a new connection (also a reconnect) sees what earlier ones recorded. */
  constructor(private readonly o: HostKeyOptions, private readonly log: (line: string) => void) {
    this.name = hostKeyName(o.spec.host, o.spec.port, o.hostKeyAlias);
    this.userFiles = userKnownHostsFiles(o);
    const globalFiles = o.globalKnownHostsFiles ?? DEFAULT_GLOBAL_KNOWN_HOSTS_FILES;
    this.sources = [
      ...this.userFiles.map((file) => ({ file, text: readKnownHosts(file, true, log) })),
      ...globalFiles.map((file) => ({ file, text: readKnownHosts(file, false, log) })),
    ];
    this.knownTypes = knownKeyTypes(this.sources, this.name);
  }

  /** Whether a key was accepted on this connection already (so the next call is for a rekey). */
  get decided(): boolean {
    return this.accepted !== undefined;
  }

  /** Resolves when the host may use `key`; rejects with a TransportError that says why not and what to do. */
  async verify(key: Buffer, hooks: AskHooks): Promise<void> {
    const decision = verifyHostKey({
      spec: this.o.spec,
      name: this.name,
      sources: this.sources,
      hostKeyAlias: this.o.hostKeyAlias,
      acceptNew: this.o.acceptNew,
      canAsk: this.o.onUnknownHostKey !== undefined,
      accepted: this.accepted,
    }, key);
    switch (decision.action) {
      case 'refuse':
        throw decision.reason;
      case 'accept':
        if (decision.note) this.log(decision.note);
        if (decision.record) this.record(key);
        break;
      case 'ask': {
        const ask = this.o.onUnknownHostKey;
        if (!ask) throw decision.refusal(); // not reached: verifyHostKey asks only when canAsk
        hooks.pause();
        let yes: boolean;
        try {
          yes = await ask(decision.info);
        } catch (e) {
          throw decision.refusal(l10n.t('asking about the key failed: {0}', (e as Error).message));
        } finally {
          hooks.resume();
        }
        if (hooks.abandoned()) throw new TransportError('connect', l10n.t('the connection to {0} ended while asking about its host key', this.name));
        if (!yes) throw decision.refusal();
        this.record(key);
        break;
      }
    }
    this.accepted = key;
  }

  /** Appends the key to the first user file; like ssh, a failure to write is reported and the connection goes on. */
  private record(key: Buffer): void {
    const file = this.userFiles[0];
    const hash = this.o.hashKnownHosts === true || isHashedOnly(this.sources[0].text);
    const keyType = keyTypeOfBlob(key) ?? 'unknown';
    const fingerprint = fingerprintSha256(key);
    try {
      appendKnownHost(file, formatKnownHostsLine(this.name, key, { hash }));
      this.log(`ssh: added ${this.name} ${keyType} ${fingerprint} to ${file}${hash ? ' (hashed)' : ''}`);
    } catch (e) {
      this.log(`ssh: could not add the host key to ${file}: ${(e as Error).message}`);
    }
  }
}

/** known_hosts text, '' when the file does not exist; an unreadable user file is an error, an unreadable global one is skipped (as ssh does). */
function readKnownHosts(file: string, mine: boolean, log: (line: string) => void): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return '';
    if (!mine) {
      log(`ssh: skipping ${file}: ${(e as Error).message}`);
      return '';
    }
    throw new TransportError('host-key-unknown', l10n.t('cannot read {0}: {1}', file, (e as Error).message));
  }
}

/** "ed25519", "ecdsa", "rsa": the middle of /etc/ssh/ssh_host_<x>_key.pub, and ssh-keyscan -t's name */
function shortType(keyType: string): string {
  if (keyType.startsWith('ecdsa-')) return 'ecdsa';
  return keyType.replace(/^ssh-/, '');
}

function shellQuote(s: string, always = false): string {
  return !always && /^[A-Za-z0-9_./:@%+=,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
