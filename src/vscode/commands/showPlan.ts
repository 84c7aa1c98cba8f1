// Show Plan (Dry Run): what Prepare Host would change, as a rendered Markdown preview of a read-only document
// (the text document itself when the preview cannot open); nothing changes.
import * as vscode from 'vscode';
import { prepare } from '../../host/modeOperations'; // radvd or docker mode
import { overridesOf } from '../settings';
import { planMarkdown } from '../planText';
import { Arg, connected, guarded, pickSession, Services, withProgress } from './common';

export const PLAN_SCHEME = 'conoha-ipv6-plan';

/** Read-only documents: the plan text per host, served under conoha-ipv6-plan:/<host>.md */
export class PlanDocuments implements vscode.TextDocumentContentProvider {
  private readonly texts = new Map<string, string>();
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.emitter.event;
  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.path) ?? '';
  }
  set(uri: vscode.Uri, text: string): void {
    this.texts.set(uri.path, text);
    this.emitter.fire(uri);
  }
}

export async function showPlan(svc: Services, docs: PlanDocuments, arg: Arg): Promise<string | undefined> {
  const s = await pickSession(svc, arg);
  if (!s) return undefined;
  return guarded(
    svc,
    vscode.l10n.t('Plan for {0}', s.name),
    async () => {
      const t = await connected(s);
      const r = await withProgress(vscode.l10n.t('Planning {0}…', s.name), () => prepare(t, overridesOf(s.entry), { dryRun: true }, s.observer));
      s.update(r.before, r.config, r.checks);
      const text = planMarkdown(s.name, r.config, r.plan);
      const uri = vscode.Uri.parse(`${PLAN_SCHEME}:/${encodeURIComponent(s.name)}.md`);
      docs.set(uri, text);
      await openRendered(uri);
      return text;
    },
    s,
  );
}

/** the Markdown preview of the plan; the plain text document when the preview command is missing or fails */
async function openRendered(uri: vscode.Uri): Promise<void> {
  // the document is loaded first (from the content provider), so the preview renders it at once and it stays open
  // for whoever asks for it (another command, a test) even when the preview loads in the background
  const doc = await vscode.workspace.openTextDocument(uri);
  try {
    await vscode.commands.executeCommand('markdown.showPreview', uri);
  } catch {
    await vscode.window.showTextDocument(doc, { preview: true });
  }
}
