// What the status bar says about the hosts of this window, without vscode (so unit tests hold it): addresses bound
// of those known, and whether every check passes, the way the Docker extension shows its context.
import { L10n, english } from './l10nText';

export interface HostFacts {
  name: string;
  state: 'disconnected' | 'connecting' | 'connected' | 'error';
  /** addresses of the host's set held by a container, and the set's size (connected and configured only) */
  bound?: number;
  total?: number;
  /** failing checks (connected only) */
  problems?: number;
  error?: string;
  /** when the host was last read (ms since the epoch) */
  readAt?: number;
}

export interface StatusSummary {
  text: string;
  tooltip: string;
  /** 'error': a host failed to connect; 'warning': a check fails; undefined: all is well or nothing is known yet */
  severity?: 'error' | 'warning';
}

const clock = (ms: number) => new Date(ms).toTimeString().slice(0, 8);
const problemCount = (n: number, l10n: L10n) => (n === 1 ? l10n.t('1 problem') : l10n.t('{0} problems', n));

function line(h: HostFacts, l10n: L10n): string {
  switch (h.state) {
    case 'disconnected':
      return l10n.t('{0}: not connected', h.name);
    case 'connecting':
      return l10n.t('{0}: connecting…', h.name);
    case 'error':
      return l10n.t('{0}: error: {1}', h.name, h.error ?? l10n.t('connect failed'));
    case 'connected': {
      const addr = h.total !== undefined ? l10n.t('{0}/{1} addresses bound', h.bound ?? 0, h.total) : l10n.t('addresses unknown');
      const state = h.problems ? problemCount(h.problems, l10n) : l10n.t('every check passes');
      return h.readAt ? l10n.t('{0}: {1}, {2} (read at {3})', h.name, addr, state, clock(h.readAt)) : l10n.t('{0}: {1}, {2}', h.name, addr, state);
    }
  }
}

/** undefined: no host configured (the item is hidden). */
export function statusSummary(hosts: HostFacts[], l10n: L10n = english): StatusSummary | undefined {
  if (!hosts.length) return undefined;
  const connected = hosts.filter((h) => h.state === 'connected');
  const failed = hosts.filter((h) => h.state === 'error').length;
  const connecting = hosts.some((h) => h.state === 'connecting');
  const problems = connected.reduce((n, h) => n + (h.problems ?? 0), 0);
  const bound = connected.reduce((n, h) => n + (h.bound ?? 0), 0);
  const total = connected.reduce((n, h) => n + (h.total ?? 0), 0);
  const icon = failed ? '$(error)' : problems ? '$(warning)' : connecting ? '$(loading~spin)' : connected.length ? '$(pass)' : '$(vm-outline)';
  const parts = [connected.length ? `IPv6 ${bound}/${total}` : hosts.length === 1 ? l10n.t('IPv6 1 host') : l10n.t('IPv6 {0} hosts', hosts.length)];
  if (problems) parts.push(problemCount(problems, l10n));
  if (failed) parts.push(l10n.t('{0} unreachable', failed));
  const tooltip = [l10n.t('ConoHa IPv6 (click: the Hosts view)'), ...hosts.map((h) => line(h, l10n))].join('\n');
  return { text: `${icon} ${parts.join(' · ')}`, tooltip, severity: failed ? 'error' : problems ? 'warning' : undefined };
}
