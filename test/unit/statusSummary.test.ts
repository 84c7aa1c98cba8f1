// The status bar's words (src/vscode/statusSummary.ts): addresses bound over the hosts read, problems and unreachable
// hosts counted, each host on its own tooltip line; hidden with no host.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { L10n, english } from '../../src/vscode/l10nText';
import { statusSummary } from '../../src/vscode/statusSummary';

const at = new Date(2026, 11, 3, 14, 5, 9).getTime();

test('no host: hidden; hosts not yet connected: counted, nothing claimed', () => {
  assert.equal(statusSummary([]), undefined);
  const s = statusSummary([{ name: 'a', state: 'disconnected' }, { name: 'b', state: 'disconnected' }])!;
  assert.equal(s.text, '$(vm-outline) IPv6 2 hosts');
  assert.equal(s.severity, undefined);
  assert.equal(s.tooltip, 'ConoHa IPv6 (click: the Hosts view)\na: not connected\nb: not connected');
});

test('connected hosts add up; one problem is a warning; a host that failed is an error and says why', () => {
  const ok = { name: 'vps1', state: 'connected' as const, bound: 3, total: 16, problems: 0, readAt: at };
  assert.deepEqual(statusSummary([ok]), { text: '$(pass) IPv6 3/16', severity: undefined, tooltip: 'ConoHa IPv6 (click: the Hosts view)\nvps1: 3/16 addresses bound, every check passes (read at 14:05:09)' });
  const warn = statusSummary([ok, { name: 'vps2', state: 'connected', bound: 1, total: 16, problems: 1 }])!;
  assert.equal(warn.text, '$(warning) IPv6 4/32 · 1 problem');
  assert.equal(warn.severity, 'warning');
  assert.match(warn.tooltip, /^vps2: 1\/16 addresses bound, 1 problem$/m);
  const err = statusSummary([ok, { name: 'dead', state: 'error', error: 'timed out' }, { name: 'slow', state: 'connecting' }])!;
  assert.equal(err.text, '$(error) IPv6 3/16 · 1 unreachable');
  assert.equal(err.severity, 'error');
  assert.match(err.tooltip, /^dead: error: timed out$/m);
  assert.match(err.tooltip, /^slow: connecting…$/m);
  assert.equal(statusSummary([{ name: 'slow', state: 'connecting' }])!.text, '$(loading~spin) IPv6 1 host');
});

test('in Japanese: the words come from l10n/bundle.l10n.ja.json, as vscode.l10n gives them', () => {
  const bundle = JSON.parse(readFileSync(join(__dirname, '../../../l10n/bundle.l10n.ja.json'), 'utf8')) as Record<string, string>;
  const ja: L10n = { t: (m, ...args) => english.t(bundle[m] ?? `<untranslated ${m}>`, ...args) };
  const s = statusSummary([{ name: 'vps1', state: 'connected', bound: 2, total: 16, problems: 1, readAt: at }, { name: 'dead', state: 'error', error: 'timed out' }], ja)!;
  assert.equal(s.text, '$(error) IPv6 2/16 · 問題 1 件 · 1 台に接続できない');
  assert.equal(s.tooltip, 'ConoHa IPv6 (クリックでホスト ビューを表示)\nvps1: アドレス 2/16 個を割り当て済み、問題 1 件 (14:05:09 に取得)\ndead: エラー: timed out');
  assert.equal(statusSummary([{ name: 'a', state: 'disconnected' }], ja)!.text, '$(vm-outline) IPv6 ホスト 1 台');
});
