// Reading the user's ssh config file (Include patterns expanded here, where files are read) and turning a host, as
// the user named it, into what the transport needs for it and for each ProxyJump hop before it: HostName, User,
// Port, IdentityFile, IdentityAgent, IdentitiesOnly, and the host-key settings ssh -G reports for each hop.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import type SSHConfig from 'ssh-config';
import { HostSpec } from '../core/hostSpec';
import { InputError } from '../core/errors';
import { l10n } from '../core/l10n';
import { Environment, JumpHop, ResolvedSshHost, loadSshConfig, resolveSshHost } from '../core/sshConfig';
import { hostKeyOptions, SshHostKeySettings } from './sshConfigHostKeys';

/** Expands an Include pattern the way ssh does: ~, relative to ~/.ssh, and * / ? in the file name. */
export function readInclude(pattern: string): { path: string; text: string }[] {
  let p = pattern.startsWith('~/') ? join(homedir(), pattern.slice(2)) : pattern;
  if (!isAbsolute(p)) p = join(homedir(), '.ssh', p);
  const dir = dirname(p);
  const base = basename(p);
  const re = new RegExp('^' + base.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
  let names: string[];
  try {
    names = /[*?]/.test(base) ? readdirSync(dir).filter((n) => re.test(n)).sort() : [base];
  } catch {
    return [];
  }
  return names
    .map((n) => join(dir, n))
    .filter((f) => existsSync(f))
    .flatMap((f) => {
      try {
        return [{ path: f, text: readFileSync(f, 'utf8') }];
      } catch {
        return []; // a directory, or unreadable: ssh skips it too
      }
    });
}

export function defaultSshConfigFile(): string {
  return join(homedir(), '.ssh', 'config');
}

/** The ssh config file parsed, Includes followed; an empty config when the file does not exist. */
export function readSshConfig(file = defaultSshConfigFile()): SSHConfig {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new InputError(l10n.t('cannot read the ssh config {0}: {1}', file, (e as Error).message));
  }
  return loadSshConfig(text, readInclude, file);
}

function environment(): Environment {
  let localUser = process.env.USER ?? '';
  try {
    localUser = userInfo().username;
  } catch {
    // no passwd entry: $USER
  }
  return { home: homedir(), localUser, env: process.env };
}

/** One host to connect to, with what the ssh config says about it. */
export interface ResolvedHop {
  /** the name the user wrote (an alias the config resolved, or the host itself) */
  alias: string;
  spec: HostSpec;
  identityFiles: string[];
  identitiesOnly: boolean;
  /** ssh-agent socket; '' for IdentityAgent none; undefined: SSH_AUTH_SOCK */
  agent?: string;
}

export interface ResolvedConnection {
  target: ResolvedHop;
  /** the hops before the target, first to last */
  jumps: ResolvedHop[];
}

/** ProxyJump of a first hop's own config is followed (as ssh -J does), up to this many hops in all */
const MAX_HOPS = 8;

/**
 * The target and its jump hops as ssh would reach them. `jump` (the CLI's --jump, the host's proxyJump setting)
 * replaces the config's ProxyJump for the target, as ssh -J does. The target's user defaults to root (this tool's
 * default); a hop's to the local user name (ssh's).
 */
export function resolveConnection(target: JumpHop, o: { config: SSHConfig; jump?: JumpHop[]; defaultUser?: string }): ResolvedConnection {
  const env = environment();
  const hop = (h: JumpHop, defaultUser: string): { hop: ResolvedHop; r: ResolvedSshHost } => {
    const r = resolveSshHost(o.config, h.host, env, h.user);
    const host = r.hostName.replace(/^\[(.*)\]$/, '$1');
    if (host.startsWith('-')) throw new InputError(l10n.t('the ssh config gives "{0}" as the HostName of {1}: not a host name', host, h.host));
    return {
      r,
      hop: {
        alias: h.host,
        spec: { user: h.user ?? r.user ?? defaultUser, host, port: h.port ?? r.port ?? 22 },
        identityFiles: r.identityFiles,
        identitiesOnly: r.identitiesOnly,
        agent: r.identityAgent === 'none' ? '' : r.identityAgent,
      },
    };
  };
  const t = hop(target, o.defaultUser ?? 'root');
  const jumps: ResolvedHop[] = [];
  let list = o.jump ?? t.r.proxyJump;
  // ssh -J a,b: b is reached through a; a's own ProxyJump (from its config) goes in front of it, and so on
  while (list.length > 0) {
    const [first, ...rest] = list;
    const resolved = [hop(first, env.localUser), ...rest.map((h) => hop(h, env.localUser))];
    jumps.unshift(...resolved.map((x) => x.hop));
    if (jumps.length > MAX_HOPS) throw new InputError(l10n.t('more than {0} ProxyJump hops for {1} (a loop in the ssh config?)', MAX_HOPS, target.host));
    list = resolved[0].r.proxyJump;
  }
  return { target: t.hop, jumps };
}

/** A hop with the host-key settings ssh -G gives for it (see sshConfigHostKeys.ts). */
export type HopWithKeys = ResolvedHop & SshHostKeySettings & { knownHostsFile?: string };

/** resolveConnection, then ssh -G for each hop (in parallel) for its known_hosts files, HostKeyAlias, HashKnownHosts. */
export async function connectionWithHostKeys(
  c: ResolvedConnection,
  o: { knownHostsFile?: string; fallbackKnownHostsFile: string; configFile?: string },
): Promise<{ target: HopWithKeys; jumps: HopWithKeys[] }> {
  const withKeys = async (h: ResolvedHop): Promise<HopWithKeys> => ({ ...h, ...(await hostKeyOptions(h.alias, h.spec.port, h.spec.user, o)) });
  const [target, ...jumps] = await Promise.all([c.target, ...c.jumps].map(withKeys));
  return { target, jumps };
}
