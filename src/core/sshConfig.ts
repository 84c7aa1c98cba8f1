// The OpenSSH client config (~/.ssh/config) as the npm package ssh-config parses and evaluates it: the Host
// aliases for "Add Host", and a host's effective options (Host and Match host blocks, first value wins, Include
// followed) for connecting: HostName, User, Port, IdentityFile, IdentityAgent, IdentitiesOnly, ProxyJump.
// Pure: the caller supplies a function that expands an Include pattern into files and their text (host layer).
// Nothing here runs a program: `Match exec` never matches, and CanonicalizeHostName (which would run nslookup)
// is dropped before evaluation.
import SSHConfig, { Line, LineType, Match, Section } from 'ssh-config';
import { InputError } from './errors';
import { l10n } from './l10n';
import { parseHostTarget } from './hostSpec';

export interface SshConfigHost {
  alias: string;
  hostName?: string;
  user?: string;
  port?: number;
  identityFile?: string;
  /** ProxyJump as written (the hops are resolved through the config again when connecting) */
  proxyJump?: string;
}

export type IncludeReader = (pattern: string) => { path: string; text: string }[];

/** OpenSSH's own limit on nested Includes (against loops) */
const MAX_INCLUDE_DEPTH = 16;

/** Keywords whose spelling matters to the package (it tracks HostName and User for Match host / user). */
const CANONICAL: Record<string, string> = {
  host: 'Host',
  match: 'Match',
  hostname: 'HostName',
  user: 'User',
  port: 'Port',
  include: 'Include',
  identityfile: 'IdentityFile',
  identityagent: 'IdentityAgent',
  identitiesonly: 'IdentitiesOnly',
  proxyjump: 'ProxyJump',
};

const isDirective = (l: Line): l is Extract<Line, { param: string }> => l.type === LineType.DIRECTIVE;
const isSection = (l: Line): l is Section => isDirective(l) && 'config' in l;
const values = (v: string | { val: string }[]): string[] => (typeof v === 'string' ? [v] : v.map((x) => x.val));

/** The config text parsed, with every Include replaced by what it names (recursively) and keywords normalized. */
export function loadSshConfig(text: string, readInclude: IncludeReader, where = 'the ssh config'): SSHConfig {
  const parsed = parseText(text, where);
  const lines = expand([...parsed], readInclude, 0);
  const out = new SSHConfig();
  out.push(...lines);
  return out;
}

/** The package's parse, its complaint (an unclosed quote, a Match without a value) an InputError naming the file. */
function parseText(text: string, where: string): SSHConfig {
  try {
    return SSHConfig.parse(text);
  } catch (e) {
    throw new InputError(l10n.t('{0} cannot be read: {1} (ssh would refuse it too)', where, e instanceof Error ? e.message : String(e)));
  }
}

/**
 * Keywords spelled as the package expects; Host patterns and Match host/originalhost values lowercased, since ssh
 * matches host names without regard to case (the name asked for is lowercased too, in computeRaw).
 */
function normalize(line: Line): Line {
  if (!isDirective(line)) return line;
  const param = CANONICAL[line.param.toLowerCase()] ?? line.param;
  const lower = (v: string | { val: string; separator: string; quoted?: boolean }[]) =>
    typeof v === 'string' ? v.toLowerCase() : v.map((x) => ({ ...x, val: x.val.toLowerCase() }));
  if (param === 'Host') return { ...line, param, value: lower(line.value) };
  if (param === 'Match' && 'criteria' in line) {
    const m: Match = line;
    const criteria = { ...m.criteria };
    for (const k of Object.keys(criteria)) if (/^(host|originalhost)$/i.test(k)) criteria[k] = lower(criteria[k]);
    return { ...m, param, criteria };
  }
  return param !== line.param ? { ...line, param } : line;
}

/** the lines of every file an Include line names, expanded in turn */
function included(line: Extract<Line, { param: string }>, readInclude: IncludeReader, depth: number): Line[] {
  if (depth >= MAX_INCLUDE_DEPTH) return [];
  return values(line.value).flatMap((pattern) =>
    readInclude(pattern).flatMap((f) => expand([...parseText(f.text, f.path)], readInclude, depth + 1)),
  );
}

/**
 * Includes spliced in, as OpenSSH reads them: an included file's lines before its first Host/Match belong to the
 * block the Include is in; its own Host/Match blocks stand on their own; the lines after the Include continue the
 * enclosing block (a copy of its Host/Match line is put back in front of them).
 */
function expand(lines: Line[], readInclude: IncludeReader, depth: number): Line[] {
  const out: Line[] = [];
  for (const raw of lines) {
    const line = normalize(raw);
    if (isDirective(line) && /^canonicalizehostname$/i.test(line.param)) continue;
    if (isDirective(line) && line.param === 'Include') {
      out.push(...included(line, readInclude, depth));
      continue;
    }
    if (!isSection(line)) {
      out.push(line);
      continue;
    }
    const block = (): Section => {
      const s = { ...line, config: new SSHConfig() } as Section;
      out.push(s);
      return s;
    };
    let current = block();
    for (const rawSub of line.config) {
      const sub = normalize(rawSub);
      if (isDirective(sub) && /^canonicalizehostname$/i.test(sub.param)) continue;
      if (!(isDirective(sub) && sub.param === 'Include')) {
        current.config.push(sub);
        continue;
      }
      const inc = included(sub, readInclude, depth);
      const firstBlock = inc.findIndex(isSection);
      current.config.push(...(firstBlock < 0 ? inc : inc.slice(0, firstBlock)));
      if (firstBlock >= 0) {
        out.push(...inc.slice(firstBlock));
        current = block();
      }
    }
  }
  return out;
}

/** Concrete Host aliases (no wildcards, no negations), each with the options ssh would use for it. */
export function parseSshConfig(text: string, readInclude: IncludeReader): SshConfigHost[] {
  const config = loadSshConfig(text, readInclude);
  const aliases: string[] = [];
  for (const line of config) {
    if (!isSection(line) || line.param !== 'Host') continue;
    for (const a of values(line.value)) if (a && !/[*?!]/.test(a) && !aliases.includes(a)) aliases.push(a);
  }
  return aliases.map((alias) => {
    const c = computeRaw(config, alias);
    const h: SshConfigHost = { alias };
    if (c.hostname !== undefined) h.hostName = c.hostname;
    if (c.user !== undefined) h.user = c.user;
    if (c.port !== undefined && /^\d+$/.test(c.port)) h.port = +c.port;
    if (c.identityfile?.[0] !== undefined) h.identityFile = c.identityfile[0];
    if (c.proxyjump !== undefined && c.proxyjump.toLowerCase() !== 'none') h.proxyJump = c.proxyjump;
    return h;
  });
}

interface RawOptions {
  hostname?: string;
  user?: string;
  port?: string;
  identityfile?: string[];
  identityagent?: string;
  identitiesonly?: string;
  proxyjump?: string;
}

/** The package's evaluation (first value wins; Host and Match blocks; no Match exec), keywords lowercased. */
function computeRaw(config: SSHConfig, alias: string, user?: string): RawOptions {
  const host = alias.toLowerCase();
  const c = config.compute(user === undefined ? { Host: host } : { Host: host, User: user }, { ignoreCase: true, matchExec: false });
  const one = (k: string): string | undefined => {
    const v = c[k];
    return Array.isArray(v) ? v.join(' ') : v;
  };
  const files = c.identityfile as string | string[] | undefined; // absent when no block sets it
  return {
    hostname: one('hostname'),
    user: one('user'),
    port: one('port'),
    identityfile: files === undefined ? undefined : Array.isArray(files) ? files : [files],
    identityagent: one('identityagent'),
    identitiesonly: one('identitiesonly'),
    proxyjump: one('proxyjump'),
  };
}

/** One hop of a ProxyJump list (or of --jump): the host as written (an alias the config may resolve). */
export interface JumpHop {
  user?: string;
  host: string;
  port?: number;
}

/** What ssh would use to reach `alias`; undefined fields: the config does not say (the caller's defaults apply). */
export interface ResolvedSshHost {
  alias: string;
  /** HostName (with %h expanded), else the alias */
  hostName: string;
  user?: string;
  port?: number;
  /** IdentityFile lines, ~ and %d %u %h %r %% expanded */
  identityFiles: string[];
  /** IdentityAgent: a socket path, "none" (no agent), or undefined (SSH_AUTH_SOCK) */
  identityAgent?: string;
  identitiesOnly: boolean;
  /** ProxyJump hops, first to last; empty when none (or "none") */
  proxyJump: JumpHop[];
}

export interface Environment {
  home: string;
  localUser: string;
  env: Record<string, string | undefined>;
}

/** The effective options for `alias` (a user given on the command line counts for Match user, as with ssh -l). */
export function resolveSshHost(config: SSHConfig, alias: string, env: Environment, user?: string): ResolvedSshHost {
  const c = computeRaw(config, alias, user);
  const port = c.port !== undefined && /^\d{1,5}$/.test(c.port) && +c.port >= 1 && +c.port <= 65535 ? +c.port : undefined;
  const hostName = c.hostname ? c.hostname.replace(/%h/g, alias).replace(/%%/g, '%') : alias;
  const remoteUser = user ?? c.user;
  const tokens = { d: env.home, u: env.localUser, h: hostName, r: remoteUser ?? '', n: alias, p: String(port ?? 22), '%': '%' };
  const expandPath = (p: string) => expandTokens(p.replace(/^~(?=\/|$)/, env.home), tokens, env.env);
  let identityAgent = c.identityagent;
  if (identityAgent !== undefined) {
    if (identityAgent === 'SSH_AUTH_SOCK') identityAgent = undefined;
    else if (identityAgent !== 'none') {
      identityAgent = /^\$[A-Za-z_][A-Za-z0-9_]*$/.test(identityAgent) ? env.env[identityAgent.slice(1)] ?? 'none' : expandPath(identityAgent);
    }
  }
  return {
    alias,
    hostName,
    user: c.user,
    port,
    identityFiles: (c.identityfile ?? []).filter((f) => f !== 'none').map(expandPath),
    identityAgent,
    identitiesOnly: c.identitiesonly?.toLowerCase() === 'yes',
    proxyJump: c.proxyjump === undefined ? [] : parseJumpList(c.proxyjump, 'ProxyJump'),
  };
}

/** %d %u %h %r %n %p %% and ${ENV} in a path, as ssh_config(5) TOKENS describes them. */
function expandTokens(s: string, tokens: Record<string, string>, env: Record<string, string | undefined>): string {
  return s
    .replace(/%(.)/g, (m, t: string) => tokens[t] ?? m)
    .replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => env[name] ?? '');
}

/**
 * `ssh -J` / ProxyJump syntax: hops separated by commas, each [user@]host[:port] (IPv6 in brackets) or
 * ssh://[user@]host[:port]; "none" is no jump.
 */
export function parseJumpList(text: string, what = '--jump'): JumpHop[] {
  const t = text.trim();
  if (t === '' || t.toLowerCase() === 'none') return [];
  return t.split(',').map((raw) => {
    const hop = raw.trim().replace(/^ssh:\/\//i, '').replace(/\/$/, '');
    if (!hop) throw new InputError(l10n.t('{0} "{1}": an empty hop; write user@host[:port],user@host2', what, text));
    if (hop.startsWith('-')) throw new InputError(l10n.t('{0} "{1}": "{2}" is not a host', what, text, hop));
    return parseHostTarget(hop);
  });
}
