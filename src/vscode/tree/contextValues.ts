// Every contextValue the tree gives its items (items.ts), in a module without vscode so a unit test can hold
// package.json's view/item/context menus (`viewItem`) against it. A bound container is shown as its address
// (address.bound, which offers Release); the containers section lists only running containers without an address
// (container.free, which offers Assign). All containers (section.all) lists every container: container.bound (Copy
// Address, Release), container.free, or container.stopped (no address, not running: nothing to assign to).
// `.repair`: a row with a failing check that Prepare Host fixes, which offers Repair Host.
export const CONTEXT_VALUES = [
  'host.connected',
  'host.connected.repair',
  'host.disconnected',
  'section.checks',
  'section.addresses',
  'section.containers',
  'section.all',
  'project',
  'check.ok',
  'check.fail',
  'check.fail.repair',
  'address.bound',
  'address.bound.repair',
  'address.free',
  'address.free.repair',
  'container.free',
  'container.bound',
  'container.stopped',
  'message',
] as const;

export type ContextValue = (typeof CONTEXT_VALUES)[number];
