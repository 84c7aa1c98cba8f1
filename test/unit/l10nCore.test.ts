// Core's words in Japanese: with the translator the CLI builds from l10n/bundle.l10n.ja.json installed (as the
// extension installs vscode.l10n), the checks, the plan's titles, whys and notes, and Show Plan's frame are Japanese,
// with the values from the host kept as they are; without it (the default, every other test) they are English.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSnapshot } from '../../src/core/snapshot';
import { resolveHostConfig } from '../../src/core/config';
import { planAssign, planHostSetup } from '../../src/core/plan';
import { planUnprepare } from '../../src/core/unprepare';
import { judgeHost } from '../../src/core/checks';
import { L10n, english, installL10n } from '../../src/core/l10n';
import { artifacts } from '../../src/host/scripts';
import { planNativePrepare } from '../../src/core/nativePlan';
import { judgeNative } from '../../src/core/nativeChecks';
import { nativeArtifacts } from '../../src/host/nativeOperations';
import { confirmLines, planMarkdown } from '../../src/vscode/planText';

const root = join(__dirname, '../../..');
const fixture = (name: string) => readFileSync(join(root, 'test/fixtures', name), 'utf8');
const fresh = () => parseSnapshot(fixture('lab-fresh.json'));
const prepared = () => parseSnapshot(fixture('lab-prepared.json'));
const installed = { agent: '', agentSha256: prepared().agent.sha256! };
const bundle = JSON.parse(readFileSync(join(root, 'l10n/bundle.l10n.ja.json'), 'utf8')) as Record<string, string>;
/** the bundle's translator, a message it lacks marked (bundleL10n would leave it English) */
const ja: L10n = { t: (m, ...args) => english.t(bundle[m] ?? `<untranslated ${m}>`, ...args) };
const japanese = /[\u3040-\u30ff\u4e00-\u9fff]/;

function inJapanese<T>(f: () => T): T {
  installL10n(ja);
  try {
    return f();
  } finally {
    installL10n(english);
  }
}

test('checks in Japanese: the failures of a broken host and of a fresh one, values from the host as they are', () => {
  const c = resolveHostConfig(prepared());
  const broken = prepared();
  broken.sysctl['all.forwarding'] = 0;
  broken.routes = broken.routes.filter((r) => r.dst !== 'default');
  broken.pings[0].ok = false;
  const checks = inJapanese(() => judgeHost(broken, c, installed));
  const msg = (id: string) => checks.find((x) => x.id === id)!.message;
  assert.equal(msg('forwarding'), 'IPv6 転送が無効です (net.ipv6.conf.all.forwarding=0)');
  assert.equal(msg('default-route'), 'ホストに IPv6 のデフォルト ルートがありません。外部からの通信が届きません。次のコマンドで追加してください: ip -6 route add default via fe80::1052:1 dev ens3');
  assert.equal(msg('proxy-ndp'), 'ens3 でプロキシ NDP が有効です');
  assert.match(msg(`binding:${broken.pings[0].address}:ping`), new RegExp(`^ホストから ${broken.pings[0].address} に ping が届きません: `));
  for (const x of checks) assert.match(x.message, japanese, `${x.id}: ${x.message}`);

  const s = fresh();
  const failed = inJapanese(() => judgeHost(s, resolveHostConfig(s), installed)).filter((x) => !x.ok);
  assert.ok(failed.length > 30);
  for (const x of failed) {
    assert.match(x.message, japanese, `${x.id}: ${x.message}`);
    assert.doesNotMatch(x.message, /<untranslated/, x.id);
  }
  // the ids, kinds and fixes stay what code matches on
  assert.deepEqual(failed.find((x) => x.id === 'forwarding')!.fix, { id: 'prepare' });
  // and once English is back, English again
  assert.equal(judgeHost(broken, c, installed).find((x) => x.id === 'forwarding')!.message, 'IPv6 forwarding is off (net.ipv6.conf.all.forwarding=0)');
});

test('a plan in Japanese: every title, why and note, and the Show Plan document around them', () => {
  const s = fresh();
  const c = resolveHostConfig(s);
  const { plan, md, confirm } = inJapanese(() => {
    const p = planHostSetup(s, c, artifacts, { rollbackSeconds: 60 });
    return { plan: p, md: planMarkdown('lab', c, p), confirm: confirmLines(p.steps) };
  });
  assert.ok(plan.steps.length > 8);
  for (const x of plan.steps) {
    assert.match(x.title, japanese, x.id);
    assert.match(x.why!, japanese, x.id);
    assert.doesNotMatch(`${x.title} ${x.why}`, /<untranslated/, x.id);
  }
  for (const n of plan.notes) assert.match(n, japanese, n);
  assert.equal(plan.steps.find((x) => x.id === 'forwarding')!.title, 'IPv6 転送を有効化: net.ipv6.conf.all.forwarding=1 (現在 0)。デフォルト ルート via fe80::1052:1 dev ens3 は維持');
  assert.ok(md.startsWith('# lab の「ホストを準備」の計画 (ドライ ラン: 何も変更していません)\n'), md.slice(0, 200));
  assert.ok(md.includes(`\n${plan.steps.length} 件の変更:\n`));
  assert.match(md, /^\*理由:\* /m);
  assert.match(md, /^ホスト上で \(root として\) 実行するコマンド:$/m);
  assert.match(md, /^`\/etc\/radvd\.conf` に書き込み \(モード 0644、\d+ 行\):$/m);
  assert.match(md, /^# radvd が動き出すまで最大 3 秒待つ/m);
  assert.doesNotMatch(md, /<untranslated|\*Why:\*|Runs on the host/);
  // the confirmation's short why is the first Japanese sentence, without its 。
  const why = plan.steps[0].why!;
  assert.ok(confirm.includes(`\n    ${why.slice(0, why.indexOf('。'))}\n`), confirm.slice(0, 300));

  const undo = inJapanese(() => planUnprepare(prepared(), resolveHostConfig(prepared()), installed, { releaseAll: true }));
  for (const x of undo.steps) assert.match(x.title, japanese, x.id);
  assert.equal(undo.steps[0].title, `${prepared().bindings[0].address} を ${prepared().bindings[0].container} から解放`);
});

test('docker mode in Japanese: its plan (steps, whys, the engine notes) and its checks on a host not prepared yet', () => {
  const s = { ...fresh(), systemd: true };
  s.docker = { ...s.docker, version: '28.5.2' };
  const c = resolveHostConfig(s);
  const { plan, checks } = inJapanese(() => ({
    plan: planNativePrepare(s, { unitWanted: false, unitActive: '', endpoints: [] }, c, nativeArtifacts, { rollbackSeconds: 60 }),
    checks: judgeNative(s, { unitWanted: false, unitActive: '', endpoints: [] }, c, nativeArtifacts),
  }));
  assert.ok(plan.steps.some((x) => x.id === 'network'));
  for (const x of plan.steps) {
    assert.match(`${x.title}\n${x.why}`, japanese, x.id);
    assert.doesNotMatch(`${x.title}\n${x.why}`, /<untranslated/, x.id);
  }
  assert.deepEqual(plan.notes.slice(0, 2), [
    'Docker 28.5.2: IPv6 はゲートウェイ モード routed (NAT なし。conoha-ipv6 のファイアウォール ルールで全ポートに到達可能)',
    'アドレス 16 個のうち 14 個がコンテナー用です。2001:db8:1301:814:a157:7:235:120 (サブネット ルーター エニーキャスト) は Docker が確保し、2001:db8:1301:814:a157:7:235:121 はコンテナーのゲートウェイとして conoha-ipv6 ブリッジに割り当てられます',
  ]);
  for (const x of checks.filter((k) => !k.ok)) assert.match(x.message, japanese, `${x.id}: ${x.message}`);
  assert.equal(checks.find((x) => x.id === 'network')!.message, 'Docker ネットワーク conoha-ipv6 が存在しません');
});

test('what stops a prepare, in Japanese: the refusal lists each reason', () => {
  const s = fresh();
  s.docker = { ...s.docker, ok: false, error: 'Cannot connect to the Docker daemon' };
  s.links = s.links.filter((l) => l.name !== 'docker0');
  const c = resolveHostConfig(s);
  const message = inJapanese(() => {
    try {
      planHostSetup(s, c, artifacts);
    } catch (e) {
      return (e as Error).message;
    }
    return 'planned';
  });
  assert.equal(
    message,
    `${s.hostname} を準備できません:\n  - ホストの Docker が応答しません (Cannot connect to the Docker daemon)。Docker を起動してください (systemctl start docker)\n  - ホストにブリッジ docker0 がありません。Docker を起動するか、Docker が使うブリッジの名前を指定してください`,
  );
});

test('an assign refused, in Japanese: the address is taken, the container does not exist', () => {
  const s = prepared();
  const c = resolveHostConfig(s);
  const b = s.bindings[0];
  const other = s.docker.containers.find((k) => k.running && k.name !== b.container)!;
  const refusal = (f: () => unknown) =>
    inJapanese(() => {
      try {
        f();
      } catch (e) {
        return (e as Error).message;
      }
      return 'not refused';
    });
  assert.equal(refusal(() => planAssign(s, c, installed, other.name, b.address)), `${b.address} は既に ${b.container} に割り当てられています。先に解放するか、空きアドレスを選んでください`);
  assert.match(refusal(() => planAssign(s, c, installed, 'nosuch')), new RegExp(`^${s.hostname} にコンテナー "nosuch" はありません \\(コンテナー: `));
});
