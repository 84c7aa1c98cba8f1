// The error contract: exit codes, what became of the host, and structured actions, the same for every caller.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EXIT, InputError, RefusedError, RolledBackError, SnapshotError, StepFailedError, TransportError, changedText, exitCodeOf } from '../../src/core/errors';
import { stepFailure } from '../../src/host/operations';
import type { Step } from '../../src/core/plan';
import type { HostSnapshot } from '../../src/core/snapshot';

test('exit codes: refusals and bad input 2 (nothing changed), connection 3, failed steps and rollbacks 1, bugs 1', () => {
  assert.equal(exitCodeOf(new InputError('x')), EXIT.refused);
  assert.equal(exitCodeOf(new RefusedError('x')), EXIT.refused);
  assert.equal(exitCodeOf(new TransportError('connect', 'x')), EXIT.connection);
  assert.equal(exitCodeOf(new SnapshotError('x')), EXIT.failed);
  assert.equal(exitCodeOf(new RolledBackError('x')), EXIT.failed);
  assert.equal(exitCodeOf(new TypeError('a bug')), EXIT.failed);
  assert.equal(changedText(new RefusedError('x')), 'Nothing was changed.');
  assert.equal(new RefusedError('x').name, 'RefusedError');
  // an unknown host key carries the action to trust it; other transport errors carry none by default
  assert.deepEqual(new TransportError('host-key-unknown', 'x').actions, [{ id: 'trust-host-key' }]);
  assert.deepEqual(new TransportError('host-key-changed', 'x').actions, []);
});

const steps: Step[] = ['forwarding', 'proxy-ndp', 'routes', 'radvd-conf'].map((id) => ({ id, title: `the ${id} step`, script: 'true' }));
const after = {} as HostSnapshot;

test('a failed step is exit 1, names the failed step and every step that stayed applied (not "nothing was changed")', () => {
  const e = stepFailure('prepare', steps, { ok: false, after, results: [
    { id: 'forwarding', rc: 0, ms: 1, output: '' },
    { id: 'proxy-ndp', rc: 0, ms: 1, output: '' },
    { id: 'routes', rc: 2, ms: 1, output: 'RTNETLINK answers: File exists\n' },
  ] }, [{ id: 'prepare' }])!;
  assert.ok(e instanceof StepFailedError);
  assert.equal(e.exitCode, 1);
  assert.equal(e.changed, 'partial');
  assert.equal(changedText(e), '');
  assert.equal(e.failed.id, 'routes');
  assert.deepEqual(e.applied, ['the forwarding step', 'the proxy-ndp step']);
  assert.match(e.message, /prepare stopped at step "the routes step": RTNETLINK answers: File exists\. These steps stayed applied: the forwarding step; the proxy-ndp step\./);
  assert.doesNotMatch(e.message, /nothing was changed/i);
  assert.deepEqual(e.actions, [{ id: 'prepare' }]);
  assert.equal(e.after, after);
});

test('a first step that fails changed nothing; a script cut short names the step it never reached', () => {
  const first = stepFailure('releasing x', steps.slice(0, 1), { ok: false, after, results: [{ id: 'forwarding', rc: 1, ms: 1, output: 'no' }] })!;
  assert.equal(first.changed, 'nothing');
  assert.match(first.message, /No step before it had changed anything/);
  const cut = stepFailure('prepare', steps, { ok: false, after, results: [{ id: 'forwarding', rc: 0, ms: 1, output: '' }] }) as StepFailedError;
  assert.equal(cut.failed.id, 'proxy-ndp');
  assert.equal(cut.changed, 'partial');
  assert.equal(stepFailure('prepare', steps, { ok: true, after, results: [] }), undefined);
});

test("the agent's refusal (another client took the address meanwhile) is a refusal: exit 2, nothing changed", () => {
  const bind: Step[] = [{ id: 'bind', title: 'bind A to c2', script: 'true' }];
  const e = stepFailure('binding A to c2', bind, { ok: false, after, results: [{ id: 'bind', rc: 2, ms: 1, output: 'conoha-ipv6-agent: A is already bound to c1\n' }] }, undefined, true)!;
  assert.ok(e instanceof RefusedError);
  assert.equal(e.exitCode, 2);
  assert.equal(e.message, 'A is already bound to c1');
  // the same exit code from a step that is not the agent's (ip exits 2 on any error) is a failed step
  assert.ok(stepFailure('binding A to c2', bind, { ok: false, after, results: [{ id: 'bind', rc: 2, ms: 1, output: 'RTNETLINK' }] }) instanceof StepFailedError);
});
