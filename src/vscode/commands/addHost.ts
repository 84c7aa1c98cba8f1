// Add Host: pick a Host from ~/.ssh/config (Include followed) or type user@host[:port] (Enter adds it), then the
// key (~/.ssh/id_*, the SSH agent, or a file) and the name; saved in the conohaIpv6.hosts user setting.
import * as vscode from 'vscode';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { HostSpec, formatHostSpec, parseHostSpec } from '../../core/hostSpec';
import { parseSshConfig, SshConfigHost } from '../../core/sshConfig';
import { readInclude } from '../../host/sshConfigFile';
import { defaultName, keyChoices, typedHostItem } from '../hostInput';
import { HostEntry, readHosts, sshConfigFile, writeHosts } from '../settings';
import { Services } from './common';

export function sshConfigHosts(): SshConfigHost[] {
  const file = sshConfigFile();
  if (!existsSync(file)) return [];
  try {
    return parseSshConfig(readFileSync(file, 'utf8'), readInclude);
  } catch {
    return []; // a config ssh itself would refuse offers no aliases; connecting names the problem
  }
}

async function save(entry: HostEntry, svc: Services): Promise<HostEntry> {
  const hosts = readHosts();
  if (hosts.some((h) => h.name === entry.name)) throw new Error(vscode.l10n.t('a host named "{0}" is already in the list', entry.name));
  parseHostSpec(`${entry.user ?? 'root'}@${entry.host.includes(':') ? `[${entry.host}]` : entry.host}:${entry.port ?? 22}`); // validates
  await writeHosts([...hosts, entry]);
  svc.log.info(`added host ${entry.name} (${entry.user ?? 'root'}@${entry.host}:${entry.port ?? 22})`);
  return entry;
}

export async function addHost(svc: Services, arg?: Partial<HostEntry>): Promise<HostEntry | undefined> {
  if (arg && typeof arg.host === 'string') {
    return save({ ...arg, name: arg.name ?? arg.host, host: arg.host }, svc);
  }
  const picked = await pickHost();
  if (!picked) return undefined;
  if ('alias' in picked) {
    const h = picked;
    return save({ name: h.alias, host: h.hostName ?? h.alias, user: h.user, port: h.port, identityFile: h.identityFile, proxyJump: h.proxyJump }, svc);
  }
  const spec = picked;
  const key = await pickKey(vscode.l10n.t('Add {0}: which key?', formatHostSpec(spec)));
  if (!key) return undefined;
  const taken = readHosts().map((h) => h.name);
  const name = await vscode.window.showInputBox({
    title: vscode.l10n.t('Add {0}: name in the sidebar', formatHostSpec(spec)),
    value: defaultName(spec, taken),
    validateInput: (v) => (!v.trim() ? vscode.l10n.t('a name is needed') : taken.includes(v.trim()) ? vscode.l10n.t('a host named "{0}" is already in the list', v.trim()) : undefined),
  });
  if (!name) return undefined;
  return save({ name: name.trim(), host: spec.host, ...(spec.user === 'root' ? {} : { user: spec.user }), ...(spec.port === 22 ? {} : { port: spec.port }), ...(key.identityFile ? { identityFile: key.identityFile } : {}) }, svc);
}

type HostPick = vscode.QuickPickItem & { spec?: HostSpec; config?: SshConfigHost; invalid?: boolean };

/** A Host from the ssh config, or what the user typed (user@host[:port], checked by the host-spec parser: a bad
 * value shows the parser's message and cannot be accepted). */
function pickHost(): Promise<HostSpec | SshConfigHost | undefined> {
  const fromConfig: HostPick[] = sshConfigHosts().map((h) => ({
    label: h.alias,
    description: [h.user && `${h.user}@`, h.hostName ?? h.alias, h.port && `:${h.port}`].filter(Boolean).join(''),
    detail: h.identityFile ? vscode.l10n.t('key {0}', h.identityFile) : undefined,
    config: h,
  }));
  const qp = vscode.window.createQuickPick<HostPick>();
  qp.title = vscode.l10n.t('Add ConoHa host');
  qp.placeholder = fromConfig.length ? vscode.l10n.t('a Host from {0}, or type user@host[:port]', sshConfigFile()) : vscode.l10n.t('type user@host[:port], e.g. root@157.7.235.12 or deploy@[2001:db8::2]:2222');
  qp.matchOnDescription = true;
  qp.items = fromConfig;
  qp.onDidChangeValue((value) => {
    const t = typedHostItem(value, vscode.l10n);
    const typed: HostPick[] = t ? [{ label: t.spec ? `$(add) ${t.label}` : `$(error) ${t.label}`, detail: t.detail, spec: t.spec, invalid: !t.spec, alwaysShow: true }] : [];
    qp.items = [...fromConfig, ...typed]; // a Host of the ssh config that matches stays first
  });
  return new Promise((resolve) => {
    let done = false;
    qp.onDidAccept(() => {
      const item = qp.selectedItems.at(0) ?? qp.activeItems.at(0);
      if (!item || item.invalid) return; // the parser's message stays in view
      done = true;
      resolve(item.spec ?? item.config);
      qp.hide();
    });
    qp.onDidHide(() => {
      if (!done) resolve(undefined);
      qp.dispose();
    });
    qp.show();
  });
}

/** The key for a host: a ~/.ssh/id_* key, the SSH agent (when SSH_AUTH_SOCK is set), or a file picked with Browse…. */
export async function pickKey(title: string): Promise<{ identityFile?: string } | undefined> {
  const choices = keyChoices(homedir(), process.env, vscode.l10n);
  const picked = await vscode.window.showQuickPick(choices, { title, placeHolder: vscode.l10n.t('the private key to log in with') });
  if (!picked) return undefined;
  if (picked.choice !== 'browse') return { identityFile: picked.identityFile };
  const files = await vscode.window.showOpenDialog({ title, canSelectMany: false, openLabel: vscode.l10n.t('Use this key'), defaultUri: vscode.Uri.file(join(homedir(), '.ssh')) });
  const file = files?.[0]?.fsPath;
  return file ? { identityFile: file } : undefined;
}
