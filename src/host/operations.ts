// The operations a user runs on a host, shared by the CLI and the VS Code extension:
// status, prepare, assign, release and verify. Each reads the host in one round trip, decides in the
// core, and applies (when anything changes) in one more round trip that also returns a fresh snapshot.
import { composeSnippet, snippetTarget } from '../core/compose';
import { Check, bindingCheck, checksOfAddress, judgeHost } from '../core/checks';
import { HostConfig, Overrides, resolveHostConfig } from '../core/config';
import { AGENT_REFUSALS, EXIT as HOST_EXIT } from '../core/hostContract';
import { Action, Civ6Error, InputError, RefusedError, RolledBackError, SnapshotError, StepFailedError } from '../core/errors';
import { l10n } from '../core/l10n';
export { RolledBackError } from '../core/errors';
import { Plan, Step, planAssign, planHostSetup, planRelease } from '../core/plan';
import { UnprepareOptions, planUnprepare } from '../core/unprepare';
import { DEFAULT_ROLLBACK_SECONDS, confirmScript, rollbackNowScript, validRollbackSeconds } from '../core/rollback';
import { HostSnapshot, parseSnapshot } from '../core/snapshot';
import { ProbeTarget } from '../core/probe';
import { MARKERS } from '../core/hostContract';
import { PingTargets, StepResult, applyScript, artifacts, parseStepResults, snapshotScript } from './scripts';
import { inboundMessage, tcpReach } from './reach';
import { RunResult, Transport } from './transport';

export interface Observer {
  /** a remote step finished (or a round trip): for logs */
  log?(line: string): void;
}

async function runScript(t: Transport, script: string, what: string, obs?: Observer, timeoutMs?: number): Promise<string> {
  const r = await t.run(script, { timeoutMs });
  obs?.log?.(`${what}: exit ${r.code} in ${r.ms} ms (${t.description})`);
  if (r.code !== 0) throw new SnapshotError(l10n.t('{0} failed on the host (exit {1}): {2}', what, String(r.code), r.stderr.trim() || r.stdout.slice(0, 400)));
  return r.stdout;
}

export async function readSnapshot(t: Transport, ping: PingTargets = [], obs?: Observer, probe?: ProbeTarget): Promise<HostSnapshot> {
  return parseSnapshot(await runScript(t, snapshotScript(ping, probe), 'snapshot', obs));
}

export interface ApplyOutcome {
  results: StepResult[];
  after: HostSnapshot;
  ok: boolean;
}

async function apply(t: Transport, steps: Step[], ping: PingTargets, obs?: Observer): Promise<ApplyOutcome> {
  // installing radvd with apt can take minutes on a slow mirror; everything else takes seconds
  const timeoutMs = steps.some((x) => x.id === 'radvd-install') ? 900_000 : 180_000;
  const out = await runScript(t, applyScript(steps, ping), `apply ${steps.length} step(s)`, obs, timeoutMs);
  const results = parseStepResults(out);
  for (const r of results) obs?.log?.(`  step ${r.id}: ${r.rc === null ? 'not run' : `exit ${r.rc}`} (${r.ms} ms)${r.output.trim() ? ': ' + r.output.trim().replace(/\n/g, ' | ') : ''}`);
  const after = parseSnapshot(out.slice(out.indexOf(MARKERS.snapshot)));
  return { results, after, ok: results.length === steps.length && results.every((r) => r.rc === 0) };
}

/** The agent's exit codes for "refused before changing anything": a binding taken meanwhile, a damaged host.conf,
 * a container gone, stopped or off the bridge, or another change holding the host's lock. */
/**
 * A failed apply as the error every caller shows: which step failed, which stayed applied (exit 1). A first step
 * run by the agent that refused (AGENT_REFUSALS) changed nothing: that is a refusal (exit 2), as if we had
 * refused it ourselves; another client got there first.
 */
export function stepFailure(operation: string, steps: Step[], o: ApplyOutcome, actions?: Action[], agentSteps = false): Civ6Error | undefined {
  if (o.ok) return undefined;
  const bad = o.results.find((r) => r.rc !== 0 && r.rc !== null);
  if (agentSteps && bad?.rc != null && AGENT_REFUSALS.includes(bad.rc) && o.results.every((r) => r === bad || r.rc !== 0)) {
    const busy = bad.rc === HOST_EXIT.busy;
    return new RefusedError(bad.output.trim().replace(/^conoha-ipv6-agent: /gm, '') || l10n.t('{0} was refused on the host', operation), actions ?? (busy ? [{ id: 'retry' }] : []));
  }
  const title = (id: string) => steps.find((x) => x.id === id)?.title ?? id;
  // a step the script never reached (the connection or the script broke) is reported as the failed one
  const failedId = bad?.id ?? steps.at(o.results.length)?.id ?? steps.at(-1)?.id ?? 'apply';
  const applied = o.results.filter((r) => r.rc === 0).map((r) => title(r.id));
  return new StepFailedError(operation, { id: failedId, title: title(failedId), output: bad?.output ?? l10n.t('the host stopped before this step ran') }, applied, actions, o.after);
}

export interface StatusResult {
  snapshot: HostSnapshot;
  config?: HostConfig;
  /** why the config could not be resolved (host without IPv6, misfit address...) */
  configError?: string;
  /** what the user can do about configError */
  configActions?: Action[];
}

export async function status(t: Transport, o: Overrides, obs?: Observer, first?: HostSnapshot): Promise<StatusResult> {
  const snapshot = first ?? (await readSnapshot(t, [], obs));
  try {
    return { snapshot, config: resolveHostConfig(snapshot, o) };
  } catch (e) {
    if (!(e instanceof InputError || e instanceof RefusedError)) throw e;
    return { snapshot, configError: e.message, configActions: e.actions };
  }
}

/** The compose-file snippet (labels, networks) for a container or a compose service: composeSnippet. */
export async function composeSnippetOf(t: Transport, o: Overrides, target: string, obs?: Observer, first?: HostSnapshot): Promise<{ container: string; text: string }> {
  const snapshot = first ?? (await readSnapshot(t, [], obs));
  const k = snippetTarget(snapshot, target);
  return { container: k.name, text: composeSnippet(snapshot, k, o.bridge ?? snapshot.recorded?.bridge ?? 'docker0') };
}

export interface PrepareResult {
  before: HostSnapshot;
  config: HostConfig;
  plan: Plan;
  /** undefined for a dry run or an empty plan */
  outcome?: ApplyOutcome;
  /** how the change was confirmed over a new connection (commit-confirmed) */
  confirmation?: Confirmation;
  checks: Check[];
}

export interface PrepareOptions {
  dryRun?: boolean;
  /** sees the plan before anything changes; returning false stops there, true goes on after the host is read
   * again (the UI asks the user, who may take a while), nothing goes on at once (the CLI prints it) */
  onPlan?: (p: Plan, c: HostConfig) => unknown; // false, true, or anything else (a promise of them is awaited)
  /** commit-confirmed: opens a NEW connection to the host after the change. Without it no rollback is armed. */
  reconnect?: () => Promise<Transport>;
  /** seconds until the host rolls its network back by itself unless the new connection confirms (default 60) */
  rollbackSeconds?: number;
}

export interface Confirmation {
  /** 'confirmed': a new connection reached the host and disarmed the rollback; 'rolled-back': it could not, and
   * the host restores its network settings by itself (or already did) */
  outcome: 'confirmed' | 'rolled-back' | 'not-armed';
  detail: string;
}

function samePlan(a: Plan, b: Plan): boolean {
  const key = (p: Plan) => JSON.stringify(p.steps.map((x) => [x.id, x.title]));
  return key(a) === key(b);
}

export async function prepare(t: Transport, o: Overrides, opts: PrepareOptions = {}, obs?: Observer, first?: HostSnapshot): Promise<PrepareResult> {
  const seconds = opts.rollbackSeconds ?? DEFAULT_ROLLBACK_SECONDS;
  if (!validRollbackSeconds(seconds)) throw new InputError(l10n.t('the rollback time must be 10-3600 seconds, not {0}', seconds));
  const planOpts = { rollbackSeconds: opts.reconnect ? seconds : undefined };
  let before = first ?? (await readSnapshot(t, [], obs));
  let config = resolveHostConfig(before, o);
  let plan = planHostSetup(before, config, artifacts, planOpts);
  const go = await opts.onPlan?.(plan, config);
  if (opts.dryRun || plan.steps.length === 0 || go === false) {
    return { before, config, plan, checks: judgeHost(before, config, artifacts) };
  }
  if (go === true) {
    // someone took time to decide (onPlan answered): plan again from the host as it is now, and apply only what
    // was shown (a CLI that only prints the plan answers nothing, and goes on at once)
    const now = await readSnapshot(t, [], obs);
    const again = planHostSetup(now, resolveHostConfig(now, o), artifacts, planOpts);
    if (!samePlan(plan, again)) {
      const steps = again.steps.map((x) => x.id).join(', ');
      throw new RefusedError(
        steps ? l10n.t('{0} changed while the plan was shown (now: {1}): review the new plan', now.hostname, steps) : l10n.t('{0} changed while the plan was shown (now: nothing to do): review the new plan', now.hostname),
        [{ id: 'prepare' }],
      );
    }
    before = now;
    config = resolveHostConfig(now, o);
    plan = again;
  }
  const armed = plan.steps.some((x) => x.id === 'arm-rollback');
  let outcome: ApplyOutcome;
  try {
    outcome = await apply(t, plan.steps, [], obs);
  } catch (e) {
    if (!armed || !opts.reconnect) throw e;
    // the connection broke during the change: roll back now if the host can be reached again, else it will by itself
    const r = await rollbackNow(opts.reconnect, obs);
    throw new RolledBackError(l10n.t('the connection to {0} broke during prepare ({1}); {2}', before.hostname, (e as Error).message, r), [{ id: 'verify' }, { id: 'prepare' }]);
  }
  const armStep = outcome.results.find((x) => x.id === 'arm-rollback');
  let confirmation: Confirmation = { outcome: 'not-armed', detail: l10n.t('no rollback was armed') };
  if (armStep?.rc === 0 && opts.reconnect) {
    confirmation = await confirmChange(opts.reconnect, seconds, obs);
    if (confirmation.outcome === 'rolled-back') throw new RolledBackError(l10n.t('prepare changed {0}, but {1}', before.hostname, confirmation.detail), [{ id: 'verify' }, { id: 'prepare' }]);
  }
  const failed = stepFailure(l10n.t('prepare'), plan.steps, outcome, [{ id: 'prepare' }]);
  if (failed) throw failed;
  return { before, config, plan, outcome, confirmation, checks: judgeHost(outcome.after, config, artifacts) };
}

/** One script over a NEW connection (closed afterwards): its result, or why no connection could be made. */
async function overNewConnection(reconnect: () => Promise<Transport>, script: string, timeoutMs: number, what: string, obs?: Observer): Promise<{ r: RunResult; who: string } | { error: Error }> {
  let t2: Transport | undefined;
  try {
    t2 = await reconnect();
    const r = await t2.run(script, { timeoutMs });
    obs?.log?.(`${what} over a new connection: exit ${r.code} in ${r.ms} ms: ${r.stdout.trim()}`);
    return { r, who: t2.description };
  } catch (e) {
    obs?.log?.(`${what} over a new connection failed: ${(e as Error).message}`);
    return { error: e as Error };
  } finally {
    await t2?.close().catch(() => undefined);
  }
}

/** The host can still be reached after the change: a new connection disarms the rollback. */
async function confirmChange(reconnect: () => Promise<Transport>, seconds: number, obs?: Observer): Promise<Confirmation> {
  const x = await overNewConnection(reconnect, confirmScript(), 15_000, 'confirm', obs);
  if ('error' in x) {
    return { outcome: 'rolled-back', detail: l10n.t('no new connection could be made after the change ({0}): the host restores its previous network settings by itself within {1} s of the change; check how you reach it, then prepare again', x.error.message, seconds) };
  }
  if (x.r.code === 0) return { outcome: 'confirmed', detail: confirmedDetail(x.who) };
  return { outcome: 'rolled-back', detail: notConfirmedDetail(x.r, seconds) };
}

/** a new connection confirmed the change (`who`: its transport's description) */
export const confirmedDetail = (who: string): string => l10n.t('a new connection reached the host and confirmed the change ({0})', who);

/** the confirmation ran but failed: the armed rollback fires */
export const notConfirmedDetail = (r: RunResult, seconds: number): string =>
  l10n.t('the new connection could not confirm the change ({0}): the host restores its previous network settings by itself within {1} s of the change', (r.stdout + r.stderr).trim(), seconds);

/** The apply was cut short: roll back at once over a new connection, if one can be made. */
async function rollbackNow(reconnect: () => Promise<Transport>, obs?: Observer): Promise<string> {
  const x = await overNewConnection(reconnect, rollbackNowScript(), 30_000, 'rollback', obs);
  if ('error' in x) return l10n.t('no new connection could be made ({0}): the host restores its previous network settings by itself when the armed time runs out', x.error.message);
  if (x.r.code === 0 && x.r.stdout.includes('not-armed')) return l10n.t('a new connection found no rollback armed any more (the host rebooted, or the rollback already ran): check it with verify, then prepare again');
  return x.r.code === 0 ? l10n.t('a new connection rolled the network settings back at once; prepare again when the cause is fixed') : l10n.t('rolling back over a new connection failed ({0}); the armed rollback still fires by itself', x.r.stdout.trim());
}

export interface AssignResult {
  address: string;
  container: string;
  changed: boolean;
  outcome?: ApplyOutcome;
  checks: Check[];
}

export async function assign(t: Transport, o: Overrides, container: string, address?: string, obs?: Observer, network?: string, first?: HostSnapshot): Promise<AssignResult> {
  const before = first ?? (await readSnapshot(t, [], obs));
  const config = resolveHostConfig(before, o);
  const p = planAssign(before, config, artifacts, container, address, network);
  if (!p.changes || !p.step) {
    return { address: p.address, container: p.container.name, changed: false, checks: checksOfAddress(judgeHost(before, config, artifacts), p.address) };
  }
  const outcome = await apply(t, [p.step], [p.address], obs);
  const failed = stepFailure(l10n.t('binding {0} to {1}', p.address, p.container.name), [p.step], outcome, undefined, true);
  if (failed) throw failed;
  return { address: p.address, container: p.container.name, changed: true, outcome, checks: checksOfAddress(judgeHost(outcome.after, config, artifacts), p.address) };
}


export interface UnprepareResult {
  before: HostSnapshot;
  plan: Plan;
  /** undefined for a dry run or when the user said no */
  outcome?: ApplyOutcome;
}

/** Undo Host Setup: back to the host as previous.json and the backups recorded it. */
export async function unprepare(t: Transport, o: Overrides, opts: UnprepareOptions & { dryRun?: boolean; onPlan?: PrepareOptions['onPlan'] } = {}, obs?: Observer, first?: HostSnapshot): Promise<UnprepareResult> {
  const before = first ?? (await readSnapshot(t, [], obs));
  const config = resolveHostConfig(before, o);
  const plan = planUnprepare(before, config, artifacts, opts);
  const go = await opts.onPlan?.(plan, config);
  if (opts.dryRun || go === false) return { before, plan };
  const outcome = await apply(t, plan.steps, [], obs);
  const failed = stepFailure(l10n.t('undoing the setup'), plan.steps, outcome, [{ id: 'unprepare', releaseAll: opts.releaseAll }]);
  if (failed) throw failed;
  return { before, plan, outcome };
}

export interface ReleaseResult {
  released: { address: string; container: string }[];
  outcome: ApplyOutcome;
}

export async function release(t: Transport, o: Overrides, target: string, obs?: Observer, first?: HostSnapshot): Promise<ReleaseResult> {
  const before = first ?? (await readSnapshot(t, [], obs));
  const config = resolveHostConfig(before, o);
  const p = planRelease(before, config, artifacts, target);
  const outcome = await apply(t, p.steps, [], obs);
  const failed = stepFailure(l10n.t('releasing {0}', target), p.steps, outcome, undefined, true);
  if (failed) throw failed;
  return { released: p.bindings, outcome };
}

export interface VerifyResult {
  snapshot: HostSnapshot;
  config: HostConfig;
  checks: Check[];
  ok: boolean;
}

export interface VerifyOptions {
  /** outbound: from each bound container, a TCP connect to address:port (a ping without a port) */
  probe?: ProbeTarget;
  /** inbound: from this machine, a TCP connect to each bound address on this port */
  port?: number;
}

/** One round trip: the snapshot script also pings every address the host has recorded as bound, and probes
 * outwards from each bound container; then, with a port, a TCP connection from here to each bound address. */
export async function verify(t: Transport, o: Overrides, obs?: Observer, vo: VerifyOptions = {}, first?: HostSnapshot): Promise<VerifyResult> {
  // `first`: a read made with the same pings ('bound') and probe
  const snapshot = first ?? (await readSnapshot(t, 'bound', obs, vo.probe));
  const config = resolveHostConfig(snapshot, o);
  const checks = judgeHost(snapshot, config, artifacts, { port: vo.port });
  if (vo.port) {
    const port = vo.port;
    const reached = await Promise.all(snapshot.bindings.map(async (b) => ({ b, r: await tcpReach(b.address, port) })));
    for (const { b, r } of reached) {
      obs?.log?.(`tcp [${b.address}]:${port} from here: ${r.ok ? 'ok' : 'failed'} (${r.ms} ms): ${r.detail}`);
      checks.push(
        bindingCheck('inbound', b.address, b.container, r.ok, inboundMessage(b.container, b.address, port, r)),
      );
    }
  }
  return { snapshot, config, checks, ok: checks.every((c) => c.ok) };
}
