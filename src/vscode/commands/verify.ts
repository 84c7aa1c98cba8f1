// Verify Routes, Neighbors and RA: one round trip (with pings of every bound address); the checks show in
// the tree, the result in a notification.
import * as vscode from 'vscode';
import { verify as verifyHost, VerifyResult } from '../../host/modeOperations'; // radvd or docker mode
import { overridesOf, verifyOptionsOf } from '../settings';
import { actionButtons, notifyWithActions } from '../actions';
import { Arg, connected, guarded, pickSession, Services, withProgress } from './common';

export async function verify(svc: Services, arg: Arg): Promise<VerifyResult | undefined> {
  const s = await pickSession(svc, arg);
  if (!s) return undefined;
  return guarded(
    svc,
    vscode.l10n.t('Verify {0}', s.name),
    async () => {
      const t = await connected(s);
      const r = await withProgress(vscode.l10n.t('Verifying {0}…', s.name), () => verifyHost(t, overridesOf(s.entry), s.observer, verifyOptionsOf(s.entry)));
      s.update(r.snapshot, r.config, r.checks);
      for (const k of r.checks) svc.log[k.ok ? 'info' : 'warn'](`[${s.name}] ${k.ok ? 'ok  ' : 'FAIL'} ${k.id}: ${k.message}`);
      const failed = r.checks.filter((k) => !k.ok);
      if (failed.length) {
        // the fixes the failing checks name, as buttons (Repair Host, Release ...)
        const buttons = actionButtons(failed.flatMap((k) => (k.fix ? [k.fix] : [])), s.name, { repair: true });
        notifyWithActions('warning', vscode.l10n.t('{0}: {1} of {2} checks fail: {3}', s.name, failed.length, r.checks.length, failed.slice(0, 3).map((k) => k.message).join('; ')), buttons, () => svc.log.show(true));
      } else {
        void vscode.window.showInformationMessage(vscode.l10n.t('{0}: all {1} checks pass.', s.name, r.checks.length));
        void vscode.commands.executeCommand('setContext', 'conohaIpv6.hasVerified', true);
      }
      return r;
    },
    s,
  );
}
