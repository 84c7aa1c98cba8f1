// Show Plan (Dry Run): what Prepare Host would change, in a read-only document; nothing changes.
import * as vscode from 'vscode';
import { prepare } from '../../host/operations';
import { overridesOf } from '../settings';
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
    `Plan for ${s.name}`,
    async () => {
      const t = await connected(s);
      const r = await withProgress(`Planning ${s.name}…`, () => prepare(t, overridesOf(s.entry), { dryRun: true }, s.observer));
      s.update(r.before, r.config, r.checks);
      const c = r.config;
      const text = [
        `# Prepare Host plan for ${s.name} (dry run: nothing was changed)`,
        '',
        `uplink ${c.uplink}, gateway ${c.gateway}, bridge ${c.bridge}, ${c.addresses.length} addresses ${c.prefix ?? ''}`,
        '',
        ...(r.plan.steps.length ? r.plan.steps.map((x, i) => `${i + 1}. ${x.title}`) : ['Nothing to change: the host is already prepared.']),
        ...r.plan.notes.map((n) => `\nNote: ${n}`),
        '',
        '## Commands, as they will run on the host (as root)',
        '',
        ...r.plan.steps.flatMap((x) => [`### ${x.id}`, '```sh', x.script.replace(/civ6_write (\S+) (\S+) '[^']*'/g, 'write $1 (mode $2)'), '```', '']),
      ].join('\n');
      const uri = vscode.Uri.parse(`${PLAN_SCHEME}:/${encodeURIComponent(s.name)}.md`);
      docs.set(uri, text);
      const doc = await vscode.workspace.openTextDocument(uri);
      await vscode.window.showTextDocument(doc, { preview: true });
      return text;
    },
    s,
  );
}
