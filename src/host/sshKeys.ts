// The keys an SSH connection offers, and reading a private key file: one readKey() for the identity file and for
// the default keys (~/.ssh/id_*), with the passphrase handling of both. ssh2 is required lazily (see sshTransport.ts).
import type { AnyAuthMethod, ParsedKey } from 'ssh2';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { l10n } from '../core/l10n';
import { TransportError } from './transport';

export const DEFAULT_KEY_FILES = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

/** How readKey may get the passphrase of an encrypted key. */
export interface KeyPassphrase {
  /** known already: given as a string, or learned earlier on this transport */
  known?: string;
  /** asked (once) when the key turns out encrypted and none is known; without it an encrypted key is an error */
  ask?: () => Promise<string>;
}

/** A private key read from a file; `passphrase` is the one that decrypted it (remember it), if it was encrypted. */
export interface ReadKey {
  key: ParsedKey;
  passphrase?: string;
}

/**
 * Reads and parses the private key in `file`, decrypting it when it is encrypted. Rejects with a TransportError that
 * names the file and says what to do: unreadable or missing, encrypted without a passphrase, wrong passphrase
 * ('passphrase', the only kind that says so), not a key, a public key.
 */
export async function readKey(file: string, passphrase: KeyPassphrase = {}): Promise<ReadKey> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- ssh2 is loaded on first use, not when the extension activates
  const { utils } = require('ssh2') as typeof import('ssh2');
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (e) {
    throw new TransportError('auth', l10n.t('cannot read the identity file {0}: {1}', file, (e as Error).message));
  }
  let parsed = utils.parseKey(data);
  let used: string | undefined;
  if (parsed instanceof Error && isEncryptedKeyError(parsed)) {
    used = passphrase.known;
    if (used === undefined) {
      if (!passphrase.ask) {
        throw new TransportError('auth', l10n.t('the key {0} is encrypted and no passphrase was given: load it into ssh-agent (ssh-add {0}) or give its passphrase', file));
      }
      try {
        used = await passphrase.ask();
      } catch (e) {
        throw new TransportError('auth', l10n.t('no passphrase for the encrypted key {0} ({1})', file, (e as Error).message));
      }
    }
    parsed = utils.parseKey(data, used);
    if (parsed instanceof Error) {
      throw new TransportError('passphrase', l10n.t('wrong passphrase for the key {0}: it could not be decrypted (nothing was sent to the host)', file));
    }
  }
  const key = firstKey(parsed);
  if (key instanceof Error) throw new TransportError('auth', l10n.t('{0} is not a private key this tool can use: {1}', file, key.message));
  if (!key.isPrivateKey()) throw new TransportError('auth', l10n.t('{0} holds a public key; give the private key file (without .pub)', file));
  return { key, passphrase: used };
}

/** ssh2's types say parseKey gives one key; its OpenSSH parser gives a list, one per key in the file */
function firstKey(parsed: ParsedKey | Error | (ParsedKey | Error)[]): ParsedKey | Error {
  return Array.isArray(parsed) ? parsed.at(0) ?? new Error(l10n.t('the file holds no key')) : parsed;
}

function isEncryptedKeyError(err: Error): boolean {
  return /encrypted .*no passphrase given/i.test(err.message);
}

export interface AuthPlanOptions {
  username: string;
  /** ssh-agent socket (or pageant / a Windows pipe); undefined: none */
  agent?: string;
  identityFile?: string;
  /** more key files (the ssh config's IdentityFile lines), offered after identityFile; encrypted ones are read only
   * with a passphrase already known (never asked), else skipped */
  identityFiles?: string[];
  /** IdentitiesOnly: with key files named, the agent is not offered (its keys could be others) */
  identitiesOnly?: boolean;
  /** for an encrypted identity file; a function is called only when the key turns out encrypted */
  passphrase?: string | (() => Promise<string>);
  /** a passphrase learned earlier on this transport (read and written: a reconnect does not ask again) */
  secrets: { passphrase?: string };
  /** a key file offered, for the error that names what the host refused */
  tried: string[];
  log: (line: string) => void;
  /** waiting for the user (the passphrase question) does not count against the connect timeout */
  pauseTimer: () => void;
  armTimer: () => void;
}

/**
 * Keys to offer, in order: ssh-agent (not with IdentitiesOnly and key files named), then the identity file if given,
 * then the other identity files; the default key files when no file is named. Keys other than identityFile are
 * only ever decrypted with a passphrase string: one that would need asking is skipped (so is one that fails to read).
 */
export async function* authPlan(o: AuthPlanOptions): AsyncGenerator<AnyAuthMethod, void, void> {
  const { username, agent, log, secrets } = o;
  const files = [...(o.identityFile ? [o.identityFile] : []), ...(o.identityFiles ?? []).filter((f) => f !== o.identityFile)];
  if (o.identitiesOnly && files.length > 0) {
    log('ssh: IdentitiesOnly: not offering the keys in ssh-agent');
  } else if (agent && (agent === 'pageant' || agent.startsWith('\\\\.\\pipe\\') || existsSync(agent))) {
    o.tried.push(`ssh-agent (${agent})`);
    log(`ssh: trying the keys in ssh-agent ${agent}`);
    yield { type: 'agent', username, agent };
  }
  const known = secrets.passphrase ?? (typeof o.passphrase === 'string' ? o.passphrase : undefined);
  if (o.identityFile) {
    const ask = o.passphrase;
    const { key, passphrase } = await readKey(o.identityFile, {
      known,
      ask: typeof ask === 'function'
        ? async () => {
            o.pauseTimer();
            try {
              return await ask();
            } finally {
              o.armTimer();
            }
          }
        : undefined,
    });
    if (passphrase !== undefined) secrets.passphrase = passphrase;
    o.tried.push(o.identityFile);
    log(`ssh: trying key ${o.identityFile} (${key.type})`);
    yield { type: 'publickey', username, key };
  }
  const more = o.identityFile ? files.slice(1) : files;
  for (const file of files.length > 0 ? more : DEFAULT_KEY_FILES.map((name) => join(homedir(), '.ssh', name))) {
    if (!existsSync(file)) {
      if (files.length > 0) log(`ssh: skipping ${file}: no such file`);
      continue;
    }
    let key: ParsedKey;
    try {
      ({ key } = await readKey(file, { known }));
    } catch (e) {
      log(`ssh: skipping ${file}: ${(e as Error).message}`);
      continue;
    }
    o.tried.push(file);
    log(`ssh: trying key ${file} (${key.type})`);
    yield { type: 'publickey', username, key };
  }
}
