// The error contract's actions (src/core/errors.ts) as VS Code buttons: each runs the command that carries
// it out, on the same host, with what the action names (an address, a container). The CLI renders the same
// actions as command lines.
import * as vscode from 'vscode';
import type { Action } from '../core/errors';

export interface ActionButton {
  label: string;
  run: () => Thenable<unknown>;
}

const SETTING_LABEL: Record<Extract<Action, { id: 'set-host-setting' }>['setting'], () => string> = {
  interface: () => vscode.l10n.t('Set the uplink (interface)'),
  gateway: () => vscode.l10n.t('Set the gateway'),
  bridge: () => vscode.l10n.t('Set the bridge'),
  addresses: () => vscode.l10n.t('Set the addresses'),
  identity: () => vscode.l10n.t('Set the key file'),
};

export interface ButtonOptions {
  /** runs the action `retry` */
  again?: () => Thenable<unknown>;
  /** how many buttons (a notification shows a few; the first ones matter most); default 2 */
  max?: number;
  /** the prepare action as "Repair Host" (for failing checks: the plan is shown and confirmed) */
  repair?: boolean;
}

/** The button for an action on host `host`; undefined for actions with nothing to run here. */
export function actionButton(x: Action, host: string, o: ButtonOptions = {}): ActionButton | undefined {
  const run = (command: string, args: object = {}) => () => vscode.commands.executeCommand(command, { host, ...args });
  switch (x.id) {
    case 'prepare':
      return o.repair ? { label: vscode.l10n.t('Repair Host'), run: run('conohaIpv6.repairHost') } : { label: vscode.l10n.t('Prepare Host'), run: run('conohaIpv6.prepareHost') };
    case 'unprepare':
      return { label: x.releaseAll ? vscode.l10n.t('Undo Host Setup (release all)') : vscode.l10n.t('Undo Host Setup'), run: run('conohaIpv6.undoHostSetup', { releaseAll: !!x.releaseAll }) };
    case 'assign':
      return { label: x.address ? vscode.l10n.t('Assign {0} to {1}', x.address, x.container) : vscode.l10n.t('Assign an address to {0}', x.container), run: run('conohaIpv6.assignAddress', { container: x.container, address: x.address }) };
    case 'release':
      return { label: vscode.l10n.t('Release {0}', x.address), run: run('conohaIpv6.releaseAddress', { address: x.address }) };
    case 'verify':
      return { label: vscode.l10n.t('Verify'), run: run('conohaIpv6.verify') };
    case 'trust-host-key':
      // connecting again shows the key's fingerprint and asks whether to trust it
      return { label: vscode.l10n.t('Connect'), run: run('conohaIpv6.connect') };
    case 'set-host-setting':
      // Edit Host for this host, on that field (a prompt, validated like the setting is)
      return { label: SETTING_LABEL[x.setting](), run: run('conohaIpv6.editHost', { field: x.setting }) };
    case 'start-container':
      return undefined; // on the host (docker start): the message says so
    case 'retry':
      return o.again ? { label: vscode.l10n.t('Retry'), run: o.again } : undefined;
  }
}

/** The distinct buttons for a list of actions. */
export function actionButtons(xs: Action[], host: string, o: ButtonOptions = {}): ActionButton[] {
  const max = o.max ?? 2;
  const seen = new Set<string>();
  const out: ActionButton[] = [];
  for (const x of xs) {
    const b = actionButton(x, host, o);
    if (b && !seen.has(b.label) && out.length < max) {
      seen.add(b.label);
      out.push(b);
    }
  }
  return out;
}

/** A notification whose buttons carry out the actions, with Show Log last. */
export function notifyWithActions(kind: 'error' | 'warning', text: string, buttons: ActionButton[], showLog: () => void): void {
  const show = kind === 'error' ? vscode.window.showErrorMessage : vscode.window.showWarningMessage;
  void show(text, ...buttons.map((b) => b.label), vscode.l10n.t('Show Log')).then((picked) => {
    if (picked === vscode.l10n.t('Show Log')) showLog();
    else buttons.find((b) => b.label === picked)?.run();
  });
}
