// The walkthrough (package.json contributes.walkthroughs): each step's page ships in the VSIX, its buttons run
// commands the extension has, and it completes on a context key the extension really sets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const nls = (lang: string): Record<string, string> => JSON.parse(readFileSync(join(ROOT, lang ? `package.nls.${lang}.json` : 'package.nls.json'), 'utf8'));
/** a manifest string as shown in a language: its %key% looked up */
const shown = (text: string, lang = '') => text.replace(/^%(.+)%$/, (_, k: string) => nls(lang)[k] ?? `(no ${lang || 'en'} text for ${k})`);
const src = (dir: string): string => readdirSync(join(ROOT, dir), { withFileTypes: true }).map((e) => (e.isDirectory() ? src(join(dir, e.name)) : e.name.endsWith('.ts') ? readFileSync(join(ROOT, dir, e.name), 'utf8') : '')).join('\n');
const code = src('src/vscode');

test('the walkthrough: add, look, prepare, assign, verify; pages shipped, commands real, completion from real state', () => {
  const [w, ...more] = pkg.contributes.walkthroughs;
  assert.equal(more.length, 0);
  assert.deepEqual(w.steps.map((s: { id: string }) => s.id), ['addHost', 'check', 'prepare', 'assign', 'verify']);
  const commands = new Set(pkg.contributes.commands.map((c: { command: string }) => c.command));
  const shipped = readFileSync(join(ROOT, '.vscodeignore'), 'utf8');
  for (const s of w.steps) {
    const page = s.media.markdown;
    assert.ok(existsSync(join(ROOT, page)), page);
    assert.ok(shipped.includes(`!${page}`) || shipped.includes('!media/walkthrough/*.md'), `${page} is left out of the VSIX`);
    const links = [...shown(s.description).matchAll(/\(command:([\w.]+)\)/g)].map((m) => m[1]);
    assert.ok(links.length > 0, s.id);
    for (const c of links) assert.ok(commands.has(c), `${s.id} links ${c}, which is not a command`);
    // in Japanese too: its own words, the same buttons
    const ja = shown(s.description, 'ja');
    assert.match(shown(s.title, 'ja'), /[\u3040-\u30ff\u4e00-\u9fff]/, `${s.id} has no Japanese title`);
    assert.deepEqual([...ja.matchAll(/\(command:([\w.]+)\)/g)].map((m) => m[1]), links, `${s.id}: the Japanese buttons differ`);
    for (const e of s.completionEvents) {
      const key = /^onContext:([\w.]+)$/.exec(e)?.[1];
      assert.ok(key, `${s.id}: ${e} (steps complete on what is true, not on a command being run)`);
      assert.ok(code.includes(`'setContext', '${key}'`), `${s.id} waits for ${key}, which nothing sets`);
    }
  }
});
