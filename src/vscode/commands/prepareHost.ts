// Prepare Host: shows the plan, asks once, applies it under a progress notification (one round trip),
// then shows what the checks say.
import * as vscode from 'vscode';
import { prepare, PrepareResult } from '../../host/operations';
import { overridesOf } from '../settings';
import { actionButtons, notifyWithActions } from '../actions';
import { changes, confirmLines } from '../planText';
import { plural } from '../tree/items';
import { Arg, argsOf, connected, guarded, pickSession, Services, withProgress } from './common';

/** Prepare Host; as Repair Host (from a row with a failing check, or a Verify notification) the same, named so. */
export async function prepareHost(svc: Services, arg: Arg, verb: 'Prepare' | 'Repair' = 'Prepare'): Promise<PrepareResult | undefined> {
  const s = await pickSession(svc, arg);
  if (!s) return undefined;
  const ask = argsOf(arg).confirm !== false;
  return guarded(
    svc,
    `${verb} ${s.name}`,
    async () => {
      const t = await connected(s);
      const r = await withProgress(`${verb === 'Repair' ? 'Repairing' : 'Preparing'} ${s.name}…`, () =>
        prepare(
          t,
          overridesOf(s.entry),
          {
            onPlan: async (plan, config) => {
              svc.log.info(`[${s.name}] plan: ${plan.steps.length} step(s)${plan.steps.map((x) => `\n  - ${x.title}`).join('')}`);
              if (!ask || plan.steps.length === 0) return true;
              const detail = `${config.uplink}, ${config.bridge}, ${config.prefix ?? `${config.addresses.length} addresses`}\n\n${confirmLines(plan.steps)}${plan.notes.length ? `\n\n${plan.notes.join('\n')}` : ''}`;
              const go = await vscode.window.showInformationMessage(`${verb === 'Repair' ? `Repair ${s.name}: apply` : 'Apply'} ${changes(plan.steps.length)}${verb === 'Repair' ? '' : ` to ${s.name}`}?`, { modal: true, detail }, 'Apply');
              return go === 'Apply';
            },
            // commit-confirmed: the change is confirmed over a new connection, else the host rolls it back
            reconnect: () => s.openAnother(),
          },
          s.observer,
        ),
      );
      s.update(r.outcome?.after ?? r.before, r.config, r.checks);
      const failed = r.checks.filter((k) => !k.ok);
      const what = !r.outcome ? (r.plan.steps.length ? 'nothing applied' : 'already prepared') : `${plural(r.outcome.results.length, 'step')} applied`;
      const msg = `${s.name}: ${what}; ${r.checks.length - failed.length} of ${r.checks.length} checks pass.`;
      if (failed.length) notifyWithActions('warning', `${msg} Failing: ${failed.map((k) => k.message).slice(0, 3).join('; ')}`, actionButtons(failed.flatMap((k) => (k.fix ? [k.fix] : [])).filter((x) => x.id !== 'prepare'), s.name), () => svc.log.show(true));
      else void vscode.window.showInformationMessage(msg);
      return r;
    },
    s,
  );
}
