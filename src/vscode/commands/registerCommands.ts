// Every command, registered in one place. Each accepts a tree node (menus) or { host, container, address,
// confirm } (palette, tests, other extensions) and returns its result.
import * as vscode from 'vscode';
import { addHost } from './addHost';
import { assignAddress } from './assignAddress';
import { Services } from './common';
import { connect, disconnect, refresh } from './connect';
import { prepareHost } from './prepareHost';
import { releaseAddress } from './releaseAddress';
import { removeHost } from './removeHost';
import { PlanDocuments, PLAN_SCHEME, showPlan } from './showPlan';
import { undoHostSetup } from './undoHostSetup';
import { verify } from './verify';
import { isTreeNode } from '../tree/nodes';

export function registerCommands(svc: Services): vscode.Disposable[] {
  const docs = new PlanDocuments();
  // From a menu or the palette an error has been shown already, so the command resolves; a programmatic call
  // (an arguments object) gets the rejection, so tests and other extensions see what went wrong.
  const programmatic = (arg: unknown) => !!arg && typeof arg === 'object' && !isTreeNode(arg);
  const cmd = (name: string, fn: (arg: any) => Promise<unknown>) =>
    vscode.commands.registerCommand(`conohaIpv6.${name}`, (arg) => (programmatic(arg) ? fn(arg) : fn(arg).catch(() => undefined)));
  return [
    vscode.workspace.registerTextDocumentContentProvider(PLAN_SCHEME, docs),
    cmd('addHost', (a) => addHost(svc, a)),
    cmd('removeHost', (a) => removeHost(svc, a)),
    cmd('connect', (a) => connect(svc, a)),
    cmd('disconnect', (a) => disconnect(svc, a)),
    cmd('refresh', (a) => refresh(svc, a)),
    cmd('prepareHost', (a) => prepareHost(svc, a)),
    cmd('undoHostSetup', (a) => undoHostSetup(svc, a)),
    cmd('assignAddress', (a) => assignAddress(svc, a)),
    cmd('releaseAddress', (a) => releaseAddress(svc, a)),
    cmd('verify', (a) => verify(svc, a)),
    cmd('showPlan', (a) => showPlan(svc, docs, a)),
    cmd('showLog', async () => svc.log.show(true)),
  ];
}
