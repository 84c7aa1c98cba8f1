// radvd.conf: find the interface stanzas, and add ours without touching anybody else's.
export interface RadvdInterface {
  name: string;
  /** AdvSendAdvert on */
  advertises: boolean;
  /** inside our managed block */
  managed: boolean;
}

export const MANAGED_BEGIN = '# BEGIN conoha-ipv6 (managed by conoha-ipv6; edits inside this block are replaced)';
export const MANAGED_END = '# END conoha-ipv6';
/** a BEGIN line of any version of ours */
const MANAGED_BEGIN_PREFIX = '# BEGIN conoha-ipv6';
/** the BEGIN line of a block the agent adds for another Docker network's bridge (agent.sh sync_radvd): it keeps
 * those blocks itself, adding and removing them as bindings come and go; prepare leaves them be */
export const NETWORK_BEGIN_PREFIX = '# BEGIN conoha-ipv6 network ';

function stripComments(text: string): string {
  return text.replace(/#[^\n]*/g, '');
}

/** The text at brace depth 0: the options of a stanza without its prefix/route/clients blocks, however nested. */
function topLevel(text: string): string {
  let depth = 0;
  let out = '';
  for (const ch of text) {
    if (ch === '{') depth++;
    else if (ch === '}') depth = Math.max(0, depth - 1);
    else if (depth === 0) out += ch;
  }
  return out;
}

/** Top-level `interface NAME { ... };` stanzas with whether they send adverts. */
export function parseRadvdConf(text: string): RadvdInterface[] {
  const out: RadvdInterface[] = [];
  const found = findManagedBlocks(text);
  const scan = (body: string, managed: boolean) => {
    const src = stripComments(body);
    const re = /\binterface\s+([^\s{]+)\s*\{/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(src))) {
      // find the matching closing brace
      let depth = 1;
      let i = re.lastIndex;
      for (; i < src.length && depth > 0; i++) {
        if (src[i] === '{') depth++;
        else if (src[i] === '}') depth--;
      }
      const inner = src.slice(re.lastIndex, depth === 0 ? i - 1 : i);
      // only options at the interface level (not inside prefix/route blocks) decide AdvSendAdvert
      out.push({ name: m[1], advertises: /\bAdvSendAdvert\s+on\s*;/i.test(topLevel(inner)), managed });
      re.lastIndex = i;
    }
  };
  scan(cut(text, found.blocks), false);
  for (const [a, b] of found.blocks) scan(text.slice(a, b), true);
  return out;
}

interface ManagedBlocks {
  /** [start, end) of each block of ours, from its BEGIN line to after its END line */
  blocks: [number, number][];
  /** why the blocks cannot be told apart from the user's text (a BEGIN without its END) */
  broken?: string;
}

/**
 * Our blocks, by whole marker lines. A BEGIN whose END was lost (hand edits, a truncated write) is taken back
 * only when what follows it is exactly the stanza we write; anything else there may be the user's, so the
 * block is reported broken rather than guessed at: a guess that runs to a later END deletes user stanzas.
 */
function findManagedBlocks(text: string): ManagedBlocks {
  const lines: { start: number; end: number; text: string }[] = [];
  for (let at = 0; at < text.length; ) {
    const nl = text.indexOf('\n', at);
    const end = nl < 0 ? text.length : nl + 1;
    lines.push({ start: at, end, text: text.slice(at, nl < 0 ? text.length : nl).replace(/\r$/, '').trim() });
    at = end;
  }
  const blocks: [number, number][] = [];
  const isBegin = (t: string) => t === MANAGED_BEGIN_PREFIX || t.startsWith(MANAGED_BEGIN_PREFIX + ' ');
  for (let i = 0; i < lines.length; i++) {
    if (!isBegin(lines[i].text)) continue;
    let j = i + 1;
    while (j < lines.length && lines[j].text !== MANAGED_END && !isBegin(lines[j].text)) j++;
    if (j < lines.length && lines[j].text === MANAGED_END) {
      // we write one stanza; more between the markers means the END is not ours (a lost BEGIN elsewhere)
      const stanzas = stripComments(text.slice(lines[i].end, lines[j].start)).match(/\binterface\s+[^\s{]+\s*\{/g) ?? [];
      if (stanzas.length > 1) {
        return {
          blocks,
          broken: `/etc/radvd.conf has ${stanzas.length} interface stanzas between the "${MANAGED_BEGIN_PREFIX}" and "${MANAGED_END}" lines, where conoha-ipv6 writes one; move your own stanzas out of that block and run prepare again`,
        };
      }
      blocks.push([lines[i].start, lines[j].end]);
      i = j;
      continue;
    }
    // the END is lost: recover our own stanza, exactly as managedStanza wrote it, and nothing more
    const ours = /^interface [A-Za-z0-9_.-]{1,15} \{\n {2}AdvSendAdvert on;\n\};\n/.exec(text.slice(lines[i].end));
    if (!ours) {
      return {
        blocks,
        broken: `/etc/radvd.conf has a "${MANAGED_BEGIN_PREFIX}" line without its "${MANAGED_END}" line after it; conoha-ipv6 cannot tell its own block from your stanzas there: put the "${MANAGED_END}" line back after our interface stanza (or delete our block) and run prepare again`,
      };
    }
    const end = lines[i].end + ours[0].length;
    blocks.push([lines[i].start, end]);
    while (i + 1 < lines.length && lines[i + 1].start < end) i++;
  }
  return { blocks };
}

function cut(text: string, blocks: [number, number][]): string {
  let out = '';
  let at = 0;
  for (const [a, b] of blocks) {
    out += text.slice(at, a);
    at = b;
  }
  return out + text.slice(at);
}

export function managedStanza(bridge: string): string {
  return `${MANAGED_BEGIN}\ninterface ${bridge} {\n  AdvSendAdvert on;\n};\n${MANAGED_END}\n`;
}

/**
 * The radvd.conf the host should have: the current text with our block for `bridge` (replacing an older
 * block of ours), unless the user's own stanza already advertises on the bridge, which we then leave be.
 * A user stanza for the bridge that does NOT advertise is a conflict we refuse to edit.
 */
export function desiredRadvdConf(current: string | undefined, bridge: string): { text: string; conflict?: string } {
  const found = findManagedBlocks(current ?? '');
  if (found.broken) return { text: current ?? '', conflict: found.broken };
  // the agent's blocks for other networks' bridges stay, always last (where the agent appends them: agent.sh sync_radvd)
  const text = current ?? '';
  const network = found.blocks.filter(([a]) => text.startsWith(NETWORK_BEGIN_PREFIX, a)).map(([a, b]) => text.slice(a, b)).join('');
  const base = cut(text, found.blocks);
  const own = parseRadvdConf(base).find((i) => i.name === bridge);
  const sep = base === '' || base.endsWith('\n') ? '' : '\n';
  if (own?.advertises) return { text: base + (network ? sep + network : '') }; // the user's own stanza serves; drop an old block of ours
  if (own) return { text: current ?? '', conflict: `/etc/radvd.conf already has a stanza for ${bridge} without "AdvSendAdvert on"; add it there (or remove that stanza) and run prepare again` };
  return { text: base + sep + managedStanza(bridge) + network };
}
