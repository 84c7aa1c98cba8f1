// What the pickers offer and preselect (src/vscode/pickers.ts): Assign offers only free addresses without
// problems; a host picker preselects the host selected in the tree, else a connected one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressRow } from '../../src/core/addressRows';
import type { Check } from '../../src/core/checks';
import { assignableAddresses, preferredHost } from '../../src/vscode/pickers';

const row = (address: string, o: Partial<AddressRow> = {}): AddressRow => ({ address, recorded: false, bridge: 'docker0', routed: true, proxied: true, problems: [], hostProblems: [], ...o });

test('Assign offers the free addresses whose route and proxy entry are there and no check fails, in order', () => {
  const failing = { ok: false } as Check;
  const rows = [
    row('2001:db8::1', { container: 'c1', recorded: true }),
    row('2001:db8::2', { routed: false }),
    row('2001:db8::3', { proxied: false }),
    row('2001:db8::4', { problems: [failing] }),
    row('2001:db8::5'),
    row('2001:db8::6'),
  ];
  assert.deepEqual(assignableAddresses(rows).map((r) => r.address), ['2001:db8::5', '2001:db8::6']);
  assert.deepEqual(assignableAddresses([row('2001:db8::2', { routed: false, proxied: false })]), []);
});

test('a host picker preselects the host selected in the tree, else the first connected one, else none', () => {
  const hosts = [
    { name: 'a', state: 'disconnected' },
    { name: 'b', state: 'connected' },
    { name: 'c', state: 'connected' },
  ];
  assert.equal(preferredHost(hosts, 'c')?.name, 'c');
  assert.equal(preferredHost(hosts, 'a')?.name, 'a', 'selected in the tree wins, connected or not');
  assert.equal(preferredHost(hosts)?.name, 'b');
  assert.equal(preferredHost(hosts, 'gone')?.name, 'b', 'a selection that is not offered (filtered out, removed) is ignored');
  assert.equal(preferredHost([{ name: 'a', state: 'error' }]), undefined);
});
