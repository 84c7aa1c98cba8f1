// The operations with the host's mode taken into account (the VS Code commands use these): the same signatures and
// results as operations.ts, dispatched to docker mode (nativeOperations.ts) when the host records it or the host
// setting asks for it, and to radvd mode otherwise; prepare with the other mode switches modes. Each reads the host
// once (readHost: its mode, its snapshot, docker mode's facts when needed) and hands that read to the mode's code.
import { Check } from '../core/checks';
import { HostConfig, Overrides } from '../core/config';
import { RefusedError } from '../core/errors';
import { l10n } from '../core/l10n';
import { HostMode, NativeFacts } from '../core/nativePlan';
import { judgeNative } from '../core/nativeChecks';
import { HostSnapshot } from '../core/snapshot';
import { UnprepareOptions } from '../core/unprepare';
import * as radvd from './operations';
import { HostRead, readHost, nativeArtifacts, nativeAssign, nativePrepare, nativeRelease, nativeStatus, nativeUnprepare, nativeVerify, switchToRadvd } from './nativeOperations';
import { Transport } from './transport';

export type { AssignResult, PrepareResult, ReleaseResult, UnprepareResult, VerifyResult } from './operations';

/** the docker-mode facts read with a snapshot, for whoever judges that snapshot later (the sidebar) */
const factsOf = new WeakMap<HostSnapshot, NativeFacts>();

/** Checks for a snapshot an operation brought back: docker mode's when the facts came with it, else undefined. */
export function nativeChecksOf(s: HostSnapshot, c: HostConfig): Check[] | undefined {
  const f = factsOf.get(s);
  return f && f.confText !== undefined ? judgeNative(s, f, c, nativeArtifacts) : undefined;
}

/** the docker-mode facts read with a snapshot (undefined: none, or a radvd-mode host) */
export function nativeFactsOf(s: HostSnapshot): NativeFacts | undefined {
  const f = factsOf.get(s);
  return f && f.confText !== undefined ? f : undefined;
}

export interface ModeStatus extends radvd.StatusResult {
  /** what the host records (undefined: not prepared) */
  mode?: HostMode;
  checks?: Check[];
}

export async function status(t: Transport, o: Overrides, obs?: radvd.Observer): Promise<ModeStatus> {
  const first = await readHost(t, o, obs);
  if (!first.facts) return { ...(await radvd.status(t, o, obs, first.snapshot)), mode: first.recorded };
  const r = await nativeStatus(t, o, obs, first);
  factsOf.set(r.snapshot, r.facts);
  return { snapshot: r.snapshot, config: r.config, configError: r.configError, mode: r.mode, checks: r.mode === 'docker' && r.config ? judgeNative(r.snapshot, r.facts, r.config, nativeArtifacts) : undefined };
}

export async function prepare(t: Transport, o: Overrides, opts: radvd.PrepareOptions = {}, obs?: radvd.Observer): Promise<radvd.PrepareResult> {
  const first = await readHost(t, o, obs);
  if (first.mode === 'docker') {
    const r = await nativePrepare(t, o, opts, obs, first);
    if (r.outcome) factsOf.set(r.outcome.after, (r.outcome as radvd.ApplyOutcome & { facts: NativeFacts }).facts);
    return r;
  }
  return first.recorded === 'docker' ? switchToRadvd(t, o, opts, obs, first) : radvd.prepare(t, o, opts, obs, first.snapshot);
}

/** the mode to work in, refused when the setting asks for the mode the host is not in (prepare switches) */
export function workingMode(o: Overrides, first: HostRead): HostMode {
  const { mode, recorded } = first;
  if (o.mode && recorded && o.mode !== recorded) throw new RefusedError(l10n.t('the host is prepared in {0} mode, not {1} mode: prepare it in {1} mode first (that switches modes), or leave the mode unset', recorded, o.mode), [{ id: 'prepare' }]);
  return mode;
}

export async function assign(t: Transport, o: Overrides, container: string, address?: string, obs?: radvd.Observer): Promise<radvd.AssignResult> {
  const first = await readHost(t, o, obs);
  if (workingMode(o, first) !== 'docker') return radvd.assign(t, o, container, address, obs, undefined, first.snapshot);
  const r = await nativeAssign(t, o, container, address, obs, first);
  if (r.outcome) factsOf.set(r.outcome.after, r.outcome.facts);
  return r;
}

export async function release(t: Transport, o: Overrides, target: string, obs?: radvd.Observer): Promise<radvd.ReleaseResult> {
  const first = await readHost(t, o, obs);
  if (workingMode(o, first) !== 'docker') return radvd.release(t, o, target, obs, first.snapshot);
  const r = await nativeRelease(t, o, target, obs, first);
  factsOf.set(r.outcome.after, r.outcome.facts);
  return r;
}

export async function verify(t: Transport, o: Overrides, obs?: radvd.Observer, vo: radvd.VerifyOptions = {}): Promise<radvd.VerifyResult> {
  // read as radvd mode's verify reads (pinging what the host records as bound, probing outwards); docker mode reads
  // again only to ping its containers' addresses
  const first = await readHost(t, o, obs, 'bound', vo.probe);
  if (workingMode(o, first) !== 'docker') return radvd.verify(t, o, obs, vo, first.snapshot);
  const r = await nativeVerify(t, o, obs, { port: vo.port }, first);
  factsOf.set(r.snapshot, r.facts);
  return r;
}

export async function unprepare(t: Transport, o: Overrides, opts: UnprepareOptions & { dryRun?: boolean; onPlan?: radvd.PrepareOptions['onPlan'] } = {}, obs?: radvd.Observer): Promise<radvd.UnprepareResult> {
  const first = await readHost(t, o, obs);
  return first.recorded === 'docker' ? nativeUnprepare(t, o, opts, obs, first) : radvd.unprepare(t, o, opts, obs, first.snapshot);
}
