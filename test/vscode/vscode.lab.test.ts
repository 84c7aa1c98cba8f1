// The extension in real VS Code (code-server 4.139 = VS Code 1.139, installed by test/vscode/harness.sh),
// against the lab host:
//  1. the extension-host suite (test/vscode/suite/) runs inside the real extension host and drives every
//     command with arguments, changing the lab for real;
//  2. a user in a real browser: the VSIX installed, activity-bar icon, the host; expanding it asks to trust
//     the unknown host key (fingerprint shown) and for the key's passphrase; its addresses; "Prepare Host"
//     from the command palette, right-click a free address, "Assign IPv6 to Container", the binding in the
//     tree and the router reaching it; reconnecting without a passphrase prompt (SecretStorage).
//     Screenshots go to out/screenshots/.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lab, labDown, labUp } from '../lab/labHarness';
import { launchBrowser, openWorkbench, runFromPalette } from './browser';
import { startCodeServer } from './codeServer';
import { runExtensionTests } from './extensionTests';
import { ensureHarness } from './harnessInstall';
import { labSettings, ROOT, SUITE, suiteEnv } from './labWorkspace';

const env = { LAB_PREFIX: process.env.CIV6_TEST_LAB_PREFIX3 ?? 'cv6x' };
const SHOTS = join(ROOT, 'out/screenshots');
const ADDRESS = '2001:db8:1301:814:a157:7:235:120';

describe('the extension in real VS Code (code-server) on the lab', () => {
  let run: string;

  before(() => {
    ensureHarness();
    run = mkdtempSync(join(tmpdir(), 'civ6-vscode-'));
    mkdirSync(SHOTS, { recursive: true });
  });
  after(() => {
    try {
      labDown(env);
    } finally {
      if (run) rmSync(run, { recursive: true, force: true });
    }
  });

  it('extension-host suite: activation, every command, the tree, prepare/assign/verify/release change the lab', async () => {
    const L = labUp(env);
    const ws = join(run, 'ws-suite');
    mkdirSync(ws);
    const r = await runExtensionTests({ extensionDevelopmentPath: ROOT, extensionTestsPath: SUITE, workspace: ws, settings: labSettings(L), env: suiteEnv(env.LAB_PREFIX), timeoutMs: 300_000 });
    assert.match(r.log, /\d+ passed, 0 failed/);
    assert.equal(r.code, 0, 'the extension-host suite failed (its output is above)');
  });

  it('UI: click the activity bar, see the host and its addresses, Prepare Host from the palette, Assign from the context menu', async () => {
    const L = labUp(env); // a fresh host: the suite above prepared and bound the last one
    execFileSync('npm', ['run', '-s', 'package', '--', '--out', join(run, 'conoha-ipv6.vsix')], { cwd: ROOT, stdio: 'pipe' });
    const ws = join(run, 'ws-ui');
    mkdirSync(ws);
    // this user logs in as root with an encrypted key, and has never seen the host's key
    const knownHosts = join(run, 'known_hosts_ui');
    writeFileSync(knownHosts, '');
    const settings = {
      ...labSettings(L),
      'conohaIpv6.hosts': [{ name: 'lab', host: L.LAB_SSH6, user: 'root', identityFile: L.LAB_KEY_ENC }],
      'conohaIpv6.knownHostsFile': knownHosts,
    };
    const cs = await startCodeServer({ userDataDir: join(run, 'ud-ui'), extensionsDir: join(run, 'exts-ui'), workspace: ws, settings, env: suiteEnv(env.LAB_PREFIX), installVsix: [join(run, 'conoha-ipv6.vsix')] });
    const browser = await launchBrowser();
    let page: Awaited<ReturnType<typeof openWorkbench>> | undefined;
    try {
      page = await openWorkbench(browser, cs, { width: 1400, height: 900 });
      const shot = (name: string) => page!.screenshot({ path: join(SHOTS, name) });

      // the activity-bar icon opens the view with the configured host
      await page.locator('.activitybar .action-item a[aria-label^="ConoHa IPv6"], .activitybar .action-item[aria-label^="ConoHa IPv6"]').first().click();
      /** the tree row whose label is exactly `text` (a section's description may contain an address too) */
      const row = (text: string) =>
        page!.locator('.pane-body .monaco-list-row').filter({ has: page!.locator('.label-name', { hasText: new RegExp(`^${text.replace(/[.]/g, '\\.')}$`) }) }).first();
      await row('lab').waitFor({ timeout: 30_000 });
      // a wider sidebar, as a user would drag it, so the addresses are readable in the screenshots
      const side: { x: number; y: number; width: number; height: number } | null = await page.locator('.part.sidebar').first().boundingBox();
      if (side) {
        await page.mouse.move(side.x + side.width + 1, 400);
        await page.mouse.down();
        await page.mouse.move(620, 400, { steps: 5 });
        await page.mouse.up();
      }
      await shot('1-host.png');

      // expanding the host connects: the unknown host key is shown with its fingerprint and trusted on request,
      // then the key's passphrase is asked (and kept in SecretStorage), then the 16 addresses show
      await row('lab').click();
      const trust = page.locator('.monaco-dialog-box .monaco-button', { hasText: 'Trust and Connect' });
      await trust.waitFor({ timeout: 30_000 });
      assert.match(await page.locator('.monaco-dialog-box').first().innerText(), /SHA256:[A-Za-z0-9+/]{43}/);
      await shot('2-host-key.png');
      await trust.click();
      const passphrase = page.locator('.quick-input-widget input[type="password"]');
      await passphrase.waitFor({ timeout: 30_000 });
      await passphrase.fill(L.LAB_KEY_ENC_PASSPHRASE);
      await page.keyboard.press('Enter');
      await row(ADDRESS).waitFor({ timeout: 60_000 });
      // recorded as OpenSSH finds it (hashed where the ssh config says HashKnownHosts yes, as Debian's does)
      assert.match(spawnSync('ssh-keygen', ['-F', L.LAB_SSH6, '-f', knownHosts], { encoding: 'utf8' }).stdout, /ssh-ed25519 /, 'the trusted key is in known_hosts');
      await shot('3-addresses.png');

      // the command palette offers "Prepare Host"; it asks once, then applies
      await runFromPalette(page, 'ConoHa IPv6: Prepare Host');
      const apply = page.locator('.monaco-dialog-box .monaco-button', { hasText: 'Apply' });
      await apply.waitFor({ timeout: 60_000 });
      await shot('4-prepare-plan.png');
      await apply.click();
      await page.locator('.notifications-toasts .notification-list-item-message', { hasText: /checks pass/ }).first().waitFor({ timeout: 120_000 });
      await shot('5-prepared.png');

      // right-click a free address: "Assign IPv6 to Container", pick c1
      await row(ADDRESS).click({ button: 'right' });
      const item = page.locator('.monaco-menu .action-menu-item', { hasText: 'Assign IPv6 to Container' }).first();
      await item.waitFor({ timeout: 15_000 });
      await item.hover();
      await page.keyboard.press('Enter'); // the hovered menu entry runs on Enter, as with a mouse click
      await page.locator('.quick-input-list .monaco-list-row', { hasText: 'c1' }).first().waitFor({ timeout: 30_000 });
      await page.locator('.quick-input-widget input').fill('c1');
      await page.keyboard.press('Enter');
      await row(ADDRESS).filter({ hasText: '→ c1' }).waitFor({ timeout: 60_000 });
      await shot('6-assigned.png');
      assert.equal(lab(env, 'ping', ADDRESS).status, 0, 'the provider router reaches the address assigned from the UI');

      // Disconnect and Connect from the palette: the passphrase now comes from SecretStorage, no prompt
      await runFromPalette(page, 'ConoHa IPv6: Disconnect');
      await row(ADDRESS).waitFor({ state: 'detached', timeout: 30_000 });
      await runFromPalette(page, 'ConoHa IPv6: Connect');
      await row(ADDRESS).filter({ hasText: '→ c1' }).waitFor({ timeout: 60_000 });
      assert.equal(await passphrase.isVisible(), false, 'no passphrase prompt the second time');
    } catch (e) {
      await page?.screenshot({ path: join(SHOTS, 'failed.png') }).catch(() => undefined);
      throw e;
    } finally {
      await browser.close();
      await cs.stop();
    }
  });
});
