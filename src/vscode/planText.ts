// The Show Plan document: what Prepare Host would change, as Markdown for the preview. Pure (no vscode), so the unit
// tests render it: per step its title, why it is needed, the files it writes and the commands it runs, without the
// tool's internal shell helpers (civ6_*), and with fences that no content from the host can close early. Its words go
// through core's translator (vscode.l10n once the extension is active), like the step titles and whys it frames.
import type { HostConfig } from '../core/config';
import { l10n } from '../core/l10n';
import type { Plan, Step, StepFile } from '../core/plan';
import { PATHS } from '../core/hostContract';

/** a fence longer than any run of backticks in the text (at least three), so the text cannot end the block */
export function fenceFor(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((r) => r.length));
  return '`'.repeat(Math.max(3, longest + 1));
}

/** a fenced code block holding `text` as is */
export function fenced(text: string, lang = ''): string {
  const f = fenceFor(text);
  return `${f}${lang}\n${text.endsWith('\n') ? text : text + '\n'}${f}`;
}

/** text from the host or the plan in running Markdown: characters that would format, link or open HTML are escaped */
export function escapeInline(text: string): string {
  return text.replace(/[\\`*_[\]<>|#~]/g, (c) => '\\' + c);
}

// civ6_write PATH MODE 'BASE64' (the path quoted by shq, or bare)
const WRITE = /civ6_write ('[^']*'|\S+) ([0-7]{3,4}) '([A-Za-z0-9+/=]*)'/g;
const unquote = (p: string) => (p.startsWith("'") && p.endsWith("'") ? p.slice(1, -1) : p);

/** what a line using one of the tool's other helpers does, in words (the line is shown as a comment) */
const HELPER_LINES: [RegExp, () => string][] = [[/civ6_radvd_pids/, () => l10n.t('wait up to 3 s until radvd runs; if it does not, stop and say where its log is')]];

/** A step's commands without internal helper names, and the files its script writes that the step does not list
 * (decoded from the script). */
export function readableScript(step: Step): { script: string; files: StepFile[] } {
  const listed = new Set((step.files ?? []).map((f) => f.path));
  const extra: StepFile[] = [];
  const script = step.script
    .replace(WRITE, (_m, p: string, mode: string, b64: string) => {
      const path = unquote(p);
      if (!listed.has(path)) extra.push({ path, mode, content: Buffer.from(b64, 'base64').toString('utf8') });
      return l10n.t('write {0} (mode {1})', path, mode);
    })
    .split('\n')
    .map((line) => {
      if (!/civ6_/i.test(line)) return line;
      const known = HELPER_LINES.find(([re]) => re.test(line));
      return `# ${known ? known[1]() : l10n.t('a check by conoha-ipv6')}`;
    })
    .join('\n');
  return { script, files: extra };
}

/** a file's content as the plan shows it: the tool's own programs (full of its internal helpers) are named, not shown */
function fileBlock(f: StepFile): string[] {
  const lines = f.content.split('\n').length - (f.content.endsWith('\n') ? 1 : 0);
  const path = `\`${f.path}\``;
  if (f.path === PATHS.agent || /civ6_/i.test(f.content)) {
    const own =
      f.path === PATHS.agent
        ? l10n.t('Writes {0} (mode {1}): the conoha-ipv6 agent itself, {2} lines of shell, not shown here.', path, f.mode, lines)
        : l10n.t('Writes {0} (mode {1}): the conoha-ipv6 program itself, {2} lines of shell, not shown here.', path, f.mode, lines);
    return [own, ''];
  }
  const head = lines === 1 ? l10n.t('Writes {0} (mode {1}, 1 line):', path, f.mode) : l10n.t('Writes {0} (mode {1}, {2} lines):', path, f.mode, lines);
  return [head, '', fenced(f.content), ''];
}

function stepBlock(step: Step, i: number): string[] {
  const r = readableScript(step);
  return [
    `## ${i + 1}. ${escapeInline(step.title)}`,
    '',
    ...(step.why ? [l10n.t('*Why:* {0}', escapeInline(step.why)), ''] : []),
    ...[...(step.files ?? []), ...r.files].flatMap(fileBlock),
    l10n.t('Runs on the host (as root):'),
    '',
    fenced(r.script, 'sh'),
    '',
  ];
}

/** The plan as a Markdown document (for the rendered preview). */
export function planMarkdown(host: string, c: HostConfig, plan: Plan): string {
  const n = plan.steps.length;
  return [
    l10n.t('# Prepare Host plan for {0} (dry run: nothing was changed)', escapeInline(host)),
    '',
    escapeInline(
      c.prefix
        ? l10n.t('uplink {0}, gateway {1}, bridge {2}, {3} addresses ({4})', c.uplink, c.gateway, c.bridge, c.addresses.length, c.prefix)
        : l10n.t('uplink {0}, gateway {1}, bridge {2}, {3} addresses', c.uplink, c.gateway, c.bridge, c.addresses.length),
    ),
    '',
    n === 0 ? l10n.t('Nothing to change: the host is already prepared.') : n === 1 ? l10n.t('1 change:') : l10n.t('{0} changes:', n),
    '',
    ...plan.steps.map((x, i) => `${i + 1}. ${escapeInline(x.title)}`),
    '',
    ...plan.notes.flatMap((note) => [l10n.t('> **Note:** {0}', escapeInline(note)), '']),
    ...plan.steps.flatMap(stepBlock),
  ].join('\n');
}

/** "1 change", "3 changes" */
export function changes(n: number): string {
  return n === 1 ? l10n.t('1 change') : l10n.t('{0} changes', n);
}

/** a why cut to its first sentence (ended by ". " or a Japanese 。), and that to `max` characters at a word */
export function shortWhy(why: string, max = 220): string {
  const first = /^.*?(?:\.(?=\s|$)|。)/.exec(why)?.[0] ?? why;
  const s = first.replace(/[.。]$/, '');
  if (s.length <= max) return s;
  const cut = s.slice(0, max - 1);
  return `${cut.slice(0, Math.max(cut.lastIndexOf(' '), max / 2))}…`;
}

/** the steps in the Prepare confirmation: each numbered title, its why (short) under it */
export function confirmLines(steps: Step[]): string {
  return steps.map((x, i) => `${i + 1}. ${x.title}${x.why ? `\n    ${shortWhy(x.why)}` : ''}`).join('\n');
}
