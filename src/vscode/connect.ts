// Opening an SSH transport from VS Code: an unknown host key shows its fingerprint and asks; a changed one
// is refused (the transport explains why); a key passphrase is asked once and kept in SecretStorage.
import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import { Transport, TransportError } from '../host/transport';
import type { UnknownHostKeyInfo } from '../host/knownHostsPolicy';
import { HostEntry, identityOf, knownHostsFile, knownHostsFileSetting, specOf, sshConfigFileSetting } from './settings';

const secretKey = (identity: string) => `conohaIpv6.passphrase:${identity}`;

export async function openTransport(entry: HostEntry, ctx: vscode.ExtensionContext, log: vscode.LogOutputChannel): Promise<Transport> {
  // ssh2 is loaded here, on the first connection, not at activation
  const { connectSsh } = await import('../host/sshTransport');
  const identity = identityOf(entry);
  let typed: string | undefined;
  const spec = specOf(entry);
  // where OpenSSH would look for and record this host's key (the ssh config through ssh -G, which reads
  // ~/.ssh/config and /etc/ssh/ssh_config as ssh does; -F, which skips the system file as in ssh, only for a file
  // named in conohaIpv6.sshConfigFile); conohaIpv6.knownHostsFile, when set, replaces the user files
  const { hostKeyOptions } = await import('../host/sshConfigHostKeys');
  const config = sshConfigFileSetting();
  const keys = await hostKeyOptions(spec.host, spec.port, spec.user, {
    knownHostsFile: knownHostsFileSetting(),
    fallbackKnownHostsFile: knownHostsFile(),
    configFile: config && existsSync(config) ? config : undefined,
  });
  const options = {
    spec,
    ...keys,
    identityFile: identity,
    passphrase: async () => {
      const saved = identity ? await ctx.secrets.get(secretKey(identity)) : undefined;
      if (saved !== undefined) return saved;
      typed = await vscode.window.showInputBox({
        title: vscode.l10n.t('Passphrase for {0}', String(identity)),
        prompt: vscode.l10n.t("The key for {0} is encrypted. The passphrase is kept in VS Code's secret storage, never in settings or logs.", entry.name),
        password: true,
        ignoreFocusOut: true,
      });
      if (typed === undefined) throw new TransportError('auth', `no passphrase given for ${identity}`);
      return typed;
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
    if (identity && typed !== undefined) await ctx.secrets.store(secretKey(identity), typed);
    return t;
  } catch (e) {
    // a stored passphrase that no longer decrypts the key is forgotten, so the next attempt asks again (a key the
    // server refuses, or a lost network, says nothing about the passphrase)
    if (identity && e instanceof TransportError && e.kind === 'passphrase') await ctx.secrets.delete(secretKey(identity));
    throw e;
  }
}
