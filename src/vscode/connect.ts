// Opening an SSH transport from VS Code: the host (and each ProxyJump hop) as the ssh config describes it; an
// unknown host key shows its fingerprint and asks; a changed one is refused (the transport explains why); a key
// passphrase is asked once and kept in SecretStorage; keyboard-interactive questions (one-time codes) are asked in
// input boxes and never stored.
import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import { Transport, TransportError } from '../host/transport';
import type { UnknownHostKeyInfo } from '../host/knownHostsPolicy';
import type { KeyboardInteractiveQuestion, SshHopOptions } from '../host/sshTransport';
import type { HopWithKeys } from '../host/sshConfigFile';
import { parseJumpList } from '../core/sshConfig';
import { HostEntry, identityOf, knownHostsFile, knownHostsFileSetting, sshConfigFile, sshConfigFileSetting } from './settings';

const secretKey = (identity: string) => `conohaIpv6.passphrase:${identity}`;

export async function openTransport(entry: HostEntry, ctx: vscode.ExtensionContext, log: vscode.LogOutputChannel): Promise<Transport> {
  // ssh2 is loaded here, on the first connection, not at activation
  const { connectSsh } = await import('../host/sshTransport');
  const { readSshConfig, resolveConnection, connectionWithHostKeys } = await import('../host/sshConfigFile');
  // how to reach the host and each jump host: the ssh config (conohaIpv6.sshConfigFile, else ~/.ssh/config), with
  // the entry's own user, port, key and proxyJump first; where OpenSSH would look for and record each one's key
  // through ssh -G (which reads ~/.ssh/config and /etc/ssh/ssh_config as ssh does; -F, which skips the system file
  // as in ssh, only for a file named in conohaIpv6.sshConfigFile); conohaIpv6.knownHostsFile replaces the user files
  const config = sshConfigFileSetting();
  const configFile = config && existsSync(config) ? config : undefined;
  const jump = entry.proxyJump?.trim() ? parseJumpList(entry.proxyJump, `conohaIpv6.hosts[${entry.name}].proxyJump`) : undefined;
  const target = { user: entry.user || undefined, host: entry.host.replace(/^\[(.*)\]$/, '$1'), port: entry.port || undefined };
  const resolved = resolveConnection(target, { config: readSshConfig(sshConfigFile()), jump });
  const c = await connectionWithHostKeys(resolved, { knownHostsFile: knownHostsFileSetting(), fallbackKnownHostsFile: knownHostsFile(), configFile });

  /** passphrases typed now, stored once the connection is up */
  const typed = new Map<string, string>();
  const passphrase = (identity: string | undefined) => async () => {
    const saved = identity ? await ctx.secrets.get(secretKey(identity)) : undefined;
    if (saved !== undefined) return saved;
    const answer = await vscode.window.showInputBox({
      title: vscode.l10n.t('Passphrase for {0}', String(identity)),
      prompt: vscode.l10n.t("The key for {0} is encrypted. The passphrase is kept in VS Code's secret storage, never in settings or logs.", entry.name),
      password: true,
      ignoreFocusOut: true,
    });
    if (answer === undefined) throw new TransportError('auth', vscode.l10n.t('no passphrase given for {0}', String(identity)));
    if (identity) typed.set(identity, answer);
    return answer;
  };
  const hop = (h: HopWithKeys, identity?: string): SshHopOptions => {
    const { alias: _alias, identityFiles, ...rest } = h;
    const file = identity ?? identityFiles.at(0);
    return { ...rest, identityFile: file, identityFiles, passphrase: passphrase(file) };
  };
  const identity = identityOf(entry);
  const options = {
    ...hop(c.target, identity),
    jumps: c.jumps.map((j) => hop(j)),
    onKeyboardInteractive: async (q: KeyboardInteractiveQuestion) => {
      const answers: string[] = [];
      for (const [i, p] of q.prompts.entries()) {
        const answer = await vscode.window.showInputBox({
          title: `${q.name || vscode.l10n.t('Login')}: ${q.who}${q.prompts.length > 1 ? ` (${i + 1}/${q.prompts.length})` : ''}`,
          prompt: [q.instructions, p.prompt].filter(Boolean).join(' ').trim(),
          password: !p.echo,
          ignoreFocusOut: true,
        });
        if (answer === undefined) throw new TransportError('auth', vscode.l10n.t("no answer given to {0}'s question \"{1}\"", q.who, p.prompt.trim()));
        answers.push(answer);
      }
      return answers;
    },
    onUnknownHostKey: async (info: UnknownHostKeyInfo) => {
      const trust = vscode.l10n.t('Trust and Connect');
      // known with another key type: not a first contact (OpenSSH warns); the transport refuses it unless trusted here
      const other = info.knownKeys.length
        ? vscode.l10n.t('WARNING: {0} is already known with a different key type: {1}. ', info.hostName, info.knownKeys.map((k) => vscode.l10n.t('{0} {1} ({2} line {3})', k.keyType, k.fingerprint, k.file, k.line)).join('; '))
        : '';
      const answer = await vscode.window.showWarningMessage(
        other ? vscode.l10n.t('{0} offers a key of another type than the one recorded.', info.hostName) : vscode.l10n.t("The authenticity of {0} can't be established.", info.hostName),
        {
          modal: true,
          detail: vscode.l10n.t('{0}{1} key fingerprint is {2}.\n\nCompare it with the one the host shows (ssh-keygen -lf /etc/ssh/ssh_host_{3}_key.pub on its console). Trusting adds it to {4}.', other, info.keyType, info.fingerprint, info.keyType.replace(/^ssh-/, '').replace(/-.*/, ''), knownHostsFile()),
        },
        trust,
      );
      return answer === trust;
    },
    log: (line: string) => log.debug(`[${entry.name}] ${line}`),
  };
  try {
    const t = await connectSsh(options);
    for (const [file, p] of typed) await ctx.secrets.store(secretKey(file), p);
    return t;
  } catch (e) {
    // a stored passphrase that no longer decrypts the key is forgotten, so the next attempt asks again (a key the
    // server refuses, or a lost network, says nothing about the passphrase)
    if (e instanceof TransportError && e.kind === 'passphrase') {
      for (const file of [options.identityFile, ...options.jumps.map((j) => j.identityFile)]) if (file) await ctx.secrets.delete(secretKey(file));
    }
    throw e;
  }
}
