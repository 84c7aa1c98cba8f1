// Release Address: from a bound address (or an address or container name given as an argument), asks, then takes
// the address back.
import * as vscode from 'vscode';
import { release, ReleaseResult } from '../../host/modeOperations'; // radvd or docker mode
import { addressNodes } from '../tree/children';
import { isTreeNode } from '../tree/nodes';
import { overridesOf } from '../settings';
import { Arg, argsOf, connected, guarded, pickSession, Services, withProgress } from './common';

export async function releaseAddress(svc: Services, arg: Arg): Promise<ReleaseResult | undefined> {
  const s = await pickSession(svc, arg);
  if (!s) return undefined;
  return guarded(
    svc,
    vscode.l10n.t('Release on {0}', s.name),
    async () => {
      const t = await connected(s);
      const a = argsOf(arg);
      let target = a.address ?? a.container;
      if (isTreeNode(arg) && arg.kind === 'address') target = arg.address;
      if (isTreeNode(arg) && arg.kind === 'container' && arg.address) target = arg.address; // a bound row of All containers
      if (!target) {
        const bound = addressNodes(s).filter((n) => n.container);
        target = (await vscode.window.showQuickPick(bound.map((n) => ({ label: n.address, description: `→ ${n.container}` })), { title: vscode.l10n.t('Release on {0}', s.name) }))?.label;
      }
      if (!target) return undefined;
      if (a.confirm !== false) {
        const ok = await vscode.window.showWarningMessage(vscode.l10n.t('Release {0} on {1}?', target, s.name), { modal: true, detail: vscode.l10n.t('The address is taken off the container and no longer re-applied when it restarts.') }, vscode.l10n.t('Release'));
        if (ok !== vscode.l10n.t('Release')) return undefined;
      }
      const r = await withProgress(vscode.l10n.t('Releasing {0}…', target), () => release(t, overridesOf(s.entry), target, s.observer));
      s.update(r.outcome.after);
      void vscode.window.showInformationMessage(r.released.map((b) => vscode.l10n.t('Released {0} from {1}.', b.address, b.container)).join(' '));
      return r;
    },
    s,
  );
}
