// What verify proves with real packets, beyond the host's own state: a TCP port that clients use (a connection
// from the machine running the tool) and a target outside (a connection, or a ping, from each container).
import { isGlobalUnicast, normalizeAddress } from './derive';
import { InputError } from './hostSpec';
import { l10n } from './l10n';

/** An outbound probe target: from each bound container, a TCP connect to address:port, or a ping without a port. */
export interface ProbeTarget {
  address: string;
  port?: number;
}

export function parsePort(v: string | number, what: string): number {
  const s = String(v);
  if (!/^[0-9]{1,5}$/.test(s) || Number(s) < 1 || Number(s) > 65535) throw new InputError(l10n.t('{0} {1} is not a TCP port: use 1-65535', what, JSON.stringify(s)));
  return Number(s);
}

/** "2001:db8::53" (ping) or "[2001:db8::53]:53" (TCP) */
export function parseProbe(v: string, what: string): ProbeTarget {
  const m = /^\[([^\]]+)\]:([0-9]+)$/.exec(v);
  if (!m && v.includes(']')) throw new InputError(l10n.t('{0} {1}: write an address, or [address]:port', what, JSON.stringify(v)));
  const address = normalizeAddress(m ? m[1] : v, what);
  if (!isGlobalUnicast(address)) throw new InputError(l10n.t('{0} {1} is not a global unicast address: the probe goes out to the internet (e.g. [2001:4860:4860::8888]:53)', what, address));
  return m ? { address, port: parsePort(m[2], what) } : { address };
}
