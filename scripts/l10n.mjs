// The strings the extension passes to vscode.l10n.t (string literals in src/vscode/**/*.ts) and core and host pass to
// core's installed translator (l10n.t in src/core/**/*.ts and src/host/**/*.ts, shown by the extension and the CLI), the keys of
// l10n/bundle.l10n.<lang>.json. `node scripts/l10n.mjs` lists the keys l10n/bundle.l10n.ja.json lacks (exit 1 when
// any), and keys it has that the code no longer uses. No dependency: test/unit/l10n.test.ts uses the same reader.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The literal first arguments of l10n.t(...) in the TypeScript files under `dir`. */
export function l10nKeys(dir) {
  const keys = new Set();
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.ts')) for (const k of keysIn(readFileSync(p, 'utf8'))) keys.add(k);
    }
  };
  walk(dir);
  return [...keys].sort();
}

/** l10n.t('…' or "…": a JS string literal without ${}) in one file's text */
export function keysIn(text) {
  const out = [];
  for (const m of text.matchAll(/l10n\.t\(\s*('(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")/g)) {
    const lit = m[1];
    out.push(lit.slice(1, -1).replace(/\\(.)/g, (_, c) => ({ n: '\n', t: '\t' })[c] ?? c));
  }
  return out;
}

/** where the translated messages are written */
export const L10N_DIRS = ['src/vscode', 'src/core', 'src/host'];

/** {0}, {1}… in a message */
export const placeholders = (s) => [...new Set(s.match(/\{\d+\}/g) ?? [])].sort();

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = new URL('..', import.meta.url).pathname;
  const keys = [...new Set(L10N_DIRS.flatMap((d) => l10nKeys(join(root, d))))].sort();
  const ja = JSON.parse(readFileSync(join(root, 'l10n/bundle.l10n.ja.json'), 'utf8'));
  const missing = keys.filter((k) => !(k in ja));
  const unused = Object.keys(ja).filter((k) => !keys.includes(k));
  for (const k of missing) console.log(`missing: ${JSON.stringify(k)}`);
  for (const k of unused) console.log(`unused: ${JSON.stringify(k)}`);
  console.log(`${keys.length} keys, ${missing.length} missing, ${unused.length} unused`);
  process.exitCode = missing.length ? 1 : 0;
}
