// How each node looks: label, description, ThemeIcon, tooltip and the contextValue the menus match.
import * as vscode from 'vscode';
import { Check } from '../../core/checks';
import { formatHostSpec } from '../../core/hostSpec';
import { LABELS, PATHS } from '../../core/hostContract';
import { specOf } from '../settings';
import { HostSession } from '../session';
import { addressNodes, allContainers, hostChecks, problemsOf, unboundContainers } from './children';
import { ContextValue } from './contextValues';
import { NodeOf, TreeNode } from './nodes';

const C = vscode.TreeItemCollapsibleState;
const icon = (id: string, color?: string) => new vscode.ThemeIcon(id, color ? new vscode.ThemeColor(color) : undefined);
const PASS = 'testing.iconPassed';
const FAIL = 'testing.iconFailed';
const WARN = 'list.warningForeground';

/** "1 problem", "2 problems" */
export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** What the host row says about the host: connecting, error, ready (every check passes), N problems. */
export function hostStateText(session: HostSession): string {
  switch (session.state) {
    case 'disconnected':
      return 'not connected';
    case 'connecting':
      return 'connecting…';
    case 'error':
      return 'error';
    case 'connected': {
      if (!session.config) return 'addresses unknown';
      const n = problemsOf(session).length;
      return n ? plural(n, 'problem') : 'ready';
    }
  }
}

function hostItem({ session }: NodeOf<'host'>): vscode.TreeItem {
  const e = session.entry;
  const connected = session.state === 'connected';
  const item = new vscode.TreeItem(e.name, connected ? C.Expanded : C.Collapsed);
  // the id carries the state, so the row opens when it connects and closes when it disconnects
  item.id = `host:${e.name}:${connected ? 'on' : 'off'}`;
  const where = formatHostSpec(specOf(e));
  const problems = connected ? problemsOf(session) : [];
  const ready = connected && !!session.config && problems.length === 0;
  item.description = `${where} · ${hostStateText(session)}`;
  item.iconPath =
    session.state === 'connecting'
      ? icon('loading~spin')
      : session.state === 'error'
        ? icon('error', FAIL)
        : ready
          ? icon('vm-active', PASS)
          : connected
            ? icon('warning', WARN)
            : icon('vm-outline');
  const repair = problems.some((k) => k.fix?.id === 'prepare');
  item.contextValue = (connected ? (repair ? 'host.connected.repair' : 'host.connected') : 'host.disconnected') satisfies ContextValue;
  // host text (hostname, versions, errors that quote the host) goes in as text: no links, images or icons from it
  item.tooltip = md(
    [['**', e.name, '** '], ['', where]],
    session.snapshot ? [['', `${session.snapshot.hostname}, docker ${session.snapshot.docker.version || 'absent'}`]] : [],
    session.error ? [['$(error) ', session.error]] : [],
    ...problems.slice(0, 8).map((k): Line => [['$(warning) ', k.message]]),
    problems.length > 8 ? [[`and ${problems.length - 8} more`]] : [],
  );
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
    // counts exactly the rows it shows
    item.description = failed ? `${failed} of ${plural(checks.length, 'check')} fail${failed === 1 ? 's' : ''}` : checks.length === 1 ? '1 check passes' : `all ${checks.length} checks pass`;
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
  if (node.section === 'all') {
    const all = allContainers(session);
    const item = new vscode.TreeItem('All containers', all.length ? C.Expanded : C.None);
    item.id = `${session.name}:all`;
    item.description = `${all.length} · ${all.filter((k) => k.address).length} with an address`;
    item.iconPath = icon('layers');
    item.contextValue = 'section.all' satisfies ContextValue;
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

/** A failing check's few words for a row's description; the whole message is in the tooltip. */
function shortText(k: Check): string {
  if (k.scope === 'address') return k.kind === 'route' ? 'no route' : 'no proxy entry';
  if (k.scope === 'host') return k.kind;
  const words: Record<typeof k.kind, string> = {
    container: 'container gone or stopped',
    network: 'network gone or not advertised',
    address: 'not in the container',
    'default-route': 'no default route in it',
    ping: 'no ping',
    outbound: 'no outbound connection',
    inbound: 'no inbound connection',
  };
  return words[k.kind];
}

const repairs = (k: Check) => !k.ok && k.fix?.id === 'prepare';

function checkItem({ check }: NodeOf<'check'>): vscode.TreeItem {
  const item = new vscode.TreeItem(check.id, C.None);
  item.description = check.message;
  item.tooltip = md([['', check.message]], repairs(check) ? [['Repair Host fixes this (the button on the row, or right-click)']] : []);
  item.iconPath = check.ok ? icon('pass', PASS) : icon('error', FAIL);
  item.contextValue = (check.ok ? 'check.ok' : repairs(check) ? 'check.fail.repair' : 'check.fail') satisfies ContextValue;
  return item;
}

function addressItem(n: NodeOf<'address'>): vscode.TreeItem {
  const item = new vscode.TreeItem(n.address, C.None);
  item.id = `${n.session.name}:address:${n.address}`;
  // the failing checks about this address and its binding (route, proxy entry, container, ping, ...)
  const problems = n.problems.length ? n.problems.map(shortText).join(', ') : [!n.routed && 'no route', !n.proxied && 'no proxy entry'].filter(Boolean).join(', ');
  const on = n.network && n.bridge !== n.session.config?.bridge ? ` on ${n.network}` : '';
  item.description = `${n.container ? `→ ${n.container}${n.recorded ? '' : ' (not recorded)'}${on}${n.source === 'label' ? ' (label)' : ''}` : 'free'}${problems ? ` · ${problems}` : ''}`;
  item.iconPath = problems ? icon('warning', WARN) : n.container ? icon('link', PASS) : icon('circle-large-outline');
  const repair = n.problems.some(repairs);
  item.contextValue = (n.container ? (repair ? 'address.bound.repair' : 'address.bound') : repair ? 'address.free.repair' : 'address.free') satisfies ContextValue;
  item.tooltip = md(
    [['**', n.address, '**']],
    n.container ? [['bound to container **', n.container, `**${n.recorded ? '' : ` (found in the container, not in ${PATHS.bindings})`}`]] : [['free: right-click → Assign IPv6 to Container']],
    n.network ? [['network ', n.network, ` (bridge ${n.bridge})`], n.source === 'label' ? ['; from the container\'s label ', LABELS.address, ' (the agent releases it when the container is removed)'] : ['; by assign']] : [],
    [[`route to the bridge: ${n.routed ? 'yes' : 'no'} · proxy NDP entry: ${n.proxied ? 'yes' : 'no'}`]],
    ...n.problems.map((k): Line => [['$(error) ', k.message]]),
    repair ? [['Repair Host fixes what Prepare Host sets up (right-click)']] : [],
  );
  return item;
}

function containerItem(n: NodeOf<'container'>): vscode.TreeItem {
  const { container } = n;
  const item = new vscode.TreeItem(container.name, C.None);
  const where = container.attachments.length
    ? container.attachments.map((a) => `${a.network}${a.refused ? ' (no address possible)' : ''}`).join(', ')
    : 'no network';
  const id = `${container.name} (${container.id.slice(0, 12)}), ${container.state}`;
  if (n.group === 'free') {
    // Containers without an address: running, no address, where Assign starts
    item.description = where;
    item.iconPath = icon('package');
    item.contextValue = 'container.free' satisfies ContextValue;
    item.tooltip = `${id}: right-click → Assign IPv6 to Container`;
    return item;
  }
  // All containers: its address or "no address", and its state when it is not running
  const label = container.labels.address ? ` · label ${container.labels.address}` : container.labels.badAddress !== undefined ? ' · bad label' : '';
  item.description = `${n.address ?? 'no address'}${n.source === 'label' ? ' (label)' : ''}${container.running ? '' : ` · ${container.state}`} · ${where}${label}`;
  item.iconPath = icon('package', n.address ? PASS : container.running ? undefined : 'disabledForeground');
  item.contextValue = (n.address ? 'container.bound' : container.running ? 'container.free' : 'container.stopped') satisfies ContextValue;
  item.tooltip = n.address
    ? `${id}, holds ${n.address}: right-click → Copy Address or Release Address`
    : container.running
      ? `${id}, ${where}: right-click → Assign IPv6 to Container`
      : `${id}: not running, no address`;
  return item;
}

function projectItem(n: NodeOf<'project'>): vscode.TreeItem {
  const item = new vscode.TreeItem(n.project, C.Expanded);
  item.id = `${n.session.name}:project:${n.project}`;
  const bound = new Set(n.session.snapshot?.bindings.map((b) => b.container) ?? []);
  item.description = `compose project · ${plural(n.containers.length, 'container')} · ${n.containers.filter((k) => bound.has(k.name)).length} with an address`;
  item.iconPath = icon('symbol-namespace');
  item.contextValue = 'project' satisfies ContextValue;
  item.tooltip = md([['docker compose project **', n.project, '**']], [['right-click a container → Compose Snippet for the labels that give its service an address']]);
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
    case 'project':
      return projectItem(node);
    case 'message':
      return messageItem(node);
  }
}
