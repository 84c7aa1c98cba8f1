// The status bar item: the hosts of this window at a glance (addresses bound, problems, unreachable hosts); a click
// opens the Hosts view. Hidden while no host is configured.
import * as vscode from 'vscode';
import { addressRows } from '../core/addressRows';
import { HostManager } from './hosts';
import { HostSession } from './session';
import { HostFacts, StatusSummary, statusSummary } from './statusSummary';
import { problemsOf } from './tree/children';

export function factsOf(s: HostSession): HostFacts {
  const rows = s.state === 'connected' && s.snapshot && s.config ? addressRows(s.snapshot, s.config) : undefined;
  return {
    name: s.name,
    state: s.state,
    bound: rows?.filter((r) => r.container).length,
    total: rows?.length,
    problems: s.state === 'connected' ? problemsOf(s).length : undefined,
    error: s.error,
    readAt: s.readAt,
  };
}

export interface StatusBar {
  dispose(): void;
  /** what the item shows now (undefined: hidden) */
  readonly current: StatusSummary | undefined;
}

export function createStatusBar(hosts: HostManager): StatusBar {
  const item = vscode.window.createStatusBarItem('conohaIpv6.status', vscode.StatusBarAlignment.Left, 50);
  item.name = 'ConoHa IPv6';
  item.command = 'conohaIpv6.hosts.focus';
  let current: StatusSummary | undefined;
  const render = () => {
    const sum = (current = statusSummary(hosts.all().map(factsOf), vscode.l10n));
    if (!sum) {
      item.hide();
      return;
    }
    item.text = sum.text;
    item.tooltip = sum.tooltip;
    item.backgroundColor = sum.severity ? new vscode.ThemeColor(`statusBarItem.${sum.severity}Background`) : undefined;
    item.accessibilityInformation = { label: `ConoHa IPv6: ${sum.tooltip.split('\n').slice(1).join('; ')}` };
    item.show();
  };
  render();
  const sub = hosts.onDidChange(render);
  const all = vscode.Disposable.from(sub, item);
  return {
    get current() {
      return current;
    },
    dispose: () => {
      all.dispose();
    },
  };
}
