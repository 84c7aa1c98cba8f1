// Every command, registered in one place. Each accepts a tree node (menus) or { host, container, address,
// confirm } (palette, tests, other extensions) and returns its result.
import * as vscode from 'vscode';
import { addHost } from './addHost';
import { assignAddress } from './assignAddress';
import { Arg, Services } from './common';
import { connect, connectAll, disconnect, refresh } from './connect';
import { copyAddress } from './copyAddress';
import { composeSnippetCommand } from './composeSnippet';
import { editHost } from './editHost';
import { openSshTerminal } from './openSshTerminal';
import { prepareHost } from './prepareHost';
import { releaseAddress } from './releaseAddress';
import { removeHost } from './removeHost';
import { PlanDocuments, PLAN_SCHEME, showPlan } from './showPlan';
import { undoHostSetup } from './undoHostSetup';
import { verify } from './verify';
import { HostEntry } from '../settings';
import { isTreeNode } from '../tree/nodes';

export function registerCommands(svc: Services): vscode.Disposable[] {
  const docs = new PlanDocuments();
  // From a menu or the palette an error has been shown already, so the command resolves; a programmatic call
  // (an arguments object) gets the rejection, so tests and other extensions see what went wrong.
  const programmatic = (arg: unknown) => !!arg && typeof arg === 'object' && !isTreeNode(arg);
  // VS Code passes on whatever the caller gave; each command takes a tree node or its arguments object (Arg) and
  // checks the fields it uses, as it did before this boundary was typed
  const cmd = (name: string, fn: (arg: Arg) => Promise<unknown>) =>
    vscode.commands.registerCommand(`conohaIpv6.${name}`, (arg: unknown) => (programmatic(arg) ? fn(arg as Arg) : fn(arg as Arg).catch(() => undefined)));
  return [
    vscode.workspace.registerTextDocumentContentProvider(PLAN_SCHEME, docs),
    cmd('addHost', (a) => addHost(svc, a as Partial<HostEntry> | undefined)),
    cmd('removeHost', (a) => removeHost(svc, a)),
    cmd('editHost', (a) => editHost(svc, a)),
    cmd('connect', (a) => connect(svc, a)),
    cmd('connectAll', () => connectAll(svc)),
    cmd('disconnect', (a) => disconnect(svc, a)),
    cmd('openSshTerminal', (a) => openSshTerminal(svc, a)),
    cmd('refresh', (a) => refresh(svc, a)),
    cmd('prepareHost', (a) => prepareHost(svc, a)),
    cmd('repairHost', (a) => prepareHost(svc, a, 'Repair')),
    cmd('undoHostSetup', (a) => undoHostSetup(svc, a)),
    cmd('assignAddress', (a) => assignAddress(svc, a)),
    cmd('releaseAddress', (a) => releaseAddress(svc, a)),
    cmd('copyAddress', (a) => copyAddress(svc, a)),
    cmd('composeSnippet', (a) => composeSnippetCommand(svc, a)),
    cmd('verify', (a) => verify(svc, a)),
    cmd('showPlan', (a) => showPlan(svc, docs, a)),
    cmd('showLog', () => {
      svc.log.show(true);
      return Promise.resolve();
    }),
  ];
}
