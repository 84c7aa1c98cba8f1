// What each node contains, computed from the host's last snapshot (no round trip of its own).
import { containersWithoutAddress, hasProxy, hasRoute, holderOf } from '../../core/snapshot';
import { HostSession } from '../session';
import { NodeOf, TreeNode } from './nodes';

/** setup checks: the host-level ones; per-address and per-binding checks belong to the address rows */
const isHostCheck = (id: string) => !/^(route|proxy|binding):/.test(id);

export function hostChildren(session: HostSession): TreeNode[] {
  if (session.state === 'error' || !session.snapshot) {
    return [{ kind: 'message', session, text: session.error ?? 'not connected', error: session.state === 'error' }];
  }
  if (!session.config) {
    return [{ kind: 'message', session, text: session.configError ?? 'the host did not tell its addresses', error: true }];
  }
  return [
    { kind: 'section', session, section: 'checks' },
    { kind: 'section', session, section: 'addresses' },
    { kind: 'section', session, section: 'containers' },
  ];
}

export function addressNodes(session: HostSession): NodeOf<'address'>[] {
  const s = session.snapshot!;
  const c = session.config!;
  return c.addresses.map((address) => {
    const h = holderOf(s, address);
    return {
      kind: 'address',
      session,
      address,
      container: h?.container,
      recorded: !!h?.recorded,
      routed: hasRoute(s, address, c.bridge),
      proxied: hasProxy(s, address, c.uplink),
      problems: session.checks.filter((k) => !k.ok && (k.id === `route:${address}` || k.id === `proxy:${address}` || k.id.startsWith(`binding:${address}:`))),
    };
  });
}

export function sectionChildren(node: NodeOf<'section'>): TreeNode[] {
  const { session } = node;
  if (node.section === 'checks') return session.checks.filter((k) => isHostCheck(k.id)).map((check) => ({ kind: 'check', session, check }));
  if (node.section === 'addresses') return addressNodes(session);
  return unboundContainers(session).map((container) => ({ kind: 'container', session, container }));
}

export function unboundContainers(session: HostSession) {
  return session.snapshot ? containersWithoutAddress(session.snapshot, session.config?.addresses ?? []) : [];
}

export function hostChecks(session: HostSession) {
  return session.checks.filter((k) => isHostCheck(k.id));
}
