// What each node contains, computed from the host's last snapshot (no round trip of its own).
import * as vscode from 'vscode';
import { addressRows } from '../../core/addressRows';
import { Check, hostChecksOf } from '../../core/checks';
import { composeGroups } from '../../core/compose';
import { containersWithoutAddress } from '../../core/snapshot';
import { HostSession } from '../session';
import { NodeOf, TreeNode } from './nodes';

export function hostChildren(session: HostSession): TreeNode[] {
  if (session.state === 'connecting') return [{ kind: 'message', session, text: vscode.l10n.t('connecting…'), error: false }];
  if (session.state === 'error' || !session.snapshot) {
    return [{ kind: 'message', session, text: session.error ?? vscode.l10n.t('not connected'), error: session.state === 'error' }];
  }
  if (!session.config) {
    return [{ kind: 'message', session, text: session.configError ?? vscode.l10n.t('the host did not tell its addresses'), error: true }];
  }
  return [
    { kind: 'section', session, section: 'checks' },
    { kind: 'section', session, section: 'addresses' },
    { kind: 'section', session, section: 'containers' },
    { kind: 'section', session, section: 'all' },
  ];
}

export function addressNodes(session: HostSession): NodeOf<'address'>[] {
  const { snapshot, config } = session;
  if (!snapshot || !config) throw new Error(`${session.name}: its addresses are not known yet (no snapshot or no configuration)`);
  return addressRows(snapshot, config, session.checks).map((row) => ({ kind: 'address', session, ...row }));
}

export function sectionChildren(node: NodeOf<'section'>): TreeNode[] {
  const { session } = node;
  if (node.section === 'checks') return hostChecks(session).map((check) => ({ kind: 'check', session, check }));
  if (node.section === 'addresses') return addressNodes(session);
  if (node.section === 'all') return allContainersGrouped(session);
  return unboundContainers(session).map((container) => ({ kind: 'container', session, container, group: 'free' }));
}

export function unboundContainers(session: HostSession) {
  return session.snapshot ? containersWithoutAddress(session.snapshot, session.config?.addresses ?? []) : [];
}

/** Every container, running or not, with the address it holds (its row in the address rows), in docker's order. */
export function allContainers(session: HostSession): NodeOf<'container'>[] {
  const { snapshot, config } = session;
  if (!snapshot) return [];
  const rows = config ? addressRows(snapshot, config, session.checks) : [];
  return snapshot.docker.containers.map((container) => {
    const row = rows.find((r) => r.container === container.name);
    return { kind: 'container', session, container, group: 'all', address: row?.address, ...(row?.network ? { network: row.network } : {}), ...(row?.source ? { source: row.source } : {}) };
  });
}

/** All containers, grouped by compose project: one row per project (its containers under it), then the containers
 * of no project; flat when no container belongs to a project. */
export function allContainersGrouped(session: HostSession): TreeNode[] {
  const all = allContainers(session);
  const groups = composeGroups(all.map((n) => n.container));
  if (!groups.some((g) => g.project)) return all;
  return groups.flatMap((g): TreeNode[] =>
    g.project ? [{ kind: 'project', session, project: g.project, containers: g.containers }] : all.filter((n) => g.containers.includes(n.container)),
  );
}

/** The containers of one compose project, as All containers shows them. */
export function projectChildren(node: NodeOf<'project'>): NodeOf<'container'>[] {
  return allContainers(node.session).filter((n) => node.containers.some((k) => k.id === n.container.id));
}

/** What the Host setup group shows: the host-wide checks, and any check about an address outside the host's set
 * (a binding recorded for an address the set does not have), so every failing check is on some row. */
export function hostChecks(session: HostSession): Check[] {
  const rows = new Set(session.config?.addresses ?? []);
  return [...hostChecksOf(session.checks), ...session.checks.filter((c) => c.scope !== 'host' && !rows.has(c.address))];
}

/** Every failing check of the host (host-wide, address and binding): what the host row counts. */
export const problemsOf = (session: HostSession): Check[] => session.checks.filter((k) => !k.ok);
