// The CLI speaks the user's language: LC_ALL, else LC_MESSAGES, else LANG; ja… → Japanese, anything else English.
// The built CLI (dist/cli-main.js) is run as a user runs it, and what it prints is checked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { cliLang, cliMessages } from '../../src/cliMessages';

const CLI = join(__dirname, '../../../dist/cli-main.js');

function run(args: string[], locale: NodeJS.ProcessEnv) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !['LC_ALL', 'LC_MESSAGES', 'LANG', 'LANGUAGE'].includes(k)));
  return spawnSync(process.execPath, [CLI, ...args], { env: { ...env, ...locale }, encoding: 'utf8' });
}

test('LANG=ja_JP.UTF-8: the usage is Japanese; LANG=C: English', () => {
  const ja = run(['--help'], { LANG: 'ja_JP.UTF-8' });
  assert.equal(ja.status, 0);
  assert.match(ja.stdout, /^使い方:\n/);
  assert.match(ja.stdout, /conoha-ipv6 prepare --host H \[--dry-run\]/, 'commands and options stay as typed');
  assert.match(ja.stdout, /ホストを準備/);
  assert.doesNotMatch(ja.stdout, /usage:|the 16 extra addresses/);

  const en = run(['--help'], { LANG: 'C' });
  assert.equal(en.status, 0);
  assert.match(en.stdout, /^usage:\n/);
  assert.match(en.stdout, /the 16 extra addresses of a ConoHa host address/);
  assert.doesNotMatch(en.stdout, /[\u3040-\u30ff]/);
});

test('the error framing follows the locale: the message, then the usage, exit 2', () => {
  const ja = run(['frobnicate'], { LANG: 'ja_JP.UTF-8' });
  assert.equal(ja.status, 2);
  assert.match(ja.stderr, /^conoha-ipv6: 不明なコマンドです: "frobnicate" 何も変更していません。\n使い方:/);
  const jaHost = run(['status'], { LANG: 'ja_JP.UTF-8' });
  assert.match(jaHost.stderr, /^conoha-ipv6: status には --host \[user@\]host\[:port\] \(または --local\) が必要です/);

  const en = run(['frobnicate'], { LANG: 'C' });
  assert.equal(en.status, 2);
  assert.match(en.stderr, /^conoha-ipv6: unknown command "frobnicate" Nothing was changed\.\nusage:/);
});

test('LC_ALL wins over LC_MESSAGES, which wins over LANG; an empty one is skipped', () => {
  assert.equal(cliLang({ LANG: 'ja_JP.UTF-8' }), 'ja');
  assert.equal(cliLang({ LANG: 'ja' }), 'ja');
  assert.equal(cliLang({ LANG: 'C' }), 'en');
  assert.equal(cliLang({}), 'en');
  assert.equal(cliLang({ LANG: 'en_US.UTF-8' }), 'en');
  assert.equal(cliLang({ LANG: 'jam' }), 'en');
  assert.equal(cliLang({ LC_ALL: 'C', LANG: 'ja_JP.UTF-8' }), 'en');
  assert.equal(cliLang({ LC_ALL: 'ja_JP.eucJP', LANG: 'C' }), 'ja');
  assert.equal(cliLang({ LC_MESSAGES: 'ja_JP.UTF-8', LANG: 'C' }), 'ja');
  assert.equal(cliLang({ LC_ALL: '', LC_MESSAGES: 'ja_JP.UTF-8', LANG: 'C' }), 'ja');
  assert.equal(run(['--help'], { LC_ALL: 'C', LANG: 'ja_JP.UTF-8' }).stdout.split('\n')[0], 'usage:');
  assert.equal(run(['--help'], { LC_MESSAGES: 'ja_JP.UTF-8', LANG: 'C' }).stdout.split('\n')[0], '使い方:');
});

test('both tables say the same things: the same keys, and Japanese framing ("to fix:" is 対処:)', () => {
  const en = cliMessages('en');
  const ja = cliMessages('ja');
  assert.deepEqual(Object.keys(ja).filter((k) => k !== 'usage').sort(), Object.keys(en).sort());
  assert.deepEqual(Object.keys(ja.settingHint).sort(), Object.keys(en.settingHint).sort());
  assert.equal(en.toFix, 'to fix:');
  assert.equal(ja.toFix, '対処:');
  assert.equal(ja.checks(3, 1), 'チェック: 合格 3 件、不合格 1 件');
  assert.equal(en.checks(3, 1), 'checks: 3 passed, 1 failed');
  // every option of the English usage is in the Japanese one
  const opts = (s: string) => [...new Set(s.match(/--[a-z-]+/g))].sort();
  const usage = run(['--help'], { LANG: 'C' }).stdout;
  assert.deepEqual(opts(ja.usage ?? ''), opts(usage));
});
