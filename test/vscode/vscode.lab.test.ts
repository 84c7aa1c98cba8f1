// The extension in real VS Code (code-server 4.139 = VS Code 1.139, installed by test/vscode/harness.sh),
// against the lab host:
//  1. the extension-host suite (test/vscode/suite/) runs inside the real extension host and drives every
//     command with arguments, changing the lab for real;
//  2. a user in a real browser: the VSIX installed, activity-bar icon, the host and its addresses,
//     "Prepare Host" from the command palette, right-click a free address, "Assign IPv6 to Container",
//     the binding in the tree and the router reaching it. Screenshots go to out/screenshots/.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lab, labDown, labUp } from '../lab/labHarness';
import { ensureHarness, launchBrowser, openWorkbench, runExtensionTests, runFromPalette, startCodeServer } from './harness';
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
    const cs = await startCodeServer({ userDataDir: join(run, 'ud-ui'), extensionsDir: join(run, 'exts-ui'), workspace: ws, settings: labSettings(L), env: suiteEnv(env.LAB_PREFIX), installVsix: [join(run, 'conoha-ipv6.vsix')] });
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
      const side = await page.locator('.part.sidebar').first().boundingBox();
      if (side) {
        await page.mouse.move(side.x + side.width + 1, 400);
        await page.mouse.down();
        await page.mouse.move(620, 400, { steps: 5 });
        await page.mouse.up();
      }
      await shot('1-host.png');

      // expanding the host connects and shows its 16 addresses
      await row('lab').click();
      await row(ADDRESS).waitFor({ timeout: 60_000 });
      await shot('2-addresses.png');

      // the command palette offers "Prepare Host"; it asks once, then applies
      await runFromPalette(page, 'ConoHa IPv6: Prepare Host');
      const apply = page.locator('.monaco-dialog-box .monaco-button', { hasText: 'Apply' });
      await apply.waitFor({ timeout: 60_000 });
      await shot('3-prepare-plan.png');
      await apply.click();
      await page.locator('.notifications-toasts .notification-list-item-message', { hasText: /checks pass/ }).first().waitFor({ timeout: 120_000 });
      await shot('4-prepared.png');

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
      await shot('5-assigned.png');
      assert.equal(lab(env, 'ping', ADDRESS).status, 0, 'the provider router reaches the address assigned from the UI');
    } catch (e) {
      await page?.screenshot({ path: join(SHOTS, 'failed.png') }).catch(() => undefined);
      throw e;
    } finally {
      await browser.close();
      await cs.stop();
    }
  });
});
