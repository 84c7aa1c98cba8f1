// The connection's and the host operations' words in Japanese: with the translator the CLI builds from
// l10n/bundle.l10n.ja.json installed (as the extension installs vscode.l10n), a refused connection, a changed or unknown
// host key, a wrong passphrase, a failed step and a bad input are Japanese, the values (hosts, fingerprints, files,
// commands) kept as they are; the kinds code matches on stay; without the translator they are English as before.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { L10n, english, installL10n } from '../../src/core/l10n';
import { StepFailedError, TransportError, changedText } from '../../src/core/errors';
import { validateInterfaceName } from '../../src/core/shell';
import { parseHostTarget } from '../../src/core/hostSpec';
import { parseAddressList, validateGateway } from '../../src/core/derive';
import { HostKeyDecision, HostKeyFacts, verifyHostKey } from '../../src/host/knownHostsPolicy';
import { hostKeyName } from '../../src/host/knownHosts';
import { readKey } from '../../src/host/sshKeys';
import { connectSsh } from '../../src/host/sshTransport';
import { KeyFiles, keygen } from './sshKeygen';

const root = join(__dirname, '../../..');
const bundle = JSON.parse(readFileSync(join(root, 'l10n/bundle.l10n.ja.json'), 'utf8')) as Record<string, string>;
/** the bundle's translator, a message it lacks marked (bundleL10n would leave it English) */
const ja: L10n = { t: (m, ...args) => english.t(bundle[m] ?? `<untranslated ${m}>`, ...args) };
const japanese = /[\u3040-\u30ff\u4e00-\u9fff]/;

async function inJapanese<T>(f: () => T | Promise<T>): Promise<T> {
  installL10n(ja);
  try {
    return await f();
  } finally {
    installL10n(english);
  }
}

/** the error f throws (or rejects with) */
async function failure(f: () => unknown): Promise<Error> {
  try {
    await f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('did not fail');
}

/** the TransportError f rejects with */
async function transportFailure(f: () => unknown): Promise<TransportError> {
  const e = await failure(f);
  assert.ok(e instanceof TransportError, String(e));
  return e;
}

let dir: string;
let ed1: KeyFiles;
let ed2: KeyFiles;
let enc: KeyFiles;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'l10n-host-test-'));
  ed1 = keygen(dir, 'ed1', ['-t', 'ed25519']);
  ed2 = keygen(dir, 'ed2', ['-t', 'ed25519']);
  enc = keygen(dir, 'enc', ['-t', 'ed25519'], 'the right one');
});

after(() => rmSync(dir, { recursive: true, force: true }));

const spec = { user: 'root', host: '2001:db8::2', port: 22 };
const facts = (lines: string[]): HostKeyFacts => ({
  spec,
  name: hostKeyName(spec.host, spec.port),
  sources: [{ file: '/home/me/.ssh/known_hosts', text: lines.map((l) => `${l}\n`).join('') }],
  canAsk: false,
});
const refusal = (d: HostKeyDecision): TransportError => {
  assert.equal(d.action, 'refuse', JSON.stringify(d));
  return (d as { reason: TransportError }).reason;
};

test('a changed host key in Japanese: every line, the fingerprint, the file and line and the commands as they are', async () => {
  const known = facts([`2001:db8::2 ${ed1.type} ${ed1.base64}`]);
  const err = await inJapanese(() => refusal(verifyHostKey(known, ed2.blob)));
  assert.equal(err.kind, 'host-key-changed');
  assert.deepEqual(err.message.split('\n'), [
    '警告: 2001:db8::2 のホスト鍵が変わっています (REMOTE HOST IDENTIFICATION HAS CHANGED)!',
    `ホストは ssh-ed25519 鍵 ${ed2.fingerprint} を提示しましたが、/home/me/.ssh/known_hosts の 1 行目にはこのホストの別の ssh-ed25519 鍵が記録されています。`,
    '誰かが接続を傍受している (中間者攻撃) か、ホスト鍵が変更されただけ (例: VPS を再インストールした) かのどちらかです。',
    'サーバーのコンソールでフィンガープリントを確認してください (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub)。',
    "ホストを再インストールした場合は、次のコマンドで古い鍵を削除してください: ssh-keygen -R '2001:db8::2' -f /home/me/.ssh/known_hosts",
    '何も変更していません。ログインしておらず、known_hosts もそのままです。',
  ]);
  // English as before
  assert.equal(
    refusal(verifyHostKey(known, ed2.blob)).message.split('\n')[1],
    `It offered the ssh-ed25519 key ${ed2.fingerprint}, but /home/me/.ssh/known_hosts line 1 records a different ssh-ed25519 key for it.`,
  );
});

test('an unknown host key refused, in Japanese: how to check and add it', async () => {
  const err = await inJapanese(() => refusal(verifyHostKey(facts([]), ed1.blob)));
  assert.equal(err.kind, 'host-key-unknown');
  assert.deepEqual(err.actions, [{ id: 'trust-host-key' }]);
  const lines = err.message.split('\n');
  assert.equal(lines[0], '2001:db8::2 の真正性を確認できません: /home/me/.ssh/known_hosts にこのホストの鍵がありません。');
  assert.equal(lines.at(-2), '自分で追加してください: ssh-keyscan -t ed25519 -p 22 2001:db8::2 > /tmp/hostkeys; ssh-keygen -lf /tmp/hostkeys (フィンガープリントを確認); cat /tmp/hostkeys >> /home/me/.ssh/known_hosts');
  assert.equal(lines.at(-1), 'ホストでは何も実行していません。');
  for (const l of lines) assert.match(l, japanese, l);
  assert.equal(
    refusal(verifyHostKey(facts([]), ed1.blob)).message.split('\n').at(-2),
    'or add it yourself: ssh-keyscan -t ed25519 -p 22 2001:db8::2 > /tmp/hostkeys; ssh-keygen -lf /tmp/hostkeys (check the fingerprint); cat /tmp/hostkeys >> /home/me/.ssh/known_hosts',
  );
});

test('a connection refused, in Japanese (a closed port here); the kind stays', async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  const options = { spec: { user: 'root', host: '127.0.0.1', port }, knownHostsFile: join(dir, 'known_hosts'), globalKnownHostsFiles: [], agent: '', identityFile: ed1.file, readyTimeoutMs: 5000 };
  const err = await inJapanese(() => transportFailure(() => connectSsh(options)));
  assert.equal(err.kind, 'connect');
  assert.equal(err.message, `127.0.0.1 のポート ${port} に接続を拒否されました。sshd が動いていてポート ${port} で待ち受けているか、ファイアウォールが拒否していないかを確認してください`);
  const en = await failure(() => connectSsh(options));
  assert.equal(en.message, `connection refused by 127.0.0.1 port ${port}: is sshd running and listening on port ${port}, and does no firewall reject it?`);
});

test('a wrong passphrase, in Japanese; still the kind "passphrase"', async () => {
  const err = await inJapanese(() => transportFailure(() => readKey(enc.file, { known: 'not it' })));
  assert.equal(err.kind, 'passphrase');
  assert.equal(err.message, `鍵 ${enc.file} のパスフレーズが違います。復号できませんでした (ホストには何も送っていません)`);
});

test('a failed step in Japanese: each of its four shapes, and what stayed', async () => {
  const failed = { id: 'radvd', title: 'radvd を起動', output: 'Job for radvd.service failed.\n' };
  const m = await inJapanese(() => ({
    partial: new StepFailedError('準備', failed, ['IPv6 転送を有効化', 'プロキシ NDP を有効化']),
    first: new StepFailedError('準備', { ...failed, output: '' }, []),
    changed: changedText(new StepFailedError('x', failed, [])),
  }));
  assert.equal(m.partial.message, '準備 はステップ「radvd を起動」で止まりました: Job for radvd.service failed.。次のステップは適用されたままです: IPv6 転送を有効化; プロキシ NDP を有効化。');
  assert.equal(m.partial.changed, 'partial');
  assert.equal(m.first.message, '準備 はステップ「radvd を起動」で止まりました。それより前のステップは何も変更していません。');
  assert.equal(m.changed, '何も変更していません。');
  // English as before, all four
  assert.equal(new StepFailedError('prepare', failed, ['a', 'b']).message, 'prepare stopped at step "radvd を起動": Job for radvd.service failed.. These steps stayed applied: a; b.');
  assert.equal(new StepFailedError('prepare', failed, []).message, 'prepare stopped at step "radvd を起動": Job for radvd.service failed.. No step before it had changed anything.');
  assert.equal(new StepFailedError('prepare', { ...failed, output: ' ' }, ['a']).message, 'prepare stopped at step "radvd を起動". These steps stayed applied: a.');
  assert.equal(new StepFailedError('prepare', { ...failed, output: '' }, []).message, 'prepare stopped at step "radvd を起動". No step before it had changed anything.');
});

test('bad input in Japanese: an interface name, a host, an address list, a gateway', async () => {
  const messages = await inJapanese(async () => [
    (await failure(() => validateInterfaceName('eth0;reboot', '--interface'))).message,
    (await failure(() => parseHostTarget('root@[2001:db8::2'))).message,
    (await failure(() => parseAddressList('2001:db8::5/124', '--addresses'))).message,
    (await failure(() => validateGateway('ff02::1'))).message,
  ]);
  assert.deepEqual(messages, [
    '"eth0;reboot" はネットワーク インターフェイス名ではありません (--interface)。英字、数字、"_"、"."、"-" の 1-15 文字にしてください',
    'ホスト "root@[2001:db8::2" に "]" がありません。[user@]host[:port] の形式で、IPv6 アドレスは角かっこで囲んで書いてください: root@[2001:db8::2]:22',
    '2001:db8::5/124 は /124 の境界に揃っていません。2001:db8::/124 のことですか?',
    'ff02::1 はゲートウェイにできません: multicast アドレスです。ルーターのリンクローカル アドレス (ConoHa では fe80::1。新しいホストの "ip -6 route" を参照) か、グローバル ユニキャスト アドレスを指定してください',
  ]);
  for (const m of messages) assert.doesNotMatch(m, /<untranslated/);
  assert.equal(
    (await failure(() => validateInterfaceName('eth0;reboot', '--interface'))).message,
    '"eth0;reboot" is not a network interface name (--interface): use 1-15 letters, digits, "_", "." or "-"',
  );
  assert.equal((await failure(() => validateGateway('ff02::1'))).message, 'ff02::1 cannot be the gateway: it is a multicast address; give the router\'s link-local address (on ConoHa fe80::1, see "ip -6 route" on a fresh host) or a global unicast one');
});
