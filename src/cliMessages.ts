// The CLI's own words (usage, headers, plan and step framing, "to fix:", error framing) in English and Japanese,
// chosen by the locale as gettext would: LC_ALL, else LC_MESSAGES, else LANG (the first one set and not empty);
// ja… gives Japanese, anything else (C, POSIX, en_US.UTF-8, unset) English. No runtime dependency. Text from the
// host (hostnames, container names, its error output) and the core's error messages are passed through as they are.

export type CliLang = 'en' | 'ja';

export function cliLang(env: NodeJS.ProcessEnv = process.env): CliLang {
  const v = [env.LC_ALL, env.LC_MESSAGES, env.LANG].find((x) => x !== undefined && x !== '') ?? '';
  return /^ja(?:[_.@-]|$)/i.test(v) ? 'ja' : 'en';
}

type Setting = 'interface' | 'gateway' | 'bridge' | 'addresses' | 'identity';

export interface CliMessages {
  /** undefined: the English usage text in cli.ts */
  usage?: string;
  needsValue: (flag: string) => string;
  unknownOption: (arg: string) => string;
  unknownCommand: (cmd: string) => string;
  wrongArgs: (cmd: string) => string;
  needsHost: (cmd: string) => string;
  rollbackSeconds: (value: string) => string;
  passphrase: (file: string) => string;
  keyEncrypted: string;
  cancelled: string;
  settingHint: Record<Setting, string>;
  trustHostKey: string;
  setHostSetting: (hint: string) => string;
  startContainer: (container: string) => string;
  retry: string;
  addressSource: { option: string; recorded: string; 'conoha-rule': (hostAddress: string) => string };
  config: (uplink: string, gateway: string, bridge: string, n: number, prefix: string, how: string) => string;
  planFor: (host: string, config: string) => string;
  nothingToChange: string;
  why: string;
  note: string;
  undoPlanFor: (host: string) => string;
  result: string;
  toFix: string;
  checks: (passed: number, failed: number) => string;
  unknownOs: string;
  systemd: (yes: boolean) => string;
  uid: (uid: number) => string;
  viaSudo: (user: string) => string;
  dockerNotAnswering: (error: string) => string;
  notInstalled: string;
  running: (yes: boolean) => string;
  advertisesOn: (names: string) => string;
  recordedState: string;
  cannotWorkOutAddresses: (err: string) => string;
  prepared: (yes: boolean) => string;
  free: string;
  notRecorded: string;
  containersWithoutAddress: (names: string) => string;
  dryRun: string;
  confirmed: (detail: string) => string;
  checksAfterPrepare: string;
  unprepared: (host: string) => string;
  alreadyHolds: (container: string, address: string) => string;
  warning: string;
  released: (address: string, container: string) => string;
  verifyHeader: (host: string, config: string) => string;
  /** what a failure changed on the host (core's changedText in the user's language) */
  changed: { nothing: string; 'rolled-back': string };
}

const en: CliMessages = {
  needsValue: (f) => `--${f} needs a value`,
  unknownOption: (a) => `unknown option ${a}`,
  unknownCommand: (c) => `unknown command "${c}"`,
  wrongArgs: (c) => `wrong number of arguments for ${c}`,
  needsHost: (c) => `${c} needs --host [user@]host[:port] (or --local)`,
  rollbackSeconds: (v) => `--rollback-seconds ${v}: give 10 to 3600 seconds`,
  passphrase: (f) => `passphrase for ${f}: `,
  keyEncrypted: 'the key is encrypted: set CONOHA_IPV6_PASSPHRASE, run on a terminal, or load the key into ssh-agent',
  cancelled: 'cancelled',
  settingHint: {
    interface: '--interface NAME (the uplink)',
    gateway: '--gateway ADDR (the IPv6 router)',
    bridge: '--bridge NAME (the Docker bridge)',
    addresses: '--addresses PREFIX/124 or --addresses ADDR,ADDR,...',
    identity: '--identity FILE (the private key)',
  },
  trustHostKey: "check the key's fingerprint (ssh-keyscan HOST | ssh-keygen -lf -, or the provider's console), then run the same command with --accept-new",
  setHostSetting: (h) => `run the same command with ${h}`,
  startContainer: (c) => `on the host: docker start ${c}`,
  retry: 'run the same command again',
  addressSource: { option: 'from --addresses', recorded: 'recorded at the last prepare', 'conoha-rule': (a) => `ConoHa rule on ${a}` },
  config: (u, g, b, n, p, how) => `uplink ${u}, gateway ${g}, bridge ${b}, ${n} addresses ${p} (${how})`,
  planFor: (h, c) => `Plan for ${h}: ${c}`,
  nothingToChange: '  nothing to change: the host is already prepared',
  why: 'why:',
  note: 'note:',
  undoPlanFor: (h) => `Undo plan for ${h}:`,
  result: 'Result:',
  toFix: 'to fix:',
  checks: (p, f) => `checks: ${p} passed, ${f} failed`,
  unknownOs: 'unknown OS',
  systemd: (y) => (y ? 'systemd' : 'no systemd'),
  uid: (u) => `uid ${u}`,
  viaSudo: (u) => ` via sudo from ${u}`,
  dockerNotAnswering: (e) => `not answering: ${e}`,
  notInstalled: 'not installed',
  running: (y) => (y ? 'running' : 'not running'),
  advertisesOn: (n) => `; /etc/radvd.conf advertises on ${n}`,
  recordedState: 'recorded state:',
  cannotWorkOutAddresses: (e) => `  cannot work out the addresses: ${e}`,
  prepared: (y) => `prepared: ${y ? 'yes' : 'no'}`,
  free: 'free',
  notRecorded: ' (not recorded)',
  containersWithoutAddress: (n) => `  running containers without an address: ${n}`,
  dryRun: 'dry run: nothing was changed',
  confirmed: (d) => `Confirmed: ${d}`,
  checksAfterPrepare: 'Checks after prepare (all of them: conoha-ipv6 verify):',
  unprepared: (h) => `${h} is as it was before conoha-ipv6 prepared it.`,
  alreadyHolds: (c, a) => `${c} already holds ${a}: nothing changed`,
  warning: 'warning:',
  released: (a, c) => `released ${a} from ${c}`,
  verifyHeader: (h, c) => `Verify ${h}: ${c}`,
  changed: { nothing: 'Nothing was changed.', 'rolled-back': 'The host restores its previous network settings.' },
};

const JA_USAGE = `使い方:
  conoha-ipv6 derive <ipv6> [--json]                  ConoHa のホスト アドレスから 16 個の追加アドレスを求める
  conoha-ipv6 status  --host H [--json]               ホストの状態を表示 (1 往復)
  conoha-ipv6 prepare --host H [--dry-run] [--json] [--rollback-seconds N]
                                                      ホストを準備 (何度実行しても同じ結果。--dry-run は計画の表示のみ)。
                                                      forwarding、accept_ra、proxy NDP、デフォルト ルートの変更は
                                                      新しい接続で確認され、確認できなければ N 秒後 (既定 60 秒) に
                                                      ホスト自身が元に戻す
  conoha-ipv6 unprepare --host H [--dry-run] [--release-all]
                                                      prepare を元に戻す: ホストを最初の prepare の前の状態にする
                                                      (アドレスが割り当て済みなら拒否。--release-all で解放してから実行)
  conoha-ipv6 assign  --host H <container> [<address>] [--network NET]
                                                      コンテナーのブリッジ ネットワークの 1 つでアドレスを割り当て
                                                      (指定がなければ最初の空き。ネットワークの既定: ホストのブリッジ上の
                                                      もの、なければ名前順で最初のブリッジ ネットワーク)
  conoha-ipv6 compose-snippet --host H <container|service>
                                                      compose ファイルに貼り付けるラベルと networks: ブロック。サービスが
                                                      起動するたびにホストがアドレスを割り当てる
  conoha-ipv6 release --host H <address|container>    アドレスを解放
  conoha-ipv6 verify  --host H [--json] [--port N] [--probe ADDR[:PORT]]
                                                      すべてを検証。全チェック合格で終了コード 0、それ以外は 1
      --port N                このマシンから、割り当て済みの各コンテナー アドレスのポート N へ TCP 接続
      --probe ADDR | [ADDR]:PORT  割り当て済みの各コンテナーから ADDR へ TCP 接続 (または ping): 外部に届くか
  conoha-ipv6 status|verify --host H --host H2 ... | --all FILE|PATTERN [--json]
                                                      複数のホストを 4 台ずつ並行して処理し、1 つの表 (1 ホスト 1 行) に
                                                      まとめる。終了コードは最も悪いホストのもの (到達不能 3、チェック
                                                      不合格 1)。--all FILE: 1 行に 1 ホスト。--all 'vps-*': SSH 設定の
                                                      一致する Host エイリアス
  conoha-ipv6 export --format ansible|cloud-init [--out FILE] [--interface N] [--gateway A] [--bridge N] [--addresses L]
                                                      prepare と同じ準備を多数のホストに: Ansible プレイブック (ホスト
                                                      変数 conoha_ipv6_*)、または新しい VPS 用の cloud-init user-data
                                                      (ホスト設定は埋め込み。未指定のものは初回起動時に求める)

接続:
  --host [user@]host[:port]   IPv6 リテラルは角かっこで囲む: root@[2001:db8::2]:22 (既定: ユーザー root、ポート 22)。
                              ~/.ssh/config の Host エイリアスも可 (HostName、User、Port、IdentityFile、IdentityAgent、
                              IdentitiesOnly、ProxyJump を使用。Include と Match host もたどる)
  --jump [user@]host[:port]   ssh -J と同じく踏み台ホスト経由で接続。複数の経由先は繰り返し指定するかカンマ区切り。
                              SSH 設定の ProxyJump より優先。経由するすべてのホストのホスト鍵を known_hosts と照合
  --ssh-config FILE           ~/.ssh/config の代わりに読む SSH 設定 (ssh -F と同じ)
  --local                     SSH ではなくこのマシン上で実行 (root として、または sudo -n 経由)
  --identity FILE             秘密鍵 (パスフレーズは端末で尋ねるか、CONOHA_IPV6_PASSPHRASE から読む)。
                              省略時: SSH エージェント (SSH_AUTH_SOCK)、次に ~/.ssh/id_ed25519、id_ecdsa、id_rsa
  --known-hosts FILE          既定値 ~/.ssh/known_hosts。未知のホスト鍵は --accept-new がなければ拒否
  --accept-new                初めて見るホスト鍵を信頼して記録 (変更された鍵は常に拒否)
  ホストや踏み台ホストのワンタイム コードなど、キーボード インタラクティブの質問は端末で尋ねる
ホスト設定 (既定: ホストから得た値、または前回の prepare で記録した値):
  --interface NAME            アップリンク (既定: デフォルト ルートのインターフェイス)
  --bridge NAME               Docker ブリッジ (既定: docker0)
  --gateway ADDR              IPv6 ルーター (既定: 現在のデフォルト ルートのゲートウェイ)
  --addresses LIST|PREFIX/124 ホストのアドレスが ConoHa の規則に従わない場合の追加アドレス
  --mode radvd|docker         radvd (既定): radvd、docker0 への /128 ルート、エージェント。docker: /124 上の Docker
                              IPv6 ネットワーク 1 つに、コンテナーが固定アドレスで参加 (README「Docker-native mode」)。
                              別の方式で prepare すると切り替わる (元に戻してから準備。--release-all で先に解放)
`;

const ja: CliMessages = {
  usage: JA_USAGE,
  needsValue: (f) => `--${f} には値が必要です`,
  unknownOption: (a) => `不明なオプションです: ${a}`,
  unknownCommand: (c) => `不明なコマンドです: "${c}"`,
  wrongArgs: (c) => `${c} の引数の数が正しくありません`,
  needsHost: (c) => `${c} には --host [user@]host[:port] (または --local) が必要です`,
  rollbackSeconds: (v) => `--rollback-seconds ${v}: 10 から 3600 までの秒数を指定してください`,
  passphrase: (f) => `${f} のパスフレーズ: `,
  keyEncrypted: '鍵が暗号化されています。CONOHA_IPV6_PASSPHRASE を設定するか、端末で実行するか、鍵を ssh-agent に読み込んでください',
  cancelled: 'キャンセルしました',
  settingHint: {
    interface: '--interface NAME (アップリンク)',
    gateway: '--gateway ADDR (IPv6 ルーター)',
    bridge: '--bridge NAME (Docker ブリッジ)',
    addresses: '--addresses PREFIX/124 または --addresses ADDR,ADDR,...',
    identity: '--identity FILE (秘密鍵)',
  },
  trustHostKey: '鍵のフィンガープリントを確認してから (ssh-keyscan HOST | ssh-keygen -lf -、またはプロバイダーのコンソール)、同じコマンドを --accept-new 付きで実行してください',
  setHostSetting: (h) => `同じコマンドを ${h} 付きで実行してください`,
  startContainer: (c) => `ホスト上で: docker start ${c}`,
  retry: '同じコマンドをもう一度実行してください',
  addressSource: { option: '--addresses で指定', recorded: '前回の prepare で記録', 'conoha-rule': (a) => `${a} から ConoHa の規則で算出` },
  config: (u, g, b, n, p, how) => `アップリンク ${u}、ゲートウェイ ${g}、ブリッジ ${b}、アドレス ${n} 個 ${p} (${how})`,
  planFor: (h, c) => `${h} の計画: ${c}`,
  nothingToChange: '  変更はありません: ホストは準備済みです',
  why: '理由:',
  note: '注記:',
  undoPlanFor: (h) => `${h} を元に戻す計画:`,
  result: '結果:',
  toFix: '対処:',
  checks: (p, f) => `チェック: 合格 ${p} 件、不合格 ${f} 件`,
  unknownOs: '不明な OS',
  systemd: (y) => (y ? 'systemd' : 'systemd なし'),
  uid: (u) => `uid ${u}`,
  viaSudo: (u) => `、${u} から sudo 経由`,
  dockerNotAnswering: (e) => `応答なし: ${e}`,
  notInstalled: '未インストール',
  running: (y) => (y ? '実行中' : '停止中'),
  advertisesOn: (n) => `。/etc/radvd.conf の広告先: ${n}`,
  recordedState: '記録された状態:',
  cannotWorkOutAddresses: (e) => `  アドレスを求められません: ${e}`,
  prepared: (y) => `準備: ${y ? '済み' : '未'}`,
  free: '空き',
  notRecorded: ' (未記録)',
  containersWithoutAddress: (n) => `  アドレスのない実行中のコンテナー: ${n}`,
  dryRun: 'ドライ ラン: 何も変更していません',
  confirmed: (d) => `確認済み: ${d}`,
  checksAfterPrepare: '準備後のチェック (すべてを見るには: conoha-ipv6 verify):',
  unprepared: (h) => `${h} を conoha-ipv6 による準備の前の状態に戻しました。`,
  alreadyHolds: (c, a) => `${c} には既に ${a} が割り当てられています: 変更なし`,
  warning: '警告:',
  released: (a, c) => `${a} を ${c} から解放しました`,
  verifyHeader: (h, c) => `${h} の検証: ${c}`,
  changed: { nothing: '何も変更していません。', 'rolled-back': 'ホストは以前のネットワーク設定に戻します。' },
};

export function cliMessages(lang: CliLang = cliLang()): CliMessages {
  return lang === 'ja' ? ja : en;
}
