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
  const items = unboundContainers(s).map((k) => ({ label: k.name, description: k.bridgeOf ? vscode.l10n.t('{0} on {1}', String(k.bridgeInterface), k.bridgeOf) : vscode.l10n.t('not on the bridge'), detail: k.id.slice(0, 12) }));
  if (!items.length) {
    void vscode.window.showInformationMessage(vscode.l10n.t('{0} has no running container without an address.', s.name));
    return undefined;
  }
  return (await vscode.window.showQuickPick(items, { title: address ? vscode.l10n.t('Assign {0} on {1}', address, s.name) : vscode.l10n.t('Assign IPv6 on {0}', s.name), placeHolder: vscode.l10n.t('Which container?') }))?.label;
}

/** Only the free addresses without problems (route and proxy entry in place, no failing check); the first is active. */
async function pickAddress(s: HostSession, container: string): Promise<string | undefined> {
  const rows = addressNodes(s);
  const usable = assignableAddresses(rows);
  if (!usable.length) {
    const free = rows.filter((r) => !r.container).length;
    const why = free ? (free === 1 ? vscode.l10n.t('its 1 free address has problems (route or proxy entry missing)') : vscode.l10n.t('its {0} free addresses have problems (route or proxy entry missing)', free)) : vscode.l10n.t('every address is bound');
    const repair = free ? [vscode.l10n.t('Repair Host')] : [];
    void vscode.window.showWarningMessage(vscode.l10n.t('No address to assign to {0} on {1}: {2}.', container, s.name, why), ...repair).then((a) => a && vscode.commands.executeCommand('conohaIpv6.repairHost', { host: s.name }));
    return undefined;
  }
  const skipped = rows.filter((r) => !r.container).length - usable.length;
  const items = usable.map((n) => ({ label: n.address, description: vscode.l10n.t('free') }));
  const picked = await pickOne(
    items,
    { title: vscode.l10n.t('Assign IPv6 to {0} on {1}', container, s.name), placeholder: skipped ? vscode.l10n.t('Which address? (the first free one is selected; {0} with problems not offered)', skipped) : vscode.l10n.t('Which address? (the first free one is selected)') },
    items[0],
  );
  return picked?.label;
}

export async function assignAddress(svc: Services, arg: Arg): Promise<AssignResult | undefined> {
  const s = await pickSession(svc, arg);
  if (!s) return undefined;
  return guarded(
    svc,
    vscode.l10n.t('Assign IPv6 on {0}', s.name),
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
      const r = await withProgress(address ? vscode.l10n.t('Assigning {0} to {1}…', address, container) : vscode.l10n.t('Assigning an address to {0}…', container), () => assign(t, overridesOf(s.entry), container, address, s.observer));
      if (r.outcome) s.update(r.outcome.after);
      const failed = r.checks.filter((k) => !k.ok);
      const msg = r.changed ? vscode.l10n.t('{0} now has {1}.', r.container, r.address) : vscode.l10n.t('{0} already has {1}.', r.container, r.address);
      if (failed.length) void vscode.window.showWarningMessage(vscode.l10n.t('{0} But: {1}', msg, failed.map((k) => k.message).join('; ')), vscode.l10n.t('Show Log')).then((a) => a && svc.log.show(true));
      else void vscode.window.showInformationMessage(msg);
      return r;
    },
    s,
  );
}
