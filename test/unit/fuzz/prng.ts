// A small seeded PRNG for the fuzz tests: every case gets its own generator from (run seed, property, case
// number), so a failure names FUZZ_SEED and the case, and `FUZZ_SEED=<seed> npm run test:unit` replays it.
// FUZZ_SEED=random picks a fresh seed per run; FUZZ_RUNS=<factor> multiplies the case counts.

export const SEED: number = (() => {
  const env = process.env.FUZZ_SEED;
  if (env === 'random') return (Math.random() * 2 ** 32) >>> 0;
  return env && /^\d+$/.test(env) ? Number(env) >>> 0 : 20261129;
})();
const FACTOR = Math.max(0.01, Number(process.env.FUZZ_RUNS ?? 1) || 1);

function hash(text: string, seed: number): number {
  let h = seed ^ 0x9e3779b9;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x85ebca6b) >>> 0;
  return (h ^ (h >>> 15)) >>> 0;
}

export class Rng {
  private a: number;
  constructor(seed: number) {
    this.a = seed >>> 0;
  }
  /** mulberry32: uniform in [0, 1) */
  next(): number {
    let t = (this.a = (this.a + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** integer in [lo, hi] */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T;
  pick(items: string): string;
  pick<T>(items: readonly T[] | string): T | string {
    return items[Math.floor(this.next() * items.length)];
  }
  /** a string of n characters drawn from alphabet */
  string(alphabet: string | readonly string[], lo: number, hi: number): string {
    const chars = typeof alphabet === 'string' ? Array.from(alphabet) : alphabet;
    let out = '';
    for (let n = this.int(lo, hi); n > 0; n--) out += this.pick(chars);
    return out;
  }
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }
}

/** Runs prop on `runs` generated cases; a failure is rethrown with the seed, the case and its input. */
export function forAll<T>(name: string, runs: number, gen: (r: Rng, i: number) => T, prop: (input: T, r: Rng) => void): number {
  const n = Math.max(1, Math.round(runs * FACTOR));
  for (let i = 0; i < n; i++) {
    const caseSeed = hash(`${name}#${i}`, SEED);
    const r = new Rng(caseSeed);
    const input = gen(r, i);
    try {
      prop(input, r);
    } catch (e) {
      // JSON.stringify gives undefined (not a string) for an undefined input
      const shown = input === undefined ? 'undefined' : JSON.stringify(input, (_k, v) => (typeof v === 'string' && v.length > 600 ? v.slice(0, 600) + `...(${v.length} chars)` : v));
      const err = new Error(`fuzz "${name}" failed: FUZZ_SEED=${SEED}, case ${i} (case seed ${caseSeed})\n  input: ${shown.slice(0, 2000)}\n  ${(e instanceof Error ? e.stack : undefined) ?? String(e)}`);
      throw err;
    }
  }
  return n;
}

/** Every character code 1..255, and a sample of the rest of Unicode (no lone surrogates: they are not text). */
export const BYTES = Array.from({ length: 255 }, (_, i) => String.fromCharCode(i + 1));
export const UNICODE = ['é', 'ß', '中', '文', '\u00a0', '\u2028', '\u2029', '\u200b', '\ufeff', '\u202e', '😀', '𝔘', '\u0301', '\uffff'];
export const SHELL_META = Array.from('|&;<>()$`\\"\' \t\n*?[]#~=%!{}^');
