// What every command shares: finding the host (a tree node, the arguments of a programmatic call, or a
// pick), progress notifications, and errors that say what happened with "Show Log" and "Retry".
import * as vscode from 'vscode';
import { formatHostSpec } from '../../core/hostSpec';
import { Civ6Error, StepFailedError, changedText } from '../../core/errors';
import { actionButtons, notifyWithActions } from '../actions';
import { HostManager } from '../hosts';
import { specOf } from '../settings';
import { preferredHost } from '../pickers';
import { HostSession, isConnectFailure } from '../session';
import { TreeNode, isTreeNode } from '../tree/nodes';

/** Arguments of a programmatic call: executeCommand('conohaIpv6.assignAddress', { host: 'vps1', container: 'web', confirm: false }) */
export interface CommandArgs {
  host?: string;
  container?: string;
  address?: string;
  /** false: do not ask before changing the host */
  confirm?: boolean;
  /** Undo Host Setup: release bound addresses first */
  releaseAll?: boolean;
  /** Edit Host: which setting (host, identity, name, interface, gateway, bridge, addresses), and its new value */
  field?: string;
  value?: string;
}

export interface Services {
  hosts: HostManager;
  log: vscode.LogOutputChannel;
  /** the name of the host whose row (or a row under it) is selected in the tree, if any */
  selectedHost?: () => string | undefined;
}

export type Arg = TreeNode | CommandArgs | undefined;

export function argsOf(arg: Arg): CommandArgs {
  return arg && !isTreeNode(arg) ? arg : {};
}

export async function pickSession(svc: Services, arg: Arg, filter: (s: HostSession) => boolean = () => true): Promise<HostSession | undefined> {
  if (isTreeNode(arg)) return arg.session;
  const name = argsOf(arg).host;
  if (name !== undefined) {
    const s = svc.hosts.get(name);
    if (!s) throw new Error(`there is no host named "${name}" in conohaIpv6.hosts`);
    return s;
  }
  const candidates = svc.hosts.all().filter(filter);
  if (candidates.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('No ConoHa host here yet: add one first.'), vscode.l10n.t('Add Host')).then((a) => a && vscode.commands.executeCommand('conohaIpv6.addHost'));
    return undefined;
  }
  if (candidates.length === 1) return candidates[0];
  const items = candidates.map((s) => ({ label: s.name, description: formatHostSpec(specOf(s.entry)), detail: s.state, session: s }));
  const preferred = preferredHost(candidates, svc.selectedHost?.());
  const picked = await pickOne(items, { title: vscode.l10n.t('ConoHa host'), placeholder: vscode.l10n.t('Which host?') }, items.find((i) => i.session === preferred));
  return picked?.session;
}

/** A quick pick of one item with `active` preselected (showQuickPick cannot preselect); undefined when dismissed. */
export function pickOne<T extends vscode.QuickPickItem>(items: T[], o: { title: string; placeholder: string }, active?: T): Promise<T | undefined> {
  const qp = vscode.window.createQuickPick<T>();
  qp.title = o.title;
  qp.placeholder = o.placeholder;
  qp.items = items;
  if (active) qp.activeItems = [active];
  return new Promise((resolve) => {
    qp.onDidAccept(() => {
      resolve(qp.selectedItems[0] ?? qp.activeItems[0]);
      qp.hide();
    });
    qp.onDidHide(() => {
      resolve(undefined);
      qp.dispose();
    });
    qp.show();
  });
}

/** The session's transport, with a "Connecting…" notification only when it is not connected yet. */
export async function connected(s: HostSession) {
  return s.state === 'connected' ? s.use() : withProgress(vscode.l10n.t('Connecting to {0}…', s.name), () => s.use());
}

export function withProgress<T>(title: string, task: () => Promise<T>): Thenable<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: false }, task);
}

/**
 * Runs a command body; an error becomes a notification whose buttons carry out what the error says to do (Prepare
 * Host, Release, Retry...), with Show Log. It is rethrown for programmatic callers, so tests and other extensions
 * see it.
 */
export async function guarded<T>(svc: Services, what: string, body: () => Thenable<T>, session?: HostSession): Promise<T> {
  try {
    return await body();
  } catch (e) {
    // a failed step brings back the host as it left it: the tree shows that, not the state before
    if (e instanceof StepFailedError && e.after) session?.update(e.after);
    reportFailure(svc.log, what, e, session, () => guarded(svc, what, body, session));
    throw e;
  }
}

const reported = new WeakSet();

/**
 * Logs a failure and shows it, once each (one connect failure awaited by the tree and a command is one notification), with
 * the buttons its actions name, Retry, and for a failed connect Edit Host; Show Log last.
 */
export function reportFailure(log: vscode.LogOutputChannel, what: string, e: unknown, session?: HostSession, again?: () => Thenable<unknown>): void {
  const extra = e instanceof Civ6Error ? changedText(e) : '';
  const msg = `${e instanceof Error ? e.message : String(e)}${extra ? ` ${extra}` : ''}`;
  if (e instanceof Error) session?.setError(e);
  if (typeof e === 'object' && e !== null) {
    if (reported.has(e)) return;
    reported.add(e);
  }
  // logged once: a failed connect already is, by its session ("[host] connect failed: …")
  if (!isConnectFailure(e)) log.error(`${what}: ${msg}`);
  const host = session?.name ?? '';
  const actions = e instanceof Civ6Error ? e.actions : [];
  if (isConnectFailure(e)) {
    // however the connect started (the tree, a command, the inline Connect): Retry, Edit Host, what the error names
    const edit = { label: vscode.l10n.t('Edit Host'), run: () => vscode.commands.executeCommand('conohaIpv6.editHost', { host }) };
    const retry = { label: vscode.l10n.t('Retry'), run: again ?? (() => vscode.commands.executeCommand('conohaIpv6.connect', { host })) };
    const named = actionButtons(actions.filter((x) => x.id !== 'retry'), host, { max: 1 });
    notifyWithActions('error', `${what}: ${msg}`, [...named, retry, edit], () => log.show(true));
    return;
  }
  // an unforeseen error (a bug) can still be retried
  const buttons = actionButtons(actions.length ? actions : [{ id: 'retry' }], host, { again });
  notifyWithActions('error', `${what}: ${msg}`, buttons, () => log.show(true));
}
