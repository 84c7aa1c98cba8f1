// The Japanese translation is complete: every string the extension passes to vscode.l10n.t (a literal in
// src/vscode/**), and every one core and host pass to core's installed translator (l10n.t in src/core/**, src/host/**), has an entry in l10n/bundle.l10n.ja.json with the same {n} placeholders; every %key% of
// package.json is in package.nls.json and package.nls.ja.json (same placeholders, same keys); the Japanese is
// Japanese; the VSIX ships the files (.vscodeignore).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '../../..');
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');
const json = (p: string) => JSON.parse(read(p)) as Record<string, string>;

/** l10n.t('…') / l10n.t("…") first arguments (the same reading as scripts/l10n.mjs) */
function l10nKeys(dir: string): Map<string, string> {
  const keys = new Map<string, string>(); // key -> first file using it
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      for (const [k, f] of l10nKeys(p)) if (!keys.has(k)) keys.set(k, f);
    } else if (name.endsWith('.ts')) {
      for (const m of readFileSync(p, 'utf8').matchAll(/l10n\.t\(\s*('(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`)/g)) {
        assert.notEqual(m[1], '`', `${p}: l10n.t with a template literal cannot be translated (use '…{0}…', arg)`);
        const k = m[1].slice(1, -1).replace(/\\(.)/g, (_, c: string) => ({ n: '\n', t: '\t' })[c] ?? c);
        if (!keys.has(k)) keys.set(k, p);
      }
    }
  }
  return keys;
}

const placeholders = (s: string) => [...new Set(s.match(/\{\d+\}/g) ?? [])].sort();
// kana, kanji, or Japanese punctuation (a line joined with 、 is written for Japanese readers)
const japanese = /[\u3000-\u303f\u3040-\u30ff\u4e00-\u9fff]/;

test('every l10n.t string in src/vscode, src/core and src/host has a Japanese entry that keeps its {n} placeholders', () => {
  const core = l10nKeys(join(ROOT, 'src/core'));
  const host = l10nKeys(join(ROOT, 'src/host'));
  const keys = new Map([...core, ...host, ...l10nKeys(join(ROOT, 'src/vscode'))]);
  const ja = json('l10n/bundle.l10n.ja.json');
  assert.ok(keys.size > 100, `only ${keys.size} l10n.t strings found`);
  assert.ok(core.size > 50, `only ${core.size} l10n.t strings found in src/core`);
  assert.ok(host.size > 50, `only ${host.size} l10n.t strings found in src/host`);
  for (const [k, file] of keys) {
    assert.ok(k in ja, `${file}: ${JSON.stringify(k)} has no entry in l10n/bundle.l10n.ja.json`);
    assert.deepEqual(placeholders(ja[k]), placeholders(k), `placeholders of ${JSON.stringify(k)} → ${JSON.stringify(ja[k])}`);
    assert.match(ja[k], japanese, `${JSON.stringify(k)} → ${JSON.stringify(ja[k])} is not Japanese`);
  }
  for (const k of Object.keys(ja)) assert.ok(keys.has(k), `l10n/bundle.l10n.ja.json: ${JSON.stringify(k)} is used nowhere`);
});

test('package.json: every user-visible string is a %key% of package.nls.json and package.nls.ja.json', () => {
  const pkg = read('package.json');
  const en = json('package.nls.json');
  const ja = json('package.nls.ja.json');
  const used = [...pkg.matchAll(/"%([^%"]+)%"/g)].map((m) => m[1]);
  assert.deepEqual([...new Set(used)].sort(), Object.keys(en).sort(), 'package.nls.json has exactly the keys package.json uses');
  assert.deepEqual(Object.keys(ja).sort(), Object.keys(en).sort(), 'package.nls.ja.json has the same keys');
  for (const k of Object.keys(en)) {
    assert.deepEqual(placeholders(ja[k]), placeholders(en[k]), k);
    // command links of the welcome text stay as they are
    assert.deepEqual(ja[k].match(/\(command:[^)]+\)/g), en[k].match(/\(command:[^)]+\)/g), k);
    if (en[k] !== 'ConoHa IPv6') assert.match(ja[k], japanese, `${k}: ${ja[k]}`);
  }
  const p = JSON.parse(pkg) as { contributes: { commands: { title: string; category: string }[] }; l10n: string };
  for (const c of p.contributes.commands) assert.match(`${c.title} ${c.category}`, /^%[^%]+% %[^%]+%$/, `${c.title}: a title and category from package.nls`);
  assert.equal(p.l10n, './l10n');
  assert.equal(ja['command.prepareHost.title'], 'ホストを準備');
  assert.equal(ja['command.assignAddress.title'], 'コンテナーに IPv6 を割り当て');
});

test('the VSIX ships package.nls*.json and the l10n bundle', () => {
  const ignore = read('.vscodeignore').split('\n');
  for (const f of ['!package.nls.json', '!package.nls.ja.json', '!l10n/bundle.l10n.ja.json']) assert.ok(ignore.includes(f), f);
});
