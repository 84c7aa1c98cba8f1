// The extension in Japanese, in real VS Code (code-server 4.139 = VS Code 1.139): code-server started with
// --locale ja and a Japanese language pack registered in its user data (languagepacks.json, the file VS Code writes
// when a language pack extension is installed). The pack here carries no translations of VS Code itself (none can be
// downloaded: no marketplace, and npm has no vscode-language-pack-ja), so the workbench's own words stay English, but
// VS Code resolves the display language to "ja": the workbench and the extension host run with vscode.env.language
// === 'ja', the extension's manifest is read with package.nls.ja.json and vscode.l10n.t reads l10n/bundle.l10n.ja.json,
// exactly as with Microsoft's pack. A user with no host yet: the view's title and welcome; Add Host from the palette by
// its Japanese title, the host typed, the key and the name picked in Japanese steps; the host refuses connections: its
// row, the status bar item, Connect from the palette and the error notification with its buttons, all in Japanese.
// No lab needed (the host is 127.0.0.1:9).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchBrowser, runFromPalette } from './browser';
import { startCodeServer, workbenchUrl } from './codeServer';
import { ensureHarness } from './harnessInstall';
import { registerJapanesePack } from './japanese';
import { ROOT } from './labWorkspace';

const SHOTS = join(ROOT, 'out/screenshots');

describe('the extension in Japanese (code-server --locale ja)', () => {
  let run: string;

  before(() => {
    ensureHarness();
    run = mkdtempSync(join(tmpdir(), 'civ6-vscode-ja-'));
    mkdirSync(SHOTS, { recursive: true });
  });
  after(() => {
    if (run) rmSync(run, { recursive: true, force: true });
  });

  it('view title and welcome, a command title in the palette and its notification are Japanese', async () => {
    const userDataDir = join(run, 'ud');
    mkdirSync(userDataDir, { recursive: true });
    registerJapanesePack(userDataDir);
    const ws = join(run, 'ws');
    mkdirSync(ws);
    // the user's HOME: one key in ~/.ssh, which Add Host offers
    const home = join(run, 'home');
    mkdirSync(join(home, '.ssh'), { recursive: true, mode: 0o700 });
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'ja-test', '-f', join(home, '.ssh/id_ed25519')]);
    // the VSIX as a user installs it: it must carry package.nls.ja.json and l10n/bundle.l10n.ja.json
    const vsix = join(run, 'conoha-ipv6.vsix');
    execFileSync('npm', ['run', '-s', 'package', '--', '--out', vsix], { cwd: ROOT, stdio: 'pipe' });
    const cs = await startCodeServer({ userDataDir, workspace: ws, settings: { 'conohaIpv6.hosts': [] }, args: ['--locale', 'ja'], env: { HOME: home, SSH_AUTH_SOCK: '' }, installVsix: [vsix] });
    const browser = await launchBrowser();
    let page: Awaited<ReturnType<typeof browser.newPage>> | undefined;
    try {
      page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      const resp = await page.goto(workbenchUrl(cs.port, ws));
      assert.ok(resp && resp.status() < 400, `the workbench answered HTTP ${resp?.status()}`);
      await page.locator('.monaco-workbench .activitybar').waitFor({ timeout: 60_000 });
      // the display language VS Code resolved (platform.language; the extension host gets it as vscode.env.language)
      assert.equal(await page.evaluate('globalThis._VSCODE_NLS_LANGUAGE'), 'ja', 'the workbench runs in Japanese');

      await page.locator('.activitybar .action-item a[aria-label^="ConoHa IPv6"], .activitybar .action-item[aria-label^="ConoHa IPv6"]').first().click();
      // the view's title (package.nls.ja.json; the only view of its container: "container: view" in the side bar's title)
      const title = page.locator('.part.sidebar .composite.title', { hasText: 'ConoHa IPv6: ホスト' }).first();
      await title.waitFor({ timeout: 30_000 });
      const welcome = page.locator('.welcome-view-content').first();
      await welcome.waitFor({ timeout: 30_000 });
      const text: string = await welcome.innerText();
      assert.match(text, /ConoHa のホストはまだありません/);
      assert.match(text, /ホストを追加/);
      assert.doesNotMatch(text, /No ConoHa host yet/);

      // a command by its Japanese title (package.nls.ja.json); its quick pick, key step and name step
      // (vscode.l10n.t, l10n/bundle.l10n.ja.json): a host added the way a user adds it, typed as user@host:port.
      // It refuses connections (port 9 on loopback), so its row says "not connected" in Japanese.
      await runFromPalette(page, 'ConoHa IPv6: ホストを追加');
      const quickInput = page.locator('.quick-input-widget');
      const quickRows = page.locator('.quick-input-list .monaco-list-row');
      await quickInput.locator('.quick-input-title', { hasText: 'ConoHa のホストを追加' }).waitFor({ timeout: 30_000 });
      await page.keyboard.type('root@127.0.0.1:9');
      await quickRows.filter({ hasText: 'root@127.0.0.1:9 を追加' }).first().waitFor({ timeout: 10_000 });
      await page.keyboard.press('Enter');
      await quickInput.locator('.quick-input-title', { hasText: 'root@127.0.0.1:9 を追加: 使用する鍵' }).waitFor({ timeout: 10_000 });
      await quickRows.filter({ hasText: '参照…' }).first().waitFor({ timeout: 10_000 });
      const keyItems = await quickRows.evaluateAll((rows: { getAttribute(n: string): string | null }[]) => rows.map((r) => r.getAttribute('aria-label')));
      assert.deepEqual(keyItems, ['~/.ssh/id_ed25519', '参照…, 秘密鍵ファイル']);
      await page.keyboard.press('Enter');
      await quickInput.locator('.quick-input-title', { hasText: 'root@127.0.0.1:9 を追加: サイドバーでの名前' }).waitFor({ timeout: 10_000 });
      await quickInput.locator('input').first().fill('nohost');
      await page.keyboard.press('Enter');
      const row = page.locator('.pane-body .monaco-list-row', { hasText: 'nohost' }).first();
      await row.waitFor({ timeout: 30_000 });
      assert.match(await row.innerText(), /root@127\.0\.0\.1:9 · 未接続/);
      // the status bar item: one host, nothing known yet; its accessible name lists the host's state
      const status = page.locator('.part.statusbar .statusbar-item', { hasText: 'IPv6 ホスト 1 台' }).first();
      await status.waitFor({ timeout: 10_000 });
      await runFromPalette(page, 'ConoHa IPv6: 接続');
      const note = page.locator('.notifications-toasts .notification-list-item', { hasText: 'nohost への接続:' }).first();
      await note.waitFor({ timeout: 30_000 });
      await page.screenshot({ path: join(SHOTS, 'ja-notification.png') });
      for (const button of ['再試行', 'ホストを編集', 'ログを表示']) assert.equal(await note.locator('.monaco-button', { hasText: button }).count(), 1, `the notification's ${button} button`);
      // the status bar says the host is unreachable, on an error background
      await page.locator('.part.statusbar .statusbar-item', { hasText: '1 台に接続できない' }).first().waitFor({ timeout: 10_000 });
    } catch (e) {
      await page?.screenshot({ path: join(SHOTS, 'ja-failed.png') }).catch(() => undefined);
      process.stderr.write(`----- code-server output:\n${readFileSync(cs.logFile, 'utf8').slice(-4000)}\n`);
      throw e;
    } finally {
      await browser.close();
      await cs.stop();
    }
  });
});
