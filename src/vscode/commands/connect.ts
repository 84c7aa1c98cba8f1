// Connect / Connect All / Disconnect / Refresh: the connection and one snapshot round trip.
import { settledLimited } from '../../core/limit';
import { HostSession } from '../session';
import * as vscode from 'vscode';
import { Arg, guarded, pickSession, Services, withProgress } from './common';

/** How many hosts connect or refresh at once (each is one SSH connection and one round trip). */
export const PARALLEL_HOSTS = 4;

export async function connect(svc: Services, arg: Arg): Promise<boolean> {
  const s = await pickSession(svc, arg, (x) => x.state !== 'connected');
  if (!s) return false;
  await guarded(svc, vscode.l10n.t('Connect to {0}', s.name), () => withProgress(vscode.l10n.t('Connecting to {0}…', s.name), () => s.connect()), s);
  return true;
}

/** Every host that is not connected, a few at a time; each failure is shown on its own (Show Log, Retry, Edit Host). */
export async function connectAll(svc: Services): Promise<{ connected: string[]; failed: string[] }> {
  const todo = svc.hosts.all().filter((s) => s.state !== 'connected');
  const r = await settledLimited(todo, PARALLEL_HOSTS, (s: HostSession) => guarded(svc, vscode.l10n.t('Connect to {0}', s.name), () => s.connect(), s));
  return { connected: todo.filter((_, i) => r[i].status === 'fulfilled').map((s) => s.name), failed: todo.filter((_, i) => r[i].status === 'rejected').map((s) => s.name) };
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
  await settledLimited(sessions, PARALLEL_HOSTS, (s) => guarded(svc, vscode.l10n.t('Refresh {0}', s.name), () => s.refresh(), s));
}
