// VS Code entry point: the "Hosts" view of the ConoHa IPv6 activity-bar container and its commands.
// Activation is lazy (the view and the commands imply it); ssh2 is first required on the first connection.
import * as vscode from 'vscode';
import { installL10n } from '../core/l10n';
import { registerCommands } from './commands/registerCommands';
import { HostManager } from './hosts';
import { StatusBar, createStatusBar } from './statusBar';
import { HostsTreeProvider } from './tree/provider';

/** What activate() returns: for tests and other extensions. */
export interface ConohaIpv6Api {
  hosts: HostManager;
  tree: HostsTreeProvider;
  /** the status bar item's state */
  statusBar: StatusBar;
  /** ms spent in activate() */
  activationMs: number;
}

export function activate(ctx: vscode.ExtensionContext): ConohaIpv6Api {
  const t0 = Date.now();
  installL10n(vscode.l10n); // core's check messages and plan steps in the display language
  const log = vscode.window.createOutputChannel('ConoHa IPv6', { log: true });
  const hosts = new HostManager(ctx, log);
  const tree = new HostsTreeProvider(hosts);
  const view = vscode.window.createTreeView('conohaIpv6.hosts', { treeDataProvider: tree });
  // host pickers preselect the host selected in the tree
  const selectedHost = () => view.selection[0]?.session.name;
  const statusBar = createStatusBar(hosts);
  ctx.subscriptions.push(log, hosts, tree, view, statusBar, ...registerCommands({ hosts, log, selectedHost }));
  const activationMs = Date.now() - t0;
  log.info(`activated in ${activationMs} ms (${hosts.all().length} host(s) configured)`);
  return { hosts, tree, statusBar, activationMs };
}

export function deactivate(): void {}
