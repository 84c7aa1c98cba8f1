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

function stripComments(text: string): string {
  return text.replace(/#[^\n]*/g, '');
}

/** Top-level `interface NAME { ... };` stanzas with whether they send adverts. */
export function parseRadvdConf(text: string): RadvdInterface[] {
  const out: RadvdInterface[] = [];
  const managedText = managedBlock(text) ?? '';
  const scan = (body: string, managed: boolean) => {
    const src = stripComments(body);
    const re = /interface\s+([^\s{]+)\s*\{/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(src))) {
      // find the matching closing brace
      let depth = 1;
      let i = re.lastIndex;
      for (; i < src.length && depth > 0; i++) {
        if (src[i] === '{') depth++;
        else if (src[i] === '}') depth--;
      }
      const inner = src.slice(re.lastIndex, i - 1);
      // only options at the interface level (not inside prefix/route blocks) decide AdvSendAdvert
      const flat = inner.replace(/\{[^{}]*\}/g, '');
      out.push({ name: m[1], advertises: /\bAdvSendAdvert\s+on\s*;/i.test(flat), managed });
      re.lastIndex = i;
    }
  };
  scan(removeManagedBlock(text), false);
  scan(managedText, true);
  return out;
}

function managedBlock(text: string): string | undefined {
  const a = text.indexOf(MANAGED_BEGIN);
  const b = text.indexOf(MANAGED_END);
  return a >= 0 && b > a ? text.slice(a + MANAGED_BEGIN.length, b) : undefined;
}

function removeManagedBlock(text: string): string {
  const a = text.indexOf(MANAGED_BEGIN);
  const b = text.indexOf(MANAGED_END);
  if (a < 0 || b < a) return text;
  let end = b + MANAGED_END.length;
  if (text[end] === '\n') end++;
  return text.slice(0, a) + text.slice(end);
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
  const base = removeManagedBlock(current ?? '');
  const own = parseRadvdConf(base).find((i) => i.name === bridge);
  if (own?.advertises) return { text: base }; // the user's own stanza serves; drop an old block of ours
  if (own) return { text: current ?? '', conflict: `/etc/radvd.conf already has a stanza for ${bridge} without "AdvSendAdvert on"; add it there (or remove that stanza) and run prepare again` };
  const sep = base === '' || base.endsWith('\n') ? '' : '\n';
  return { text: base + sep + managedStanza(bridge) };
}
