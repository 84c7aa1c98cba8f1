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
      return vscode.l10n.t('not connected');
    case 'connecting':
      return vscode.l10n.t('connecting…');
    case 'error':
      return vscode.l10n.t('error');
    case 'connected': {
      if (!session.config) return vscode.l10n.t('addresses unknown');
      const n = problemsOf(session).length;
      return n ? (n === 1 ? vscode.l10n.t('1 problem') : vscode.l10n.t('{0} problems', n)) : vscode.l10n.t('ready');
    }
  }
}

function hostItem({ session }: NodeOf<'host'>): vscode.TreeItem {
  const e = session.entry;
  const connected = session.state === 'connected';
  const item = new vscode.TreeItem(e.name, connected ? C.Expanded : C.Collapsed);
  // the id carries the state, so the row opens when it connects and closes when it disconnects
  item.id = `host:${e.name}:${connected ? 'on' : 'off'}`;
  // a host behind a bastion says so: its address alone is one the user's machine cannot reach
  const where = e.proxyJump ? vscode.l10n.t('{0} via {1}', formatHostSpec(specOf(e)), e.proxyJump) : formatHostSpec(specOf(e));
  const problems = connected ? problemsOf(session) : [];
  const ready = connected && !!session.config && problems.length === 0;
  item.description = `${where}${connected && session.mode ? ` · ${vscode.l10n.t('{0} mode', session.mode)}` : ''} · ${hostStateText(session)}`;
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
    session.snapshot ? [['', `${session.snapshot.hostname}, docker ${session.snapshot.docker.version || vscode.l10n.t('absent')}`], [session.readAt ? vscode.l10n.t(', read at {0}', new Date(session.readAt).toTimeString().slice(0, 8)) : '']] : [],
    session.error ? [['$(error) ', session.error]] : [],
    ...problems.slice(0, 8).map((k): Line => [['$(warning) ', k.message]]),
    problems.length > 8 ? [[vscode.l10n.t('and {0} more', problems.length - 8)]] : [],
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
    const item = new vscode.TreeItem(vscode.l10n.t('Host setup'), failed ? C.Expanded : C.Collapsed);
    item.id = `${session.name}:checks`;
    // counts exactly the rows it shows
    item.description = failed ? (checks.length === 1 ? vscode.l10n.t('1 of 1 check fails') : failed === 1 ? vscode.l10n.t('1 of {0} checks fails', checks.length) : vscode.l10n.t('{0} of {1} checks fail', failed, checks.length)) : checks.length === 1 ? vscode.l10n.t('1 check passes') : vscode.l10n.t('all {0} checks pass', checks.length);
    item.iconPath = icon('checklist', failed ? FAIL : PASS);
    item.contextValue = 'section.checks' satisfies ContextValue;
    return item;
  }
  if (node.section === 'addresses') {
    const nodes = addressNodes(session);
    const item = new vscode.TreeItem(vscode.l10n.t('Addresses'), C.Expanded);
    item.id = `${session.name}:addresses`;
    item.description = vscode.l10n.t('{0} · {1} bound', session.config?.prefix ?? vscode.l10n.t('{0} addresses', nodes.length), nodes.filter((n) => n.container).length);
    item.iconPath = icon('globe');
    item.contextValue = 'section.addresses' satisfies ContextValue;
    return item;
  }
  if (node.section === 'all') {
    const all = allContainers(session);
    const item = new vscode.TreeItem(vscode.l10n.t('All containers'), all.length ? C.Expanded : C.None);
    item.id = `${session.name}:all`;
    item.description = vscode.l10n.t('{0} · {1} with an address', all.length, all.filter((k) => k.address).length);
    item.iconPath = icon('layers');
    item.contextValue = 'section.all' satisfies ContextValue;
    return item;
  }
  const n = unboundContainers(session).length;
  const item = new vscode.TreeItem(vscode.l10n.t('Containers without an address'), n ? C.Expanded : C.None);
  item.id = `${session.name}:containers`;
  item.description = `${n}`;
  item.iconPath = icon('package');
  item.contextValue = 'section.containers' satisfies ContextValue;
  return item;
}

/** A failing check's few words for a row's description; the whole message is in the tooltip. */
function shortText(k: Check): string {
  if (k.scope === 'address') return k.kind === 'route' ? vscode.l10n.t('no route') : vscode.l10n.t('no proxy entry');
  if (k.scope === 'host') return k.kind;
  const words: Record<typeof k.kind, string> = {
    container: vscode.l10n.t('container gone or stopped'),
    network: vscode.l10n.t('network gone or not advertised'),
    address: vscode.l10n.t('not in the container'),
    'default-route': vscode.l10n.t('no default route in it'),
    ping: vscode.l10n.t('no ping'),
    outbound: vscode.l10n.t('no outbound connection'),
    inbound: vscode.l10n.t('no inbound connection'),
  };
  return words[k.kind];
}

const repairs = (k: Check) => !k.ok && k.fix?.id === 'prepare';

function checkItem({ check }: NodeOf<'check'>): vscode.TreeItem {
  const item = new vscode.TreeItem(check.id, C.None);
  item.description = check.message;
  item.tooltip = md([['', check.message]], repairs(check) ? [[vscode.l10n.t('Repair Host fixes this (the button on the row, or right-click)')]] : []);
  item.iconPath = check.ok ? icon('pass', PASS) : icon('error', FAIL);
  item.contextValue = (check.ok ? 'check.ok' : repairs(check) ? 'check.fail.repair' : 'check.fail') satisfies ContextValue;
  return item;
}

function addressItem(n: NodeOf<'address'>): vscode.TreeItem {
  const item = new vscode.TreeItem(n.address, C.None);
  item.id = `${n.session.name}:address:${n.address}`;
  // the failing checks about this address and its binding (route, proxy entry, container, ping, ...)
  const own = n.problems.length ? n.problems.map(shortText).join(', ') : [!n.routed && vscode.l10n.t('no route'), !n.proxied && vscode.l10n.t('no proxy entry')].filter(Boolean).join(', ');
  // a held address whose own checks pass still gets no packets when the host drops them (proxy NDP off, ...)
  const problems = [own, n.hostProblems.length ? vscode.l10n.t('host: {0}', n.hostProblems.map(shortText).join(', ')) : ''].filter(Boolean).join(' · ');
  const on = n.network && n.bridge !== n.session.config?.bridge ? vscode.l10n.t(' on {0}', n.network) : '';
  item.description = `${n.container ? `→ ${n.container}${n.recorded ? '' : vscode.l10n.t(' (not recorded)')}${on}${n.source === 'label' ? vscode.l10n.t(' (label)') : ''}` : vscode.l10n.t('free')}${problems ? ` · ${problems}` : ''}`;
  item.iconPath = problems ? icon('warning', WARN) : n.container ? icon('link', PASS) : icon('circle-large-outline');
  const repair = n.problems.some(repairs) || n.hostProblems.some(repairs);
  item.contextValue = (n.container ? (repair ? 'address.bound.repair' : 'address.bound') : repair ? 'address.free.repair' : 'address.free') satisfies ContextValue;
  item.tooltip = md(
    [['**', n.address, '**']],
    n.container ? [[vscode.l10n.t('bound to container') + ' **', n.container, `**${n.recorded ? '' : vscode.l10n.t(' (found in the container, not in {0})', PATHS.bindings)}`]] : [[vscode.l10n.t('free: right-click → Assign IPv6 to Container')]],
    n.network ? [[vscode.l10n.t('network') + ' ', n.network, ` (${vscode.l10n.t('bridge {0}', n.bridge)})`], n.source === 'label' ? [vscode.l10n.t("; from the container's label") + ' ', LABELS.address, vscode.l10n.t(' (the agent releases it when the container is removed)')] : [vscode.l10n.t('; by assign')]] : [],
    [[vscode.l10n.t('route to the bridge: {0} · proxy NDP entry: {1}', n.routed ? vscode.l10n.t('yes') : vscode.l10n.t('no'), n.proxied ? vscode.l10n.t('yes') : vscode.l10n.t('no'))]],
    ...n.problems.map((k): Line => [['$(error) ', k.message]]),
    ...n.hostProblems.map((k): Line => [['$(error) ', vscode.l10n.t('the host: {0}', k.message)]]),
    repair ? [[vscode.l10n.t('Repair Host fixes what Prepare Host sets up (right-click)')]] : [],
  );
  return item;
}

function containerItem(n: NodeOf<'container'>): vscode.TreeItem {
  const { container } = n;
  const item = new vscode.TreeItem(container.name, C.None);
  const where = container.attachments.length
    ? container.attachments.map((a) => `${a.network}${a.refused ? vscode.l10n.t(' (no address possible)') : ''}`).join(', ')
    : vscode.l10n.t('no network');
  const id = `${container.name} (${container.id.slice(0, 12)}), ${container.state}`;
  if (n.group === 'free') {
    // Containers without an address: running, no address, where Assign starts
    item.description = where;
    item.iconPath = icon('package');
    item.contextValue = 'container.free' satisfies ContextValue;
    item.tooltip = vscode.l10n.t('{0}: right-click → Assign IPv6 to Container', id);
    return item;
  }
  // All containers: its address or "no address", and its state when it is not running
  const label = container.labels.address ? vscode.l10n.t(' · label {0}', container.labels.address) : container.labels.badAddress !== undefined ? vscode.l10n.t(' · bad label') : '';
  item.description = `${n.address ?? vscode.l10n.t('no address')}${n.source === 'label' ? vscode.l10n.t(' (label)') : ''}${container.running ? '' : ` · ${container.state}`} · ${where}${label}`;
  item.iconPath = icon('package', n.address ? PASS : container.running ? undefined : 'disabledForeground');
  item.contextValue = (n.address ? 'container.bound' : container.running ? 'container.free' : 'container.stopped') satisfies ContextValue;
  item.tooltip = n.address
    ? vscode.l10n.t('{0}, holds {1}: right-click → Copy Address or Release Address', id, n.address)
    : container.running
      ? vscode.l10n.t('{0}, {1}: right-click → Assign IPv6 to Container', id, where)
      : vscode.l10n.t('{0}: not running, no address', id);
  return item;
}

function projectItem(n: NodeOf<'project'>): vscode.TreeItem {
  const item = new vscode.TreeItem(n.project, C.Expanded);
  item.id = `${n.session.name}:project:${n.project}`;
  const bound = new Set(n.session.snapshot?.bindings.map((b) => b.container) ?? []);
  const withAddress = n.containers.filter((k) => bound.has(k.name)).length;
  item.description = n.containers.length === 1 ? vscode.l10n.t('compose project · 1 container · {0} with an address', withAddress) : vscode.l10n.t('compose project · {0} containers · {1} with an address', n.containers.length, withAddress);
  item.iconPath = icon('symbol-namespace');
  item.contextValue = 'project' satisfies ContextValue;
  item.tooltip = md([[vscode.l10n.t('docker compose project') + ' **', n.project, '**']], [[vscode.l10n.t('right-click a container → Compose Snippet for the labels that give its service an address')]]);
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
