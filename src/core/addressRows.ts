// One row per address of the host's set: who holds it, whether the host routes and answers for it, and what the
// checks found wrong with it. What the CLI's status, the VS Code tree and its pickers all show.
import { Check, HostCheckKind, checksOfAddress } from './checks';
import { HostConfig } from './config';
import { HostSnapshot, bridgeOfAddress, hasProxy, hasRoute, holderOf, networkOfBinding } from './snapshot';

export interface AddressRow {
  address: string;
  /** the container holding it (recorded, or found on a container without a record) */
  container?: string;
  /** the binding is in the host's bindings file (false: found on a container only) */
  recorded: boolean;
  /** where the binding came from: assign, or the container's conoha-ipv6.address label */
  source?: 'assign' | 'label';
  /** the Docker network the address is on (recorded bindings) */
  network?: string;
  /** the bridge the address is routed to: its binding's network's bridge, else the host's bridge */
  bridge: string;
  routed: boolean;
  proxied: boolean;
  /** the failing checks about this address or its binding */
  problems: Check[];
  /** a held address: the failing host-wide checks that keep packets from reaching it (forwarding, proxy NDP...);
   * its own checks can all pass while the host drops its packets */
  hostProblems: Check[];
}

/** Host-wide checks whose failure stops a container's packets, whatever its own route and proxy entry say. */
export const DELIVERY_KINDS: readonly HostCheckKind[] = ['forwarding', 'proxy-ndp', 'default-route', 'bridge', 'radvd', 'firewall', 'network'];

export function addressRows(s: HostSnapshot, c: HostConfig, checks: Check[] = []): AddressRow[] {
  const blocking = checks.filter((k) => !k.ok && k.scope === 'host' && DELIVERY_KINDS.includes(k.kind));
  return c.addresses.map((address) => {
    const h = holderOf(s, address);
    const b = s.bindings.find((x) => x.address === address);
    const bridge = bridgeOfAddress(s, address, c.bridge);
    const network = b ? networkOfBinding(s, b, c.bridge)?.name ?? b.network : undefined;
    return {
      address,
      container: h?.container,
      recorded: !!h?.recorded,
      ...(b ? { source: b.source ?? 'assign' } : {}),
      ...(network ? { network } : {}),
      bridge,
      routed: hasRoute(s, address, bridge),
      proxied: hasProxy(s, address, c.uplink),
      problems: checksOfAddress(checks, address).filter((k) => !k.ok),
      hostProblems: h ? blocking : [],
    };
  });
}
