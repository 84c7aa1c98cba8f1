// The Host entries of an OpenSSH client config (~/.ssh/config), following Include, for "Add Host".
// Pure: the caller supplies a function that expands an Include pattern into files and their text.

export interface SshConfigHost {
  alias: string;
  hostName?: string;
  user?: string;
  port?: number;
  identityFile?: string;
}

export type IncludeReader = (pattern: string) => { path: string; text: string }[];

/** Concrete Host aliases (no wildcards, no negations), with the options given in their own block. */
export function parseSshConfig(text: string, readInclude: IncludeReader, depth = 0): SshConfigHost[] {
  const hosts: SshConfigHost[] = [];
  let current: SshConfigHost[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^(\S+?)(?:\s*=\s*|\s+)(.*)$/.exec(line);
    if (!m) continue;
    const key = m[1].toLowerCase();
    const value = m[2].trim().replace(/^"(.*)"$/, '$1');
    if (key === 'host') {
      current = value
        .split(/\s+/)
        .filter((a) => a && !/[*?!]/.test(a))
        .map((alias) => ({ alias }));
      hosts.push(...current);
    } else if (key === 'match') {
      current = [];
    } else if (key === 'include') {
      if (depth >= 16) continue; // OpenSSH's own limit against include loops
      for (const pattern of value.split(/\s+/)) {
        for (const f of readInclude(pattern)) hosts.push(...parseSshConfig(f.text, readInclude, depth + 1));
      }
    } else {
      for (const h of current) {
        // first value wins, as in OpenSSH
        if (key === 'hostname') h.hostName ??= value;
        else if (key === 'user') h.user ??= value;
        else if (key === 'port' && /^\d+$/.test(value)) h.port ??= +value;
        else if (key === 'identityfile') h.identityFile ??= value;
      }
    }
  }
  // an alias defined twice: the first block wins for each option
  const byAlias = new Map<string, SshConfigHost>();
  for (const h of hosts) {
    const seen = byAlias.get(h.alias);
    if (!seen) byAlias.set(h.alias, { ...h });
    else for (const k of ['hostName', 'user', 'port', 'identityFile'] as const) fillIn(seen, h, k);
  }
  return [...byAlias.values()];
}

/** an option the first block left unset, taken from a later block for the same alias */
function fillIn<K extends keyof SshConfigHost>(seen: Pick<SshConfigHost, K>, h: Pick<SshConfigHost, K>, k: K): void {
  if (seen[k] === undefined && h[k] !== undefined) seen[k] = h[k];
}
