// Prepare Host: shows the plan, asks once, applies it under a progress notification (one round trip),
// then shows what the checks say.
import * as vscode from 'vscode';
import { prepare, PrepareResult } from '../../host/modeOperations'; // radvd or docker mode
import { overridesOf } from '../settings';
import { actionButtons, notifyWithActions } from '../actions';
import { confirmLines } from '../planText';
import { Arg, argsOf, connected, guarded, pickSession, Services, withProgress } from './common';

/** Prepare Host; as Repair Host (from a row with a failing check, or a Verify notification) the same, named so. */
export async function prepareHost(svc: Services, arg: Arg, verb: 'Prepare' | 'Repair' = 'Prepare'): Promise<PrepareResult | undefined> {
  const s = await pickSession(svc, arg);
  if (!s) return undefined;
  const ask = argsOf(arg).confirm !== false;
  return guarded(
    svc,
    verb === 'Repair' ? vscode.l10n.t('Repair {0}', s.name) : vscode.l10n.t('Prepare {0}', s.name),
    async () => {
      const t = await connected(s);
      const r = await withProgress(verb === 'Repair' ? vscode.l10n.t('Repairing {0}…', s.name) : vscode.l10n.t('Preparing {0}…', s.name), () =>
        prepare(
          t,
          overridesOf(s.entry),
          {
            onPlan: async (plan, config) => {
              svc.log.info(`[${s.name}] plan: ${plan.steps.length} step(s)${plan.steps.map((x) => `\n  - ${x.title}`).join('')}`);
              if (!ask || plan.steps.length === 0) return true;
              const detail = `${config.uplink}, ${config.bridge}, ${config.prefix ?? vscode.l10n.t('{0} addresses', config.addresses.length)}\n\n${confirmLines(plan.steps)}${plan.notes.length ? `\n\n${plan.notes.join('\n')}` : ''}`;
              const go = await vscode.window.showInformationMessage(verb === 'Repair' ? vscode.l10n.t('Repair {0}: apply {1}?', s.name, plan.steps.length === 1 ? vscode.l10n.t('1 change') : vscode.l10n.t('{0} changes', plan.steps.length)) : vscode.l10n.t('Apply {0} to {1}?', plan.steps.length === 1 ? vscode.l10n.t('1 change') : vscode.l10n.t('{0} changes', plan.steps.length), s.name), { modal: true, detail }, vscode.l10n.t('Apply'));
              return go === vscode.l10n.t('Apply');
            },
            // commit-confirmed: the change is confirmed over a new connection, else the host rolls it back
            reconnect: () => s.openAnother(),
          },
          s.observer,
        ),
      );
      s.update(r.outcome?.after ?? r.before, r.config, r.checks);
      const failed = r.checks.filter((k) => !k.ok);
      const what = !r.outcome ? (r.plan.steps.length ? vscode.l10n.t('nothing applied') : vscode.l10n.t('already prepared')) : r.outcome.results.length === 1 ? vscode.l10n.t('1 step applied') : vscode.l10n.t('{0} steps applied', r.outcome.results.length);
      const msg = vscode.l10n.t('{0}: {1}; {2} of {3} checks pass.', s.name, what, r.checks.length - failed.length, r.checks.length);
      if (failed.length) notifyWithActions('warning', vscode.l10n.t('{0} Failing: {1}', msg, failed.map((k) => k.message).slice(0, 3).join('; ')), actionButtons(failed.flatMap((k) => (k.fix ? [k.fix] : [])).filter((x) => x.id !== 'prepare'), s.name), () => svc.log.show(true));
      else void vscode.window.showInformationMessage(msg);
      return r;
    },
    s,
  );
}
