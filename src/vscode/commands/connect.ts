// Connect / Disconnect / Refresh: the connection and one snapshot round trip.
import * as vscode from 'vscode';
import { Arg, guarded, pickSession, Services, withProgress } from './common';

export async function connect(svc: Services, arg: Arg): Promise<boolean> {
  const s = await pickSession(svc, arg, (x) => x.state !== 'connected');
  if (!s) return false;
  await guarded(svc, vscode.l10n.t('Connect to {0}', s.name), () => withProgress(vscode.l10n.t('Connecting to {0}…', s.name), () => s.connect()), s);
  return true;
}

export async function disconnect(svc: Services, arg: Arg): Promise<boolean> {
  const s = await pickSession(svc, arg, (x) => x.state === 'connected');
  if (!s) return false;
  await s.disconnect();
  svc.log.info(`[${s.name}] disconnected`);
  return true;
}

export async function refresh(svc: Services, arg: Arg): Promise<void> {
  const picked = arg ? [await pickSession(svc, arg)] : svc.hosts.all().filter((s) => s.state === 'connected');
  const sessions = picked.filter((s) => s !== undefined);
  await Promise.all(sessions.map((s) => guarded(svc, vscode.l10n.t('Refresh {0}', s.name), () => s.refresh(), s)));
}
