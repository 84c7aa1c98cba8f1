// One row per address of the host's set: who holds it, whether the host routes and answers for it, and what the
// checks found wrong with it. What the CLI's status, the VS Code tree and its pickers all show.
import { Check, checksOfAddress } from './checks';
import { HostConfig } from './config';
import { HostSnapshot, hasProxy, hasRoute, holderOf } from './snapshot';

export interface AddressRow {
  address: string;
  /** the container holding it (recorded, or found on a container without a record) */
  container?: string;
  /** the binding is in the host's bindings file (false: found on a container only) */
  recorded: boolean;
  routed: boolean;
  proxied: boolean;
  /** the failing checks about this address or its binding */
  problems: Check[];
}

export function addressRows(s: HostSnapshot, c: HostConfig, checks: Check[] = []): AddressRow[] {
  return c.addresses.map((address) => {
    const h = holderOf(s, address);
    return {
      address,
      container: h?.container,
      recorded: !!h?.recorded,
      routed: hasRoute(s, address, c.bridge),
      proxied: hasProxy(s, address, c.uplink),
      problems: checksOfAddress(checks, address).filter((k) => !k.ok),
    };
  });
}
