// settledLimited (src/core/limit.ts): never more than `limit` at once, every item runs even when some fail or hang,
// results in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { settledLimited } from '../../src/core/limit';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('at most limit at once, all run, results in the items\' order, failures kept apart', async () => {
  let running = 0;
  let peak = 0;
  const r = await settledLimited([30, 5, 20, 1, 10, 2, 8], 3, async (ms) => {
    running++;
    peak = Math.max(peak, running);
    await sleep(ms);
    running--;
    if (ms === 20) throw new Error('host 20 failed');
    return ms * 2;
  });
  assert.equal(peak, 3);
  assert.deepEqual(r.map((x) => (x.status === 'fulfilled' ? x.value : (x.reason as Error).message)), [60, 10, 'host 20 failed', 2, 20, 4, 16]);
});

test('a slow item holds one slot only: the others finish around it', async () => {
  const done: number[] = [];
  const t0 = Date.now();
  await settledLimited([400, 10, 10, 10, 10], 2, async (ms) => {
    await sleep(ms);
    done.push(ms);
  });
  assert.deepEqual(done, [10, 10, 10, 10, 400]);
  assert.ok(Date.now() - t0 < 1000);
  assert.deepEqual(await settledLimited([], 4, () => Promise.resolve(1)), []);
  await assert.rejects(settledLimited([1], 0, () => Promise.resolve(1)), /limit must be/);
});
