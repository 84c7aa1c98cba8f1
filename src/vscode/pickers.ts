// What the pickers offer and preselect, without vscode (so unit tests hold it).
import type { AddressRow } from '../core/addressRows';

/** The addresses Assign offers: free, routed to the bridge, answered for on the uplink, and no failing check about
 * them (an address with a problem would be bound and then not reached). */
export function assignableAddresses(rows: AddressRow[]): AddressRow[] {
  return rows.filter((r) => !r.container && r.routed && r.proxied && r.problems.length === 0);
}

/** The host a host picker preselects: the one selected in the tree when it is offered, else the first connected one. */
export function preferredHost<T extends { name: string; state: string }>(candidates: T[], selected?: string): T | undefined {
  return candidates.find((c) => selected !== undefined && c.name === selected) ?? candidates.find((c) => c.state === 'connected');
}
