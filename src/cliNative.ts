// The CLI's docker-mode commands (host setting "mode"): cli.ts hands a command here when the host is, or is to be,
// in docker mode, or when prepare switches modes; it returns undefined to let radvd mode's code run.
import { Check } from './core/checks';
import { HostConfig, Overrides } from './core/config';
import { HostMode, NATIVE, engineOf, nativeHolder } from './core/nativePlan';
import { nativeSnippetOf } from './core/compose';
import { Plan } from './core/plan';
import { ApplyOutcome, PrepareOptions } from './host/operations';
import { HostRead, nativeAssign, nativePrepare, nativeRelease, nativeStatus, nativeUnprepare, nativeVerify, switchToRadvd } from './host/nativeOperations';
import { workingMode } from './host/modeOperations';
import { Transport } from './host/transport';

export interface CliIo {
  out(s?: string): void;
  err(s: string): void;
  json(v: unknown): void;
  printPlan(host: string, p: Plan, c: HostConfig): void;
  printUndoPlan(host: string, p: Plan): void;
  printResults(p: Plan, o: ApplyOutcome): void;
  printChecks(checks: Check[], total?: number): void;
  describeConfig(c: HostConfig): string;
}

export interface NativeCommand {
  command: string;
  positional: string[];
  asJson: boolean;
  dryRun: boolean;
  releaseAll: boolean;
  port?: number;
  prepareOptions: Pick<PrepareOptions, 'reconnect' | 'rollbackSeconds'>;
}

/** The exit code when docker mode (or a switch between modes) handled the command; undefined: radvd mode runs it. */
export async function nativeCommand(t: Transport, o: Overrides, a: NativeCommand, io: CliIo, obs: { log?: (l: string) => void }, first: HostRead): Promise<number | undefined> {
  const name = t.description;
  const { mode, recorded } = first;
  const say = (m: HostMode | undefined) => (m ? `${m} mode` : 'not prepared');
  switch (a.command) {
    case 'compose-snippet': {
      if (recorded !== 'docker') return undefined;
      const r = await nativeStatus(t, o, obs, first);
      const { container, text } = nativeSnippetOf(r.snapshot, r.facts, a.positional[0]);
      if (a.asJson) io.json({ container, mode: 'docker', snippet: text });
      else io.out(text.trimEnd());
      return 0;
    }
    case 'status': {
      if (a.asJson || recorded !== 'docker') {
        if (!a.asJson) io.out(`mode: ${say(recorded)}`);
        return undefined;
      }
      const r = await nativeStatus(t, o, obs, first);
      const s = r.snapshot;
      io.out(`${s.hostname}: docker mode (Docker network ${NATIVE.network})`);
      io.out(`  docker: ${s.docker.ok ? s.docker.version : 'not answering: ' + s.docker.error}`);
      if (!r.config) {
        io.out(`  cannot work out the addresses: ${r.configError}`);
        return 0;
      }
      io.out(`  ${io.describeConfig({ ...r.config, bridge: NATIVE.bridge })}`);
      const prefix = r.facts.conf?.prefix ?? r.config.prefix;
      if (prefix) io.out(`  ${engineOf(s, prefix).summary}`);
      io.out(`  network ${NATIVE.network}: ${r.facts.network ? `${r.facts.network.subnets6.join(', ')}${r.facts.network.options['com.docker.network.bridge.gateway_mode_ipv6'] ? `, gateway mode ${r.facts.network.options['com.docker.network.bridge.gateway_mode_ipv6']}` : ''}` : 'missing'}`);
      const reserved = prefix ? engineOf(s, prefix).reserved : [];
      const uplink = r.config.uplink;
      for (const addr of r.facts.conf?.addresses ?? r.config.addresses) {
        const h = nativeHolder(r.facts, addr);
        const proxied = s.proxies.some((p) => p.address === addr && p.dev === uplink);
        io.out(`  ${addr.padEnd(40)} ${proxied ? 'proxy' : '-----'}  ${reserved.includes(addr) ? "Docker's own" : h ? `-> ${h.container}${h.running ? '' : ' (stopped)'}` : 'free'}`);
      }
      return 0;
    }
    case 'prepare': {
      if (mode === 'docker') {
        const r = await nativePrepare(t, o, { dryRun: a.dryRun, releaseAll: a.releaseAll, onPlan: a.asJson ? undefined : (p, c) => io.printPlan(`${name} (docker mode)`, p, { ...c, bridge: NATIVE.bridge }), ...a.prepareOptions }, obs, first);
        if (a.asJson) {
          io.json({ host: name, mode: 'docker', config: r.config, dryRun: a.dryRun, plan: r.plan.steps.map((s) => ({ id: s.id, title: s.title })), notes: r.plan.notes, results: r.outcome?.results ?? [], confirmation: r.confirmation ?? null, ok: true, checks: r.checks });
          return 0;
        }
        if (a.dryRun) {
          io.out('dry run: nothing was changed');
          return 0;
        }
        if (r.switched?.outcome) {
          io.out('Undone (radvd mode):');
          io.printResults(r.switched.plan, r.switched.outcome);
          io.printPlan(`${name} (docker mode, planned again after the undo)`, r.plan, { ...r.config, bridge: NATIVE.bridge });
        }
        if (!r.outcome) return 0;
        io.printResults(r.plan, r.outcome);
        if (r.confirmation && r.confirmation.outcome !== 'not-armed') io.out(`Confirmed: ${r.confirmation.detail}`);
        io.out('Checks after prepare (all of them: conoha-ipv6 verify):');
        io.printChecks(r.checks.filter((c) => !c.ok), r.checks.length);
        return 0;
      }
      if (recorded !== 'docker') return undefined;
      // radvd mode asked for on a docker-mode host: docker mode's undo, then radvd mode's prepare
      const r = await switchToRadvd(t, o, { dryRun: a.dryRun, releaseAll: a.releaseAll, onPlan: a.asJson ? undefined : (p, c) => io.printPlan(`${name} (switching to radvd mode: docker mode's undo first)`, p, c), ...a.prepareOptions }, obs, first);
      if (a.asJson) {
        io.json({ host: name, mode: 'radvd', undone: r.undone.plan.steps.map((s) => ({ id: s.id, title: s.title })), plan: r.plan.steps.map((s) => ({ id: s.id, title: s.title })), results: r.outcome?.results ?? [], ok: true });
        return 0;
      }
      if (a.dryRun) {
        io.out('dry run: nothing was changed (radvd mode\'s prepare is planned after the undo has run)');
        return 0;
      }
      if (r.undone.outcome) io.printResults(r.undone.plan, r.undone.outcome);
      io.printPlan(`${name} (radvd mode)`, r.plan, r.config);
      if (r.outcome) io.printResults(r.plan, r.outcome);
      io.printChecks(r.checks.filter((c) => !c.ok), r.checks.length);
      return 0;
    }
    case 'unprepare': {
      if (recorded !== 'docker') return undefined;
      const r = await nativeUnprepare(t, o, { dryRun: a.dryRun, releaseAll: a.releaseAll, onPlan: a.asJson ? undefined : (p) => io.printUndoPlan(`${name} (docker mode)`, p) }, obs, first);
      if (a.asJson) {
        io.json({ host: name, mode: 'docker', dryRun: a.dryRun, plan: r.plan.steps.map((s) => ({ id: s.id, title: s.title })), results: r.outcome?.results ?? [], ok: true });
        return 0;
      }
      if (a.dryRun || !r.outcome) {
        io.out('dry run: nothing was changed');
        return 0;
      }
      io.printResults(r.plan, r.outcome);
      io.out(`${name} is as it was before conoha-ipv6 prepared it.`);
      return 0;
    }
    case 'assign':
    case 'release':
    case 'verify': {
      if (workingMode(o, first) !== 'docker') return undefined;
      if (a.command === 'assign') {
        const r = await nativeAssign(t, o, a.positional[0], a.positional[1], obs, first);
        io.out(r.address);
        if (!r.changed) io.err(`${r.container} already holds ${r.address}: nothing changed\n`);
        for (const c of r.checks.filter((x) => !x.ok)) io.err(`warning: ${c.id}: ${c.message}\n`);
        return 0;
      }
      if (a.command === 'release') {
        const r = await nativeRelease(t, o, a.positional[0], obs, first);
        for (const b of r.released) io.out(`released ${b.address} from ${b.container}`);
        return 0;
      }
      const r = await nativeVerify(t, o, obs, { port: a.port }, first);
      if (a.asJson) io.json({ ok: r.ok, mode: 'docker', checks: r.checks });
      else {
        io.out(`Verify ${name} (docker mode): ${io.describeConfig({ ...r.config, bridge: NATIVE.bridge })}`);
        io.printChecks(r.checks);
      }
      return r.ok ? 0 : 1;
    }
  }
  return undefined;
}
