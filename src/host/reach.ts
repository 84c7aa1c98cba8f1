// "From here": a TCP connection from the machine running the CLI or the extension to a container's address,
// across the provider's network, the host's proxy NDP, forwarding and firewall. The only proof that counts
// for a user who serves something from a container (a ping is not: firewalls let ICMPv6 through).
import { connect } from 'node:net';

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
    sock.once('connect', () => done(true, `connected in ${Date.now() - t0} ms`));
    sock.once('timeout', () => done(false, `no answer within ${timeoutMs / 1000} s (packets dropped on the way: a firewall on the host, the provider's packet filter, or no IPv6 route from here)`));
    sock.once('error', (e: NodeJS.ErrnoException) => {
      const why: Record<string, string> = {
        ECONNREFUSED: `refused: the packets arrive, but nothing listens on port ${port} in the container, or a firewall rejects them`,
        ENETUNREACH: 'this machine has no IPv6 route to it (no IPv6 here?)',
        EHOSTUNREACH: 'no route to the host (the host or the provider answered "unreachable")',
      };
      done(false, why[e.code ?? ''] ?? `${e.code ?? ''} ${e.message}`.trim());
    });
  });
}
