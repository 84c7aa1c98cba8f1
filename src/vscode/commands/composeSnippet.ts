// Compose Snippet: the labels and networks: block that make the host's agent bind an address to a compose service's
// container whenever it starts, in a new YAML editor to copy from. From a container row, or the palette (pick a host
// and a container). Programmatic: { host, container } (a container name or a compose service); returns the text.
import * as vscode from 'vscode';
import { composeSnippet, nativeSnippetOf, snippetTarget } from '../../core/compose';
import { nativeFactsOf } from '../../host/modeOperations';
import { Arg, argsOf, connected, pickOne, pickSession, Services } from './common';
import { isTreeNode } from '../tree/nodes';

export async function composeSnippetCommand(svc: Services, arg: Arg): Promise<string | undefined> {
  const s = await pickSession(svc, arg);
  if (!s) return undefined;
  await connected(s);
  const snap = s.snapshot;
  if (!snap) throw new Error(`${s.name} is not connected`);
  let target = isTreeNode(arg) && arg.kind === 'container' ? arg.container.name : argsOf(arg).container;
  if (!target) {
    const items = snap.docker.containers.map((k) => ({ label: k.name, description: [k.labels.project && vscode.l10n.t('project {0}', k.labels.project), k.networks.join(', ')].filter(Boolean).join(' · ') }));
    if (!items.length) {
      void vscode.window.showInformationMessage(vscode.l10n.t('{0} has no container.', s.name));
      return undefined;
    }
    target = (await pickOne(items, { title: vscode.l10n.t('Compose snippet on {0}', s.name), placeholder: vscode.l10n.t('Which container?') }))?.label;
    if (!target) return undefined;
  }
  const facts = nativeFactsOf(snap);
  const text = facts ? nativeSnippetOf(snap, facts, target).text : composeSnippet(snap, snippetTarget(snap, target), s.config?.bridge ?? 'docker0');
  const doc = await vscode.workspace.openTextDocument({ language: 'yaml', content: text });
  await vscode.window.showTextDocument(doc, { preview: false });
  return text;
}
