// How each node looks: label, description, ThemeIcon, tooltip and the contextValue the menus match.
import * as vscode from 'vscode';
import { formatHostSpec } from '../../core/hostSpec';
import { PATHS } from '../../core/hostContract';
import { specOf } from '../settings';
import { addressNodes, hostChecks, unboundContainers } from './children';
import { ContextValue } from './contextValues';
import { NodeOf, TreeNode } from './nodes';

const C = vscode.TreeItemCollapsibleState;
const icon = (id: string, color?: string) => new vscode.ThemeIcon(id, color ? new vscode.ThemeColor(color) : undefined);
const PASS = 'testing.iconPassed';
const FAIL = 'testing.iconFailed';

function hostItem({ session }: NodeOf<'host'>): vscode.TreeItem {
  const e = session.entry;
  const connected = session.state === 'connected';
  const item = new vscode.TreeItem(e.name, connected ? C.Expanded : C.Collapsed);
  // the id carries the state, so the row opens when it connects and closes when it disconnects
  item.id = `host:${e.name}:${connected ? 'on' : 'off'}`;
  const where = formatHostSpec(specOf(e));
  const failed = hostChecks(session).filter((k) => !k.ok).length;
  const stateText = {
    disconnected: 'not connected',
    connecting: 'connecting…',
    connected: session.config ? (failed ? `${failed} setup check(s) fail` : 'ready') : 'connected',
    error: 'error',
  }[session.state];
  item.description = `${where} · ${stateText}`;
  item.iconPath =
    session.state === 'connecting' ? icon('loading~spin') : session.state === 'error' ? icon('error', FAIL) : connected ? icon('vm-active', failed ? undefined : PASS) : icon('vm-outline');
  item.contextValue = (connected ? 'host.connected' : 'host.disconnected') satisfies ContextValue;
  // host text (hostname, versions, errors that quote the host) goes in as text: no links, images or icons from it
  item.tooltip = md([['**', e.name, '** '], ['', where]], session.snapshot ? [['', `${session.snapshot.hostname}, docker ${session.snapshot.docker.version || 'absent'}`]] : [], session.error ? [['$(error) ', session.error]] : []);
  return item;
}

/** A paragraph: [markdown, text, markdown] parts; the text parts (from the host) are escaped, icons included. */
type Line = [string, string?, string?][];
function md(...paragraphs: Line[]): vscode.MarkdownString {
  const m = new vscode.MarkdownString('', true);
  paragraphs
    .filter((p) => p.length)
    .forEach((p, i) => {
      if (i) m.appendMarkdown('\n\n');
      for (const [before, text, after] of p) {
        m.appendMarkdown(before);
        if (text !== undefined) m.appendText(text);
        if (after !== undefined) m.appendMarkdown(after);
      }
    });
  return m;
}

function sectionItem(node: NodeOf<'section'>): vscode.TreeItem {
  const { session } = node;
  if (node.section === 'checks') {
    const checks = hostChecks(session);
    const failed = checks.filter((k) => !k.ok).length;
    const item = new vscode.TreeItem('Host setup', failed ? C.Expanded : C.Collapsed);
    item.id = `${session.name}:checks`;
    item.description = failed ? `${failed} of ${checks.length} fail: Prepare Host` : `${checks.length} checks pass`;
    item.iconPath = icon('checklist', failed ? FAIL : PASS);
    item.contextValue = 'section.checks' satisfies ContextValue;
    return item;
  }
  if (node.section === 'addresses') {
    const nodes = addressNodes(session);
    const item = new vscode.TreeItem('Addresses', C.Expanded);
    item.id = `${session.name}:addresses`;
    item.description = `${session.config?.prefix ?? `${nodes.length} addresses`} · ${nodes.filter((n) => n.container).length} bound`;
    item.iconPath = icon('globe');
    item.contextValue = 'section.addresses' satisfies ContextValue;
    return item;
  }
  const n = unboundContainers(session).length;
  const item = new vscode.TreeItem('Containers without an address', n ? C.Expanded : C.None);
  item.id = `${session.name}:containers`;
  item.description = `${n}`;
  item.iconPath = icon('package');
  item.contextValue = 'section.containers' satisfies ContextValue;
  return item;
}

function checkItem({ check }: NodeOf<'check'>): vscode.TreeItem {
  const item = new vscode.TreeItem(check.id, C.None);
  item.description = check.message;
  item.tooltip = check.message;
  item.iconPath = check.ok ? icon('pass', PASS) : icon('error', FAIL);
  item.contextValue = (check.ok ? 'check.ok' : 'check.fail') satisfies ContextValue;
  return item;
}

function addressItem(n: NodeOf<'address'>): vscode.TreeItem {
  const item = new vscode.TreeItem(n.address, C.None);
  item.id = `${n.session.name}:address:${n.address}`;
  const missing = [!n.routed && 'no route', !n.proxied && 'no proxy entry'].filter(Boolean).join(', ');
  item.description = `${n.container ? `→ ${n.container}${n.recorded ? '' : ' (not recorded)'}` : 'free'}${missing ? ` · ${missing}` : ''}`;
  item.iconPath = n.problems.length || missing ? icon('warning', 'list.warningForeground') : n.container ? icon('link', PASS) : icon('circle-large-outline');
  item.contextValue = (n.container ? 'address.bound' : 'address.free') satisfies ContextValue;
  item.tooltip = md(
    [['**', n.address, '**']],
    n.container ? [['bound to container **', n.container, `**${n.recorded ? '' : ` (found in the container, not in ${PATHS.bindings})`}`]] : [['free: right-click → Assign IPv6 to Container']],
    [[`route to the bridge: ${n.routed ? 'yes' : 'no'} · proxy NDP entry: ${n.proxied ? 'yes' : 'no'}`]],
    ...n.problems.map((k): Line => [['$(error) ', k.message]]),
  );
  return item;
}

function containerItem({ container }: NodeOf<'container'>): vscode.TreeItem {
  const item = new vscode.TreeItem(container.name, C.None);
  item.description = container.bridgeOf ? `${container.bridgeInterface} on ${container.bridgeOf}` : `not on a bridge (${container.networks.join(', ') || 'no network'})`;
  item.iconPath = icon('package');
  item.contextValue = 'container.free' satisfies ContextValue;
  item.tooltip = `${container.name} (${container.id.slice(0, 12)}), ${container.state}: right-click → Assign IPv6 to Container`;
  return item;
}

function messageItem(n: NodeOf<'message'>): vscode.TreeItem {
  const item = new vscode.TreeItem(n.text, C.None);
  item.iconPath = n.error ? icon('error', FAIL) : icon('info');
  item.tooltip = n.text;
  item.contextValue = 'message' satisfies ContextValue;
  return item;
}

export function toTreeItem(node: TreeNode): vscode.TreeItem {
  switch (node.kind) {
    case 'host':
      return hostItem(node);
    case 'section':
      return sectionItem(node);
    case 'check':
      return checkItem(node);
    case 'address':
      return addressItem(node);
    case 'container':
      return containerItem(node);
    case 'message':
      return messageItem(node);
  }
}
