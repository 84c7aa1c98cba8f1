// Open SSH Terminal: VS Code's integrated terminal running ssh to the host (its user, port and key file), the
// arguments passed as an array (no shell). From a host row, the palette, or { host }.
import * as vscode from 'vscode';
import { identityOf, knownHostsFileSetting, specOf } from '../settings';
import { sshTerminalArgs, sshTerminalName } from '../sshTerminal';
import { Arg, pickSession, Services } from './common';

export async function openSshTerminal(svc: Services, arg: Arg): Promise<vscode.Terminal | undefined> {
  const s = await pickSession(svc, arg);
  if (!s) return undefined;
  try {
    const shellArgs = sshTerminalArgs(specOf(s.entry), identityOf(s.entry), { proxyJump: s.entry.proxyJump, knownHostsFile: knownHostsFileSetting() });
    svc.log.info(`Open SSH Terminal: ssh ${shellArgs.join(' ')}`);
    const terminal = vscode.window.createTerminal({ name: sshTerminalName(s.name), shellPath: 'ssh', shellArgs, iconPath: new vscode.ThemeIcon('terminal') });
    terminal.show();
    return terminal;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    svc.log.error(`Open SSH Terminal on ${s.name}: ${msg}`);
    void vscode.window.showErrorMessage(vscode.l10n.t('Open SSH Terminal on {0}: {1}', s.name, msg), vscode.l10n.t('Edit Host')).then((a) => a && vscode.commands.executeCommand('conohaIpv6.editHost', { host: s.name, field: 'host' }));
    throw e;
  }
}
