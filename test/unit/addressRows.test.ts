// An address row tells the truth about delivery: a held address whose own route and proxy entry are there still
// shows the host-wide failures that drop its packets (proxy NDP off, forwarding off, a firewall...), and only those.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { addressRows } from '../../src/core/addressRows';
import { Check } from '../../src/core/checks';
import { resolveHostConfig } from '../../src/core/config';
import { parseSnapshot } from '../../src/core/snapshot';

const s = parseSnapshot(readFileSync(join(__dirname, '../../../test/fixtures/lab-prepared.json'), 'utf8'));
const c = resolveHostConfig(s);
const host = (kind: 'proxy-ndp' | 'persistence' | 'forwarding', ok: boolean): Check => ({ id: kind, scope: 'host', kind, ok, message: `${kind} ${ok ? 'ok' : 'fails'}` });

test('a held address carries the failing host checks that stop its packets; a free one and harmless failures do not', () => {
  const rows = addressRows(s, c, [host('proxy-ndp', false), host('persistence', false), host('forwarding', true)]);
  const held = rows.filter((r) => r.container);
  assert.ok(held.length > 0, 'the fixture has a bound address');
  for (const r of held) assert.deepEqual(r.hostProblems.map((k) => k.kind), ['proxy-ndp'], r.address);
  for (const r of rows.filter((x) => !x.container)) assert.deepEqual(r.hostProblems, [], r.address);
  assert.deepEqual(addressRows(s, c, [host('proxy-ndp', true)]).flatMap((r) => r.hostProblems), []);
});
