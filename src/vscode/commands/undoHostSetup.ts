// Undo Host Setup: shows what it restores, asks once (and whether to release bound addresses first), then puts
// the host back as it was before the first Prepare Host.
import * as vscode from 'vscode';
import { unprepare, UnprepareResult } from '../../host/modeOperations'; // radvd or docker mode
import { overridesOf } from '../settings';
import { Arg, argsOf, connected, guarded, pickSession, Services, withProgress } from './common';

export async function undoHostSetup(svc: Services, arg: Arg): Promise<UnprepareResult | undefined> {
  const s = await pickSession(svc, arg);
  if (!s) return undefined;
  const a = argsOf(arg);
  const ask = a.confirm !== false;
  return guarded(
    svc,
    vscode.l10n.t('Undo Host Setup on {0}', s.name),
    async () => {
      const t = await connected(s);
      const bound = s.snapshot?.bindings.length ?? 0;
      let releaseAll = a.releaseAll === true;
      if (ask && bound > 0) {
        const go = await vscode.window.showWarningMessage(
          bound === 1 ? vscode.l10n.t('{0} has 1 bound address.', s.name) : vscode.l10n.t('{0} has {1} bound addresses.', s.name, bound),
          { modal: true, detail: vscode.l10n.t('Undoing the host setup takes them off their containers first.') },
          vscode.l10n.t('Release and Undo'),
        );
        if (go !== vscode.l10n.t('Release and Undo')) return undefined;
        releaseAll = true;
      }
      const r = await withProgress(vscode.l10n.t('Undoing the setup of {0}…', s.name), () =>
        unprepare(
          t,
          overridesOf(s.entry),
          {
            releaseAll,
            onPlan: async (plan) => {
              svc.log.info(`[${s.name}] undo plan: ${plan.steps.length} step(s)${plan.steps.map((x) => `\n  - ${x.title}`).join('')}`);
              if (!ask) return true;
              const detail = plan.steps.map((x, i) => `${i + 1}. ${x.title}`).join('\n') + (plan.notes.length ? `\n\n${plan.notes.join('\n')}` : '');
              return (await vscode.window.showWarningMessage(vscode.l10n.t('Undo the setup of {0}?', s.name), { modal: true, detail }, vscode.l10n.t('Undo'))) === vscode.l10n.t('Undo');
            },
          },
          s.observer,
        ),
      );
      if (!r.outcome) return r;
      s.update(r.outcome.after);
      void vscode.window.showInformationMessage(vscode.l10n.t('{0} is as it was before Prepare Host.', s.name));
      return r;
    },
    s,
  );
}
