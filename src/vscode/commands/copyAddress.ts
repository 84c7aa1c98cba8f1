// Copy Address: an address row's address (or a container row's, in All containers) on the clipboard.
// Programmatic: { host, address } (the address must be one of the host's set when the set is known).
import * as vscode from 'vscode';
import { canon } from '../../core/snapshot';
import { isTreeNode } from '../tree/nodes';
import { Arg, argsOf, pickSession, Services } from './common';

export async function copyAddress(svc: Services, arg: Arg): Promise<string | undefined> {
  let address: string | undefined;
  if (isTreeNode(arg)) {
    if (arg.kind === 'address' || arg.kind === 'container') address = arg.address;
  } else {
    const a = argsOf(arg);
    if (!a.address) throw new Error('Copy Address: give { host, address }');
    const s = await pickSession(svc, arg);
    if (!s) return undefined;
    const set = s.config?.addresses;
    if (set && !set.some((x) => canon(x) === canon(a.address ?? ''))) throw new Error(`${a.address} is not one of ${s.name}'s addresses`);
    address = a.address;
  }
  if (!address) return undefined;
  await vscode.env.clipboard.writeText(address);
  vscode.window.setStatusBarMessage(vscode.l10n.t('Copied {0}', address), 3000);
  return address;
}
