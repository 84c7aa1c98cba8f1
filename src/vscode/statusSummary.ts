// What the status bar says about the hosts of this window, without vscode (so unit tests hold it): addresses bound
// of those known, and whether every check passes, the way the Docker extension shows its context.

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

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const clock = (ms: number) => new Date(ms).toTimeString().slice(0, 8);

function line(h: HostFacts): string {
  switch (h.state) {
    case 'disconnected':
      return `${h.name}: not connected`;
    case 'connecting':
      return `${h.name}: connecting…`;
    case 'error':
      return `${h.name}: error: ${h.error ?? 'connect failed'}`;
    case 'connected': {
      const addr = h.total !== undefined ? `${h.bound ?? 0}/${h.total} addresses bound` : 'addresses unknown';
      const state = h.problems ? plural(h.problems, 'problem') : 'every check passes';
      return `${h.name}: ${addr}, ${state}${h.readAt ? ` (read at ${clock(h.readAt)})` : ''}`;
    }
  }
}

/** undefined: no host configured (the item is hidden). */
export function statusSummary(hosts: HostFacts[]): StatusSummary | undefined {
  if (!hosts.length) return undefined;
  const connected = hosts.filter((h) => h.state === 'connected');
  const failed = hosts.filter((h) => h.state === 'error').length;
  const connecting = hosts.some((h) => h.state === 'connecting');
  const problems = connected.reduce((n, h) => n + (h.problems ?? 0), 0);
  const bound = connected.reduce((n, h) => n + (h.bound ?? 0), 0);
  const total = connected.reduce((n, h) => n + (h.total ?? 0), 0);
  const icon = failed ? '$(error)' : problems ? '$(warning)' : connecting ? '$(loading~spin)' : connected.length ? '$(pass)' : '$(vm-outline)';
  const parts = [connected.length ? `IPv6 ${bound}/${total}` : `IPv6 ${plural(hosts.length, 'host')}`];
  if (problems) parts.push(plural(problems, 'problem'));
  if (failed) parts.push(`${failed} unreachable`);
  const tooltip = ['ConoHa IPv6 (click: the Hosts view)', ...hosts.map(line)].join('\n');
  return { text: `${icon} ${parts.join(' · ')}`, tooltip, severity: failed ? 'error' : problems ? 'warning' : undefined };
}
