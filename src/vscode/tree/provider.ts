// The "Hosts" view. Expanding a host that is not connected connects it (prompts included).
import * as vscode from 'vscode';
import { HostManager } from '../hosts';
import { hostChildren, sectionChildren } from './children';
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

  async getChildren(node?: TreeNode): Promise<TreeNode[]> {
    if (!node) return this.hosts.all().map((session) => ({ kind: 'host', session }));
    if (node.kind === 'host') {
      if (node.session.state === 'disconnected') {
        await node.session.connect().catch(() => undefined); // the row shows the error
      }
      return hostChildren(node.session);
    }
    if (node.kind === 'section') return sectionChildren(node);
    return [];
  }

  dispose(): void {
    this.sub.dispose();
    this.emitter.dispose();
  }
}
