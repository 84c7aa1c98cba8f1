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
    `Release on ${s.name}`,
    async () => {
      const t = await connected(s);
      const a = argsOf(arg);
      let target = a.address ?? a.container;
      if (isTreeNode(arg) && arg.kind === 'address') target = arg.address;
      if (isTreeNode(arg) && arg.kind === 'container' && arg.address) target = arg.address; // a bound row of All containers
      if (!target) {
        const bound = addressNodes(s).filter((n) => n.container);
        target = (await vscode.window.showQuickPick(bound.map((n) => ({ label: n.address, description: `→ ${n.container}` })), { title: `Release on ${s.name}` }))?.label;
      }
      if (!target) return undefined;
      if (a.confirm !== false) {
        const ok = await vscode.window.showWarningMessage(`Release ${target} on ${s.name}?`, { modal: true, detail: 'The address is taken off the container and no longer re-applied when it restarts.' }, 'Release');
        if (ok !== 'Release') return undefined;
      }
      const r = await withProgress(`Releasing ${target}…`, () => release(t, overridesOf(s.entry), target, s.observer));
      s.update(r.outcome.after);
      void vscode.window.showInformationMessage(r.released.map((b) => `Released ${b.address} from ${b.container}.`).join(' '));
      return r;
    },
    s,
  );
}
