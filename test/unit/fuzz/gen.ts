// Generators for the fuzz tests: IPv6 addresses in their many textual forms, names, and a reference
// (RFC 5952) formatter written independently of ip-address, to check the project's canonical forms against.
import { Rng } from './prng';

export type Hextets = number[];

/** RFC 5952: lowercase, no leading zeros, the longest run (leftmost on a tie) of two or more zero groups as "::". */
export function rfc5952(h: Hextets): string {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (h[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && h[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = h.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

export function randomHextets(r: Rng): Hextets {
  const h = Array.from({ length: 8 }, () => (r.chance(0.3) ? r.int(0, 15) : r.int(0, 0xffff)));
  if (r.chance(0.6)) {
    const start = r.int(0, 7);
    const len = r.int(1, 8 - start);
    h.fill(0, start, start + len);
  }
  return h;
}

/** A global unicast address (2000::/3) that is not all zeros in its last 64 bits. */
export function randomGlobal(r: Rng): Hextets {
  const h = randomHextets(r);
  h[0] = 0x2000 + r.int(0, 0x1fff);
  return h;
}

function hexText(r: Rng, x: number, pad: 'none' | 'full' | 'random'): string {
  const t = x.toString(16);
  const width = pad === 'full' ? 4 : pad === 'random' ? r.int(t.length, 4) : t.length;
  return t.padStart(width, '0');
}

function mixCase(r: Rng, t: string): string {
  const mode = r.int(0, 2);
  if (mode === 0) return t;
  if (mode === 1) return t.toUpperCase();
  return Array.from(t).map((c) => (r.chance(0.5) ? c.toUpperCase() : c)).join('');
}

/** One textual form of the address: expanded, padded, compressed at any zero run, embedded IPv4, any case. */
export function ipv6Text(r: Rng, h: Hextets): string {
  const pad = r.pick(['none', 'full', 'random'] as const);
  const v4 = r.chance(0.2);
  const groups = (v4 ? h.slice(0, 6) : h).map((x) => hexText(r, x, pad));
  // "::" may stand for any run of one or more zero groups, not only the longest
  const zeroRuns: [number, number][] = [];
  for (let i = 0; i < groups.length; i++) {
    if ((v4 ? h.slice(0, 6) : h)[i] !== 0) continue;
    for (let j = i + 1; j <= groups.length && (v4 ? h.slice(0, 6) : h)[j - 1] === 0; j++) zeroRuns.push([i, j]);
  }
  let text: string;
  if (zeroRuns.length && r.chance(0.7)) {
    const [a, b] = r.pick(zeroRuns);
    const left = groups.slice(0, a).join(':');
    const right = groups.slice(b).join(':');
    text = v4 ? `${left}::${right}${right ? ':' : ''}` : `${left}::${right}`;
  } else {
    text = groups.join(':') + (v4 ? ':' : '');
  }
  if (v4) text += [h[6] >> 8, h[6] & 0xff, h[7] >> 8, h[7] & 0xff].join('.');
  return mixCase(r, text);
}

export const IFNAME_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-';

/** A valid interface name that will not occur by chance in a script's fixed text (upper case, digit, punctuation). */
export function distinctiveIfname(r: Rng): string {
  for (;;) {
    const n = r.pick('ABCDEFGHIJKLMNOPQRSTUVWXYZ') + r.string(IFNAME_CHARS, 3, 11) + r.pick('_.-') + String(r.int(0, 9));
    if (n !== '.' && n !== '..') return n;
  }
}

/** A valid Docker container name with every allowed character well represented, optionally with a leading "/". */
export function containerName(r: Rng): string {
  const first = r.pick('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789');
  return (r.chance(0.2) ? '/' : '') + first + r.string(r.chance(0.5) ? '_.-' : IFNAME_CHARS, 0, r.chance(0.1) ? 127 : 20);
}
