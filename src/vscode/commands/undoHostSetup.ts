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
    `Undo Host Setup on ${s.name}`,
    async () => {
      const t = await connected(s);
      const bound = s.snapshot?.bindings.length ?? 0;
      let releaseAll = a.releaseAll === true;
      if (ask && bound > 0) {
        const go = await vscode.window.showWarningMessage(
          `${s.name} has ${bound} bound address${bound === 1 ? '' : 'es'}.`,
          { modal: true, detail: 'Undoing the host setup takes them off their containers first.' },
          'Release and Undo',
        );
        if (go !== 'Release and Undo') return undefined;
        releaseAll = true;
      }
      const r = await withProgress(`Undoing the setup of ${s.name}…`, () =>
        unprepare(
          t,
          overridesOf(s.entry),
          {
            releaseAll,
            onPlan: async (plan) => {
              svc.log.info(`[${s.name}] undo plan: ${plan.steps.length} step(s)${plan.steps.map((x) => `\n  - ${x.title}`).join('')}`);
              if (!ask) return true;
              const detail = plan.steps.map((x, i) => `${i + 1}. ${x.title}`).join('\n') + (plan.notes.length ? `\n\n${plan.notes.join('\n')}` : '');
              return (await vscode.window.showWarningMessage(`Undo the setup of ${s.name}?`, { modal: true, detail }, 'Undo')) === 'Undo';
            },
          },
          s.observer,
        ),
      );
      if (!r.outcome) return r;
      s.update(r.outcome.after);
      void vscode.window.showInformationMessage(`${s.name} is as it was before Prepare Host.`);
      return r;
    },
    s,
  );
}
