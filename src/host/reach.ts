// "From here": a TCP connection from the machine running the CLI or the extension to a container's address,
// across the provider's network, the host's proxy NDP, forwarding and firewall. The only proof that counts
// for a user who serves something from a container (a ping is not: firewalls let ICMPv6 through).
import { connect } from 'node:net';
import { l10n } from '../core/l10n';

export interface Reach {
  ok: boolean;
  ms: number;
  /** what happened, for a user */
  detail: string;
}

export function tcpReach(address: string, port: number, timeoutMs = 4000): Promise<Reach> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const sock = connect({ host: address, port, family: 6, timeout: timeoutMs });
    const done = (ok: boolean, detail: string) => {
      sock.destroy();
      resolve({ ok, ms: Date.now() - t0, detail });
    };
    sock.once('connect', () => done(true, l10n.t('connected in {0} ms', Date.now() - t0)));
    sock.once('timeout', () => done(false, l10n.t("no answer within {0} s (packets dropped on the way: a firewall on the host, the provider's packet filter, or no IPv6 route from here)", timeoutMs / 1000)));
    sock.once('error', (e: NodeJS.ErrnoException) => {
      const why: Record<string, string> = {
        ECONNREFUSED: l10n.t('refused: the packets arrive, but nothing listens on port {0} in the container, or a firewall rejects them', port),
        ENETUNREACH: l10n.t('this machine has no IPv6 route to it (no IPv6 here?)'),
        EHOSTUNREACH: l10n.t('no route to the host (the host or the provider answered "unreachable")'),
      };
      done(false, why[e.code ?? ''] ?? `${e.code ?? ''} ${e.message}`.trim());
    });
  });
}

/** The inbound check's message: `container` at `address`:`port` reached from here, or not and why. */
export function inboundMessage(container: string, address: string, port: number, r: Reach): string {
  return r.ok
    ? l10n.t('a TCP connection from here reaches {0} at [{1}]:{2} ({3} ms)', container, address, port, r.ms)
    : l10n.t('no TCP connection from here to {0} at [{1}]:{2}: {3}', container, address, port, r.detail);
}
