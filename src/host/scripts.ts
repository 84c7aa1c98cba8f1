// Builds the text sent to a host: the bundled shell scripts plus validated, quoted inputs. One script = one round trip.
import { createHash } from 'node:crypto';
import agentScript from './scripts/agent.sh';
import applyLib from './scripts/apply.sh';
import snapshotLib from './scripts/snapshot.sh';
import { Artifacts, Step } from '../core/plan';
import { shq } from '../core/shell';
import { ProbeTarget } from '../core/probe';
import { MARKERS, matches } from '../core/hostContract';
import { shellPreamble } from '../core/hostPreamble';

/** The agent as installed on the host: self-contained, its shebang, then the generated preamble, then its body. */
export function agentText(): string {
  const nl = agentScript.indexOf('\n');
  if (!agentScript.startsWith('#!')) throw new Error('agent.sh must start with its #! line');
  return agentScript.slice(0, nl + 1) + shellPreamble() + agentScript.slice(nl + 1);
}

const agent = agentText();
export const artifacts: Artifacts = {
  agent,
  agentSha256: createHash('sha256').update(agent).digest('hex'),
};

/**
 * The generated preamble as sent for one call: without its whole-line comments (the installed agent keeps them, for
 * whoever reads it on the host). snapshot.sh and apply.sh already come without theirs (scripts/esbuild-lean.mjs).
 * Safe because the preamble has no multi-line string with a line that starts with '#'; test/unit/hostContract.test.ts
 * holds that with bash -n and by comparing the functions and values bash defines from both.
 */
export const withoutComments = (text: string): string =>
  text
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .join('\n');
const sent = { preamble: withoutComments(shellPreamble()), snapshot: snapshotLib, apply: applyLib };

/** What the snapshot pings from the host: some (validated) addresses, or every address the host has recorded as bound. */
export type PingTargets = string[] | 'bound';

function pingLine(ping: PingTargets): string {
  return `CIV6_PING=${ping === 'bound' ? '@bound' : shq(ping.join(' '))}`;
}


function probeLine(probe?: ProbeTarget): string {
  return `CIV6_PROBE=${probe ? shq(probe.port ? `${probe.address} ${probe.port}` : probe.address) : "''"}`;
}

/** The whole script as one brace group: bash parses a compound command to its end before running any of it,
 * so a script cut short by a dropped connection is a syntax error that runs nothing, never its first half. */
function whole(body: string): string {
  return `{\n${body}\n}\n`;
}

export function snapshotScript(ping: PingTargets = [], probe?: ProbeTarget): string {
  return whole(`${sent.preamble}${pingLine(ping)}\n${probeLine(probe)}\n${sent.snapshot}\nciv6_snapshot`);
}

/** the steps, then a fresh snapshot, all in one script */
export function applyScript(steps: Step[], ping: PingTargets = []): string {
  const body = steps
    .map((s, i) => {
      const eof = `CIV6_BODY_${i}_END`;
      if (!matches('stepId', s.id)) throw new Error(`bad step id ${s.id}`);
      if (s.script.split('\n').includes(eof)) throw new Error(`step ${s.id} contains its own delimiter`);
      return `civ6_step ${s.id} <<'${eof}'\n${s.script}\n${eof}`;
    })
    .join('\n');
  // the preamble gives the steps what they may use (civ6_write, civ6_radvd_pids, the CIV6_* paths); the libraries
  // after it are the runner's and the snapshot's own
  return whole(`${sent.preamble}${pingLine(ping)}\n${probeLine()}\n${sent.snapshot}\n${sent.apply}\n${body}\necho ${MARKERS.snapshot}\nciv6_snapshot`);
}

export interface StepResult {
  id: string;
  /** null: not run, because an earlier step failed */
  rc: number | null;
  ms: number;
  output: string;
}

export function parseStepResults(stdout: string): StepResult[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith(`${MARKERS.step} `))
    .map((l) => {
      const j: unknown = JSON.parse(l.slice(MARKERS.step.length + 1));
      const f = (typeof j === 'object' && j !== null ? j : {}) as Record<string, unknown>;
      // apply.sh prints these; anything else (a damaged line) reads as a step that did not run
      return {
        id: typeof f.id === 'string' ? f.id : '?',
        rc: typeof f.rc === 'number' ? f.rc : null,
        ms: typeof f.ms === 'number' ? f.ms : 0,
        output: typeof f.out === 'string' ? Buffer.from(f.out, 'base64').toString('utf8') : '',
      };
    });
}
