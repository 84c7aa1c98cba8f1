// Add Host: pick a Host from ~/.ssh/config (Include followed) or type user@host[:port]; saved in settings.
import * as vscode from 'vscode';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, basename } from 'node:path';
import { parseHostSpec } from '../../core/hostSpec';
import { parseSshConfig, SshConfigHost } from '../../core/sshConfig';
import { HostEntry, readHosts, sshConfigFile, writeHosts } from '../settings';
import { Services } from './common';

/** Expands an Include pattern the way ssh does: ~, relative to ~/.ssh, and * / ? in the file name. */
function readInclude(pattern: string): { path: string; text: string }[] {
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
    .map((f) => ({ path: f, text: readFileSync(f, 'utf8') }));
}

export function sshConfigHosts(): SshConfigHost[] {
  const file = sshConfigFile();
  if (!existsSync(file)) return [];
  return parseSshConfig(readFileSync(file, 'utf8'), readInclude);
}

async function save(entry: HostEntry, svc: Services): Promise<HostEntry> {
  const hosts = readHosts();
  if (hosts.some((h) => h.name === entry.name)) throw new Error(`a host named "${entry.name}" is already in the list`);
  parseHostSpec(`${entry.user ?? 'root'}@${entry.host.includes(':') ? `[${entry.host}]` : entry.host}:${entry.port ?? 22}`); // validates
  await writeHosts([...hosts, entry]);
  svc.log.info(`added host ${entry.name} (${entry.user ?? 'root'}@${entry.host}:${entry.port ?? 22})`);
  return entry;
}

export async function addHost(svc: Services, arg?: Partial<HostEntry>): Promise<HostEntry | undefined> {
  if (arg && typeof arg.host === 'string') {
    return save({ ...arg, name: arg.name ?? arg.host, host: arg.host }, svc);
  }
  const TYPE = '$(edit) Enter user@host[:port]…';
  const fromConfig = sshConfigHosts().map((h) => ({
    label: h.alias,
    description: [h.user && `${h.user}@`, h.hostName ?? h.alias, h.port && `:${h.port}`].filter(Boolean).join(''),
    detail: h.identityFile ? `key ${h.identityFile}` : undefined,
    host: h,
  }));
  const picked = await vscode.window.showQuickPick([{ label: TYPE, description: '', host: undefined as SshConfigHost | undefined }, ...fromConfig], {
    title: 'Add ConoHa host',
    placeHolder: fromConfig.length ? `a Host from ${sshConfigFile()}, or type one` : 'type user@host[:port]',
  });
  if (!picked) return undefined;
  if (picked.host) {
    const h = picked.host;
    return save({ name: h.alias, host: h.hostName ?? h.alias, user: h.user, port: h.port, identityFile: h.identityFile }, svc);
  }
  const typed = await vscode.window.showInputBox({
    title: 'Add ConoHa host',
    prompt: 'user@host[:port]; an IPv6 address in brackets: root@[2400:8500::1]:22',
    placeHolder: 'root@157.7.235.12',
    validateInput: (v) => {
      try {
        parseHostSpec(v);
        return undefined;
      } catch (e) {
        return (e as Error).message;
      }
    },
  });
  if (!typed) return undefined;
  const spec = parseHostSpec(typed);
  const name = await vscode.window.showInputBox({ title: 'Name in the sidebar', value: spec.host, validateInput: (v) => (v.trim() ? undefined : 'a name is needed') });
  if (!name) return undefined;
  return save({ name: name.trim(), host: spec.host, user: spec.user, port: spec.port === 22 ? undefined : spec.port }, svc);
}
