// Docker-native mode's operations (mode "docker"), shared by the CLI and the extension: status, prepare (also the
// switch from radvd mode), assign, release, verify, unprepare (also the switch back to radvd mode). Each reads the host
// in one round trip (the main snapshot and the docker-mode facts together), decides in src/core/nativePlan.ts, and
// applies in one more round trip that returns both again.
import { createHash } from 'node:crypto';
import nativeAgentScript from './scripts/nativeAgent.sh';
import nativeFactsLib from './scripts/nativeFacts.sh';
import { Check } from '../core/checks';
import { HostConfig, Overrides, resolveHostConfig } from '../core/config';
import { InputError, RefusedError, RolledBackError, SnapshotError, StepFailedError } from '../core/errors';
import { l10n } from '../core/l10n';
import { shellPreamble } from '../core/hostPreamble';
import { MARKERS, PATHS } from '../core/hostContract';
import { shq } from '../core/shell';
import { HostMode, NATIVE, NativeArtifacts, NativeFacts, nativeShellVars, parseNativeFacts, planNativeAssign, planNativePrepare, planNativeRelease, planNativeUnprepare, recordedMode } from '../core/nativePlan';
import { judgeNative } from '../core/nativeChecks';
import { Plan, Step } from '../core/plan';
import { planUnprepare } from '../core/unprepare';
import { DEFAULT_ROLLBACK_SECONDS, confirmScript, validRollbackSeconds } from '../core/rollback';
import { HostSnapshot, parseSnapshot } from '../core/snapshot';
import { ApplyOutcome, Confirmation, Observer, PrepareOptions, PrepareResult, confirmedDetail, notConfirmedDetail, prepare as prepareRadvd } from './operations';
import { ProbeTarget } from '../core/probe';
import { PingTargets, applyScript, artifacts, parseStepResults, snapshotScript } from './scripts';
import { inboundMessage, tcpReach } from './reach';
import { Transport } from './transport';

/** the installed script: its shebang, the generated preamble, the docker-mode names, its body */
export function nativeAgentText(): string {
  const nl = nativeAgentScript.indexOf('\n');
  return nativeAgentScript.slice(0, nl + 1) + shellPreamble() + nativeShellVars() + nativeAgentScript.slice(nl + 1);
}
const agent = nativeAgentText();
export const nativeArtifacts: NativeArtifacts = { agent, agentSha256: createHash('sha256').update(agent).digest('hex') };

const factsScript = () => `{\n${shellPreamble()}${nativeShellVars()}${nativeFactsLib}\nciv6_native_facts\n}\n`;

export interface NativeView {
  snapshot: HostSnapshot;
  facts: NativeFacts;
}

async function run(t: Transport, script: string, what: string, obs?: Observer, timeoutMs = 180_000): Promise<string> {
  const r = await t.run(script, { timeoutMs });
  obs?.log?.(`${what}: exit ${r.code} in ${r.ms} ms (${t.description})`);
  if (r.code !== 0) throw new SnapshotError(l10n.t('{0} failed on the host (exit {1}): {2}', what, String(r.code), r.stderr.trim() || r.stdout.slice(0, 400)));
  return r.stdout;
}

/** one round trip: the main snapshot (pinging `ping` from the host) and the docker-mode facts */
export async function readNative(t: Transport, obs?: Observer, ping: PingTargets = []): Promise<NativeView> {
  const out = await run(t, snapshotScript(ping) + factsScript(), 'snapshot (docker mode)', obs);
  return { snapshot: parseSnapshot(out), facts: parseNativeFacts(out) };
}

/** A host as one round trip reads it: the mode it records, its snapshot, and docker mode's facts when they were read. */
export interface HostRead {
  /** the mode to work in: the user's setting, else what the host records, else radvd */
  mode: HostMode;
  /** what the host records (undefined: not prepared) */
  recorded?: HostMode;
  snapshot: HostSnapshot;
  /** read when the host is in docker mode or the setting asks for it */
  facts?: NativeFacts;
}

/**
 * One round trip for every command: which mode the host is in (a few file tests and, only when docker mode's file
 * is absent, one `docker network inspect`), the snapshot (pinging `ping` from the host, probing `probe`), and docker
 * mode's facts when that is the host's mode or the one asked for. A radvd-mode host pays nothing for docker mode.
 */
export async function readHost(t: Transport, o: Overrides, obs?: Observer, ping: PingTargets = [], probe?: ProbeTarget): Promise<HostRead> {
  const wantFacts = o.mode === 'docker';
  const script = `${MODE_SCRIPT}${snapshotScript(ping, probe)}if ${wantFacts ? 'true' : '[ "$civ6_mode" = docker ]'}; then\n${factsScript()}fi\n`;
  const out = await run(t, script, 'snapshot', obs);
  const m = /^civ6-mode (docker|radvd|none)$/m.exec(out)?.[1];
  if (!m) throw new SnapshotError(l10n.t('the host did not say which mode it is in: {0}', out.slice(0, 200)));
  const recorded = m === 'none' ? undefined : (m as HostMode);
  const snapshot = parseSnapshot(out);
  return { mode: o.mode ?? recorded ?? 'radvd', recorded, snapshot, ...(wantFacts || recorded === 'docker' ? { facts: parseNativeFacts(out) } : {}) };
}

/** the snapshot and docker mode's facts of a read that has them, else read them now */
async function viewOf(t: Transport, obs: Observer | undefined, first: HostRead | undefined): Promise<NativeView> {
  return first?.facts ? { snapshot: first.snapshot, facts: first.facts } : readNative(t, obs);
}

/**
 * What recordedMode (nativePlan.ts) decides from, printed as "civ6-mode MODE" (docker, radvd, none): file tests, and
 * `docker network inspect` only on a host with neither mode's files (a switch cut short between removing one mode's
 * files and writing docker mode's conf leaves the labelled network; radvd mode's files and that network together are a
 * state no switch leaves, since a switch undoes the old mode first), so a prepared host pays no docker call for it.
 */
const MODE_SCRIPT = [
  '{',
  'civ6_mode=none',
  `{ [ -r ${shq(PATHS.hostConf)} ] || [ -r ${shq(PATHS.agent)} ]; } && civ6_mode=radvd`,
  `if [ -r ${shq(NATIVE.conf)} ]; then civ6_mode=docker`,
  `elif [ "$civ6_mode" = none ] && command -v docker >/dev/null 2>&1 && [ "$(docker network inspect ${shq(NATIVE.network)} --format '{{index .Labels "${NATIVE.label.split('=')[0]}"}}' 2>/dev/null)" = ${shq(NATIVE.label.split('=')[1])} ]; then civ6_mode=docker`,
  'fi',
  'echo "civ6-mode $civ6_mode"',
  '}',
  '',
].join('\n');

async function apply(t: Transport, steps: Step[], obs?: Observer, ping: PingTargets = []): Promise<ApplyOutcome & { facts: NativeFacts }> {
  const out = await run(t, applyScript(steps, ping) + factsScript(), `apply ${steps.length} step(s) (docker mode)`, obs, 600_000);
  const results = parseStepResults(out);
  for (const r of results) obs?.log?.(`  step ${r.id}: ${r.rc === null ? 'not run' : `exit ${r.rc}`} (${r.ms} ms)${r.output.trim() ? ': ' + r.output.trim().replace(/\n/g, ' | ') : ''}`);
  const after = parseSnapshot(out.slice(out.indexOf(MARKERS.snapshot)));
  return { results, after, facts: parseNativeFacts(out), ok: results.length === steps.length && results.every((r) => r.rc === 0) };
}

function failure(operation: string, steps: Step[], o: ApplyOutcome, actions = [{ id: 'prepare' as const }]): StepFailedError | undefined {
  if (o.ok) return undefined;
  const bad = o.results.find((r) => r.rc !== 0 && r.rc !== null);
  const title = (id: string) => steps.find((x) => x.id === id)?.title ?? id;
  const failedId = bad?.id ?? steps.at(o.results.length)?.id ?? 'apply';
  return new StepFailedError(operation, { id: failedId, title: title(failedId), output: bad?.output ?? l10n.t('the host stopped before this step ran') }, o.results.filter((r) => r.rc === 0).map((r) => title(r.id)), actions, o.after);
}

/** the change is confirmed over a NEW connection (commit-confirmed), else the armed rollback fires */
async function confirm(reconnect: () => Promise<Transport>, seconds: number, obs?: Observer): Promise<Confirmation> {
  let t2: Transport | undefined;
  try {
    t2 = await reconnect();
    const r = await t2.run(confirmScript(), { timeoutMs: 15_000 });
    obs?.log?.(`confirm over a new connection: exit ${r.code}: ${r.stdout.trim()}`);
    if (r.code === 0) return { outcome: 'confirmed', detail: confirmedDetail(t2.description) };
    return { outcome: 'rolled-back', detail: notConfirmedDetail(r, seconds) };
  } catch (e) {
    return { outcome: 'rolled-back', detail: l10n.t('no new connection could be made after the change ({0}): the host restores its previous network settings by itself within {1} s of the change', (e as Error).message, seconds) };
  } finally {
    await t2?.close().catch(() => undefined);
  }
}

export interface NativeStatus {
  snapshot: HostSnapshot;
  facts: NativeFacts;
  mode?: HostMode;
  config?: HostConfig;
  configError?: string;
}

export async function nativeStatus(t: Transport, o: Overrides, obs?: Observer, first?: HostRead): Promise<NativeStatus> {
  const { snapshot, facts } = await viewOf(t, obs, first);
  const mode = recordedMode(snapshot, facts);
  try {
    return { snapshot, facts, mode, config: resolveHostConfig(snapshot, o) };
  } catch (e) {
    return { snapshot, facts, mode, configError: (e as Error).message };
  }
}

export interface NativePrepareResult extends PrepareResult {
  /** the radvd-mode undo that ran first (switching modes), with its outcome */
  switched?: { plan: Plan; outcome?: ApplyOutcome };
}

const samePlan = (a: Plan, b: Plan) => JSON.stringify(a.steps.map((x) => [x.id, x.title])) === JSON.stringify(b.steps.map((x) => [x.id, x.title]));

/**
 * Prepare in docker mode. On a host prepared in radvd mode this is a switch: the plan shown is radvd mode's undo
 * (refused while addresses are bound there, unless releaseAll), then docker mode's prepare as planned from the host
 * now; after the undo has run, docker mode's prepare is planned again from the host as the undo left it.
 */
export async function nativePrepare(t: Transport, o: Overrides, opts: PrepareOptions & { releaseAll?: boolean } = {}, obs?: Observer, first?: HostRead): Promise<NativePrepareResult> {
  const seconds = opts.rollbackSeconds ?? DEFAULT_ROLLBACK_SECONDS;
  if (!validRollbackSeconds(seconds)) throw new InputError(l10n.t('the rollback time must be 10-3600 seconds, not {0}', seconds));
  const planOpts = { rollbackSeconds: opts.reconnect ? seconds : undefined };
  let { snapshot: before, facts } = await viewOf(t, obs, first);
  const config = resolveHostConfig(before, o);
  const switching = recordedMode(before, facts) === 'radvd';
  const undo = switching ? planUnprepare(before, config, artifacts, { releaseAll: opts.releaseAll }) : undefined;
  // as planned now: on a switch, from a host that still has radvd mode's state (the blockers about it are the undo's)
  const preview = (s: HostSnapshot) =>
    switching ? planNativePrepare({ ...s, files: { ...s.files, hostConf: undefined }, agent: { ...s.agent, sha256: undefined }, routes: s.routes.filter((r) => r.dev !== (s.recorded?.bridge ?? config.bridge)) }, facts, config, nativeArtifacts, planOpts) : planNativePrepare(s, facts, config, nativeArtifacts, planOpts);
  let plan: Plan = preview(before);
  const shown: Plan = undo ? { steps: [...undo.steps.map((x) => ({ ...x, id: `radvd-undo:${x.id}`, title: `(radvd mode, undo) ${x.title}` })), ...plan.steps], notes: [`switching ${before.hostname} from radvd mode to docker mode: radvd mode's setup is undone first, then docker mode's steps are planned again from the host as that leaves it`, ...undo.notes, ...plan.notes] } : plan;
  const go = await opts.onPlan?.(shown, config);
  if (opts.dryRun || shown.steps.length === 0 || go === false) return { before, config, plan: shown, checks: judgeNative(before, facts, config, nativeArtifacts) };
  if (go === true) {
    const now = await readNative(t, obs);
    const again = switching ? planUnprepare(now.snapshot, config, artifacts, { releaseAll: opts.releaseAll }) : preview(now.snapshot);
    if (!samePlan(undo ?? plan, again)) throw new RefusedError(l10n.t('{0} changed while the plan was shown: review the new plan', now.snapshot.hostname), [{ id: 'prepare' }]);
    before = now.snapshot;
    facts = now.facts;
    if (!switching) plan = again;
  }
  let switched: NativePrepareResult['switched'];
  if (undo) {
    const u = await apply(t, undo.steps, obs);
    switched = { plan: undo, outcome: u };
    const failed = failure(l10n.t('undoing radvd mode (switching to docker mode)'), undo.steps, u, [{ id: 'prepare' }]);
    if (failed) throw failed;
    before = u.after;
    facts = u.facts;
    plan = planNativePrepare(before, facts, config, nativeArtifacts, planOpts);
  }
  if (!plan.steps.length) return { before, config, plan, checks: judgeNative(before, facts, config, nativeArtifacts), switched };
  const outcome = await apply(t, plan.steps, obs);
  let confirmation: Confirmation = { outcome: 'not-armed', detail: l10n.t('no rollback was armed') };
  if (outcome.results.find((x) => x.id === 'arm-rollback')?.rc === 0 && opts.reconnect) {
    confirmation = await confirm(opts.reconnect, seconds, obs);
    if (confirmation.outcome === 'rolled-back') throw new RolledBackError(l10n.t('prepare changed {0}, but {1}', before.hostname, confirmation.detail), [{ id: 'verify' }, { id: 'prepare' }]);
  }
  const failed = failure(l10n.t('prepare (docker mode)'), plan.steps, outcome);
  if (failed) throw failed;
  return { before, config, plan, outcome, confirmation, checks: judgeNative(outcome.after, outcome.facts, config, nativeArtifacts), switched };
}

export interface NativeAssignResult {
  address: string;
  container: string;
  changed: boolean;
  outcome?: ApplyOutcome & { facts: NativeFacts };
  checks: Check[];
}

export async function nativeAssign(t: Transport, o: Overrides, container: string, address?: string, obs?: Observer, first?: HostRead): Promise<NativeAssignResult> {
  const { snapshot, facts } = await viewOf(t, obs, first);
  const config = resolveHostConfig(snapshot, o);
  const p = planNativeAssign(snapshot, facts, config, nativeArtifacts, container, address);
  const mine = (c: Check[]) => c.filter((x) => x.scope !== 'host' && x.address === p.address);
  if (!p.changes || !p.step) return { address: p.address, container: p.container, changed: false, checks: mine(judgeNative(snapshot, facts, config, nativeArtifacts)) };
  const outcome = await apply(t, [p.step], obs, [p.address]);
  const failed = failure(l10n.t('connecting {0} with {1}', p.container, p.address), [p.step], outcome, []);
  if (failed) throw failed;
  return { address: p.address, container: p.container, changed: true, outcome, checks: mine(judgeNative(outcome.after, outcome.facts, config, nativeArtifacts)) };
}

export async function nativeRelease(t: Transport, o: Overrides, target: string, obs?: Observer, first?: HostRead): Promise<{ released: { address: string; container: string }[]; outcome: ApplyOutcome & { facts: NativeFacts } }> {
  const { snapshot, facts } = await viewOf(t, obs, first);
  const config = resolveHostConfig(snapshot, o);
  const p = planNativeRelease(snapshot, facts, config, nativeArtifacts, target);
  const outcome = await apply(t, p.steps, obs);
  const failed = failure(l10n.t('releasing {0}', target), p.steps, outcome, []);
  if (failed) throw failed;
  return { released: p.released, outcome };
}

export interface NativeVerifyResult {
  snapshot: HostSnapshot;
  facts: NativeFacts;
  config: HostConfig;
  checks: Check[];
  ok: boolean;
}

/** One round trip (pinging every container address from the host), then with a port a TCP connection from here to each. */
export async function nativeVerify(t: Transport, o: Overrides, obs?: Observer, vo: { port?: number } = {}, first?: HostRead): Promise<NativeVerifyResult> {
  const view = await viewOf(t, obs, first);
  const held = view.facts.endpoints.flatMap((e) => { const a = e.fixed ?? e.address; return a ? [a] : []; });
  const { snapshot, facts } = held.length ? await readNative(t, obs, held) : view;
  const config = resolveHostConfig(snapshot, o);
  const checks = judgeNative(snapshot, facts, config, nativeArtifacts, { port: vo.port });
  if (vo.port) {
    const port = vo.port;
    for (const e of facts.endpoints) {
      const a = e.fixed ?? e.address;
      if (!a) continue;
      const r = await tcpReach(a, port);
      obs?.log?.(`tcp [${a}]:${port} from here: ${r.ok ? 'ok' : 'failed'} (${r.ms} ms): ${r.detail}`);
      checks.push({ id: `binding:${a}:inbound`, scope: 'binding', kind: 'inbound', address: a, container: e.container, ok: r.ok, message: inboundMessage(e.container, a, port, r) });
    }
  }
  return { snapshot, facts, config, checks, ok: checks.every((c) => c.ok) };
}

export interface NativeUnprepareResult {
  before: HostSnapshot;
  plan: Plan;
  outcome?: ApplyOutcome;
}

/** Undo docker mode's setup; with `then: 'radvd'` (switching modes) radvd mode's prepare follows. */
export async function nativeUnprepare(t: Transport, o: Overrides, opts: { dryRun?: boolean; releaseAll?: boolean; onPlan?: PrepareOptions['onPlan'] } = {}, obs?: Observer, first?: HostRead): Promise<NativeUnprepareResult> {
  const { snapshot: before, facts } = await viewOf(t, obs, first);
  const config = resolveHostConfig(before, o);
  const plan = planNativeUnprepare(before, facts, config, { releaseAll: opts.releaseAll });
  const go = await opts.onPlan?.(plan, config);
  if (opts.dryRun || go === false) return { before, plan };
  const outcome = await apply(t, plan.steps, obs);
  const failed = failure(l10n.t('undoing docker mode'), plan.steps, outcome, [{ id: 'unprepare', releaseAll: opts.releaseAll } as never]);
  if (failed) throw failed;
  return { before, plan, outcome };
}

/** Switch a docker-mode host to radvd mode: docker mode's undo (shown first), then radvd mode's prepare (its own plan). */
export async function switchToRadvd(t: Transport, o: Overrides, opts: PrepareOptions & { releaseAll?: boolean } = {}, obs?: Observer, first?: HostRead): Promise<PrepareResult & { undone: NativeUnprepareResult }> {
  const undone = await nativeUnprepare(t, o, { dryRun: opts.dryRun, releaseAll: opts.releaseAll, onPlan: opts.onPlan }, obs, first);
  if (!undone.outcome) return { before: undone.before, config: resolveHostConfig(undone.before, o), plan: undone.plan, checks: [], undone };
  const r = await prepareRadvd(t, o, opts, obs);
  return { ...r, undone };
}

export { NATIVE };
