// Remove Host: disconnects and takes the host out of conohaIpv6.hosts (the host itself is not touched).
import * as vscode from 'vscode';
import { readHosts, writeHosts } from '../settings';
import { Arg, argsOf, pickSession, Services } from './common';

export async function removeHost(svc: Services, arg: Arg): Promise<boolean> {
  const s = await pickSession(svc, arg);
  if (!s) return false;
  if (argsOf(arg).confirm !== false) {
    const ok = await vscode.window.showWarningMessage(vscode.l10n.t('Remove {0} from the sidebar?', s.name), { modal: true, detail: vscode.l10n.t('Nothing on the host changes: its setup and bindings stay.') }, vscode.l10n.t('Remove'));
    if (ok !== vscode.l10n.t('Remove')) return false;
  }
  await s.disconnect();
  await writeHosts(readHosts().filter((h) => h.name !== s.name));
  svc.log.info(`removed host ${s.name}`);
  return true;
}
