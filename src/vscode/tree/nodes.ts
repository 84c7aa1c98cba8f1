// The sidebar's nodes: one kind per thing a user sees. contextValue (in items.ts) drives the menus.
import { Check } from '../../core/checks';
import { AddressRow } from '../../core/addressRows';
import { ContainerView } from '../../core/snapshot';
import { HostSession } from '../session';

export type TreeNode =
  | { kind: 'host'; session: HostSession }
  | { kind: 'section'; session: HostSession; section: 'checks' | 'addresses' | 'containers' | 'all' }
  | { kind: 'check'; session: HostSession; check: Check }
  | ({ kind: 'address'; session: HostSession } & AddressRow)
  /** group: the row's group (All containers, or Containers without an address); address: the address it holds */
  | { kind: 'container'; session: HostSession; container: ContainerView; group: 'all' | 'free'; address?: string; /** the network the address is on */ network?: string; /** the binding came from assign or a label */ source?: 'assign' | 'label' }
  /** a docker compose project (com.docker.compose.project) in All containers, with its containers */
  | { kind: 'project'; session: HostSession; project: string; containers: ContainerView[] }
  | { kind: 'message'; session: HostSession; text: string; error: boolean };

export type NodeOf<K extends TreeNode['kind']> = Extract<TreeNode, { kind: K }>;

export const isTreeNode = (v: unknown): v is TreeNode =>
  typeof v === 'object' && v !== null && 'kind' in v && typeof v.kind === 'string' && 'session' in v && v.session !== undefined;
