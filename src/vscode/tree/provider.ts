// The "Hosts" view. Expanding a host that is not connected connects it (prompts included). Each host's children
// come at once ("connecting…" while it connects; the row refreshes when it is done), so a host that does not answer
// never holds up another's.
import * as vscode from 'vscode';
import { reportFailure } from '../commands/common';
import { HostManager } from '../hosts';
import { hostChildren, projectChildren, sectionChildren } from './children';
import { toTreeItem } from './items';
import { TreeNode } from './nodes';

export class HostsTreeProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly sub: vscode.Disposable;

  constructor(private readonly hosts: HostManager) {
    this.sub = hosts.onDidChange(() => this.emitter.fire(undefined));
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    return toTreeItem(node);
  }

  getChildren(node?: TreeNode): TreeNode[] {
    if (!node) return this.hosts.all().map((session) => ({ kind: 'host', session }));
    if (node.kind === 'host') {
      const s = node.session;
      if (s.state === 'disconnected') {
        // not awaited: the connect refreshes the tree when it ends; a failure is logged and shown with Retry and Edit Host
        s.connect().catch((e: unknown) => reportFailure(this.hosts.log, vscode.l10n.t('Connect to {0}', s.name), e, s));
      }
      return hostChildren(s);
    }
    if (node.kind === 'section') return sectionChildren(node);
    if (node.kind === 'project') return projectChildren(node);
    return [];
  }

  dispose(): void {
    this.sub.dispose();
    this.emitter.dispose();
  }
}
