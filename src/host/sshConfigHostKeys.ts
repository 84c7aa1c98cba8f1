// The host-key settings the user's OpenSSH client would use for a host, as `ssh -G` prints them after reading
// ~/.ssh/config and /etc/ssh/ssh_config (Host, Match, Include, ~ and %h expanded, HostKeyAlias lowercased):
// UserKnownHostsFile, GlobalKnownHostsFile, HostKeyAlias, HashKnownHosts. Asking ssh itself means no second
// ssh_config parser to keep in step with it (Debian's /etc/ssh/ssh_config, for one, sets HashKnownHosts yes).
import { execFile } from 'node:child_process';
import { HostKeyOptions } from './knownHostsPolicy';

export type SshHostKeySettings = Pick<HostKeyOptions, 'knownHostsFiles' | 'globalKnownHostsFiles' | 'hostKeyAlias' | 'hashKnownHosts'>;

/**
 * `ssh -G` for `host` (the name the user gave, so `Host` blocks match it) and turns its answer into transport
 * options; undefined when there is no ssh client here or it fails (then the transport's defaults apply).
 */
export function sshHostKeySettings(host: string, port: number, user: string, o: { configFile?: string; ssh?: string } = {}): Promise<SshHostKeySettings | undefined> {
  if (host.startsWith('-')) return Promise.resolve(undefined);
  const args = ['-G', '-p', String(port), '-l', user, ...(o.configFile ? ['-F', o.configFile] : []), '--', host];
  return new Promise((resolve) => {
    execFile(o.ssh ?? 'ssh', args, { timeout: 5000, maxBuffer: 1024 * 1024, windowsHide: true }, (err, stdout) => {
      resolve(err ? undefined : parseSshG(stdout));
    });
  });
}

/** The settings in `ssh -G` output (one "keyword value..." per line, keywords lowercase). */
export function parseSshG(text: string): SshHostKeySettings {
  const values = new Map<string, string[]>();
  for (const line of text.split(/\r?\n/)) {
    const [keyword, ...rest] = line.trim().split(/\s+/);
    if (keyword && !values.has(keyword)) values.set(keyword, rest);
  }
  const settings: SshHostKeySettings = {};
  const user = values.get('userknownhostsfile')?.filter((f) => f !== 'none');
  if (user?.length) settings.knownHostsFiles = user;
  const global = values.get('globalknownhostsfile');
  if (global) settings.globalKnownHostsFiles = global.filter((f) => f !== 'none');
  const alias = values.get('hostkeyalias')?.[0];
  if (alias) settings.hostKeyAlias = alias;
  const hash = values.get('hashknownhosts')?.[0];
  if (hash) settings.hashKnownHosts = hash === 'yes';
  return settings;
}

/**
 * The transport's host-key options for a host, as OpenSSH would use them: what `ssh -G` says, with `knownHostsFile`
 * (the user's explicit choice: --known-hosts, or the extension's setting) replacing the ssh config's user files, and
 * `fallbackKnownHostsFile` used when neither names one (no ssh client here).
 */
export async function hostKeyOptions(
  host: string,
  port: number,
  user: string,
  o: { knownHostsFile?: string; fallbackKnownHostsFile: string; configFile?: string },
): Promise<SshHostKeySettings & { knownHostsFile?: string }> {
  const fromSsh = (await sshHostKeySettings(host, port, user, { configFile: o.configFile })) ?? {};
  if (o.knownHostsFile) delete fromSsh.knownHostsFiles;
  return { ...fromSsh, knownHostsFile: o.knownHostsFile ?? (fromSsh.knownHostsFiles ? undefined : o.fallbackKnownHostsFile) };
}
