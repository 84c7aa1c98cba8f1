// Assign IPv6 to Container: from a free address (pick a container), from a container (pick an address, the
// first free one preselected), or from the palette (pick both). Programmatic: { host, container, address }.
import * as vscode from 'vscode';
import { assign, AssignResult } from '../../host/modeOperations'; // radvd or docker mode
import { HostSession } from '../session';
import { addressNodes, unboundContainers } from '../tree/children';
import { isTreeNode } from '../tree/nodes';
import { overridesOf } from '../settings';
import { assignableAddresses } from '../pickers';
import { Arg, argsOf, connected, guarded, pickOne, pickSession, Services, withProgress } from './common';

async function pickContainer(s: HostSession, address?: string): Promise<string | undefined> {
  const items = unboundContainers(s).map((k) => ({ label: k.name, description: k.bridgeOf ? `${k.bridgeInterface} on ${k.bridgeOf}` : 'not on the bridge', detail: k.id.slice(0, 12) }));
  if (!items.length) {
    void vscode.window.showInformationMessage(`${s.name} has no running container without an address.`);
    return undefined;
  }
  return (await vscode.window.showQuickPick(items, { title: `Assign ${address ?? 'IPv6'} on ${s.name}`, placeHolder: 'Which container?' }))?.label;
}

/** Only the free addresses without problems (route and proxy entry in place, no failing check); the first is active. */
async function pickAddress(s: HostSession, container: string): Promise<string | undefined> {
  const rows = addressNodes(s);
  const usable = assignableAddresses(rows);
  if (!usable.length) {
    const free = rows.filter((r) => !r.container).length;
    const why = free ? `its ${free} free address${free === 1 ? ' has' : 'es have'} problems (route or proxy entry missing)` : 'every address is bound';
    const repair = free ? ['Repair Host'] : [];
    void vscode.window.showWarningMessage(`No address to assign to ${container} on ${s.name}: ${why}.`, ...repair).then((a) => a && vscode.commands.executeCommand('conohaIpv6.repairHost', { host: s.name }));
    return undefined;
  }
  const skipped = rows.filter((r) => !r.container).length - usable.length;
  const items = usable.map((n) => ({ label: n.address, description: 'free' }));
  const picked = await pickOne(
    items,
    { title: `Assign IPv6 to ${container} on ${s.name}`, placeholder: `Which address? (the first free one is selected${skipped ? `; ${skipped} with problems not offered` : ''})` },
    items[0],
  );
  return picked?.label;
}

export async function assignAddress(svc: Services, arg: Arg): Promise<AssignResult | undefined> {
  const s = await pickSession(svc, arg);
  if (!s) return undefined;
  return guarded(
    svc,
    `Assign IPv6 on ${s.name}`,
    async () => {
      const t = await connected(s);
      let { container, address } = argsOf(arg);
      if (isTreeNode(arg) && arg.kind === 'address') {
        address = arg.address; // right-click on a free address: which container?
        container = await pickContainer(s, address);
      } else if (isTreeNode(arg) && arg.kind === 'container') {
        container = arg.container.name; // right-click on a container: which address?
        address = await pickAddress(s, container);
        if (!address) return undefined;
      } else if (!container) {
        container = await pickContainer(s); // the palette: both
        if (container) address = await pickAddress(s, container);
        if (!address) return undefined;
      }
      if (!container) return undefined;
      const r = await withProgress(`Assigning ${address ?? 'an address'} to ${container}…`, () => assign(t, overridesOf(s.entry), container, address, s.observer));
      if (r.outcome) s.update(r.outcome.after);
      const failed = r.checks.filter((k) => !k.ok);
      const msg = r.changed ? `${r.container} now has ${r.address}.` : `${r.container} already has ${r.address}.`;
      if (failed.length) void vscode.window.showWarningMessage(`${msg} But: ${failed.map((k) => k.message).join('; ')}`, 'Show Log').then((a) => a && svc.log.show(true));
      else void vscode.window.showInformationMessage(msg);
      return r;
    },
    s,
  );
}
