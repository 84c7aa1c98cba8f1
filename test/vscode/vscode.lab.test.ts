// The extension in real VS Code (code-server 4.139 = VS Code 1.139, installed by test/vscode/harness.sh),
// against the lab host:
//  1. the extension-host suite (test/vscode/suite/) runs inside the real extension host and drives every
//     command with arguments, changing the lab for real;
//  2. a new user in a real browser, through the workbench only: the VSIX installed, no host in the settings, a key in
//     ~/.ssh. The activity-bar icon; the view's Add Host; the host typed into the quick pick, the key picked from
//     ~/.ssh, a name; expanding it asks to trust the unknown host key (fingerprint shown) and for the key's
//     passphrase; its addresses; "Prepare Host" from the palette (the plan shown, Apply); right-click a free
//     address, "Assign IPv6 to Container", the router reaching it; proxy NDP turned off by hand, Verify from the
//     host's menu names it, the notification's Repair Host fixes it (ready, reachable again); Verify by keyboard
//     only (arrow keys, Shift+F10); a second host that never answers beside the live one: the live one's addresses
//     come at once (the passphrase from SecretStorage), the silent one ends in error with Retry, Edit Host and
//     Show Log. Cropped screenshots of each step go to out/screenshots/.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { AddressInfo, createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lab, labDown, labUp } from '../lab/labHarness';
import { around, Box, buttonsOf, launchBrowser, openWorkbench, Page, runFromPalette, toast, treeRow, walkClock } from './browser';
import { startCodeServer } from './codeServer';
import { runExtensionTests } from './extensionTests';
import { ensureHarness } from './harnessInstall';
import { HOST_NAME, labSettings, ROOT, SUITE, suiteEnv } from './labWorkspace';

const env = { LAB_PREFIX: process.env.CIV6_TEST_LAB_PREFIX3 ?? 'cv6x' };
const SHOTS = join(ROOT, 'out/screenshots');
const ADDRESS = '2001:db8:1301:814:a157:7:235:120';
const VIEWPORT = { width: 1400, height: 900 };

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

  it('UI, a new user: Add Host by typing it, trust, Prepare, Assign, break and Repair, keyboard only, a dead host beside it', async () => {
    const L = labUp(env); // a fresh host: the suite above prepared and bound the last one
    execFileSync('npm', ['run', '-s', 'package', '--', '--out', join(run, 'conoha-ipv6.vsix')], { cwd: ROOT, stdio: 'pipe' });
    const ws = join(run, 'ws-ui');
    mkdirSync(ws);
    // a new user: no host in the settings; a HOME whose ~/.ssh holds their key (the lab's encrypted root key) as
    // id_ed25519, and has never seen the host's key. conohaIpv6.knownHostsFile names that HOME's known_hosts only
    // because `ssh -G` (which the extension asks) finds ~ from the password database, not from HOME: without it the
    // trusted key would go to this machine's real /root/.ssh/known_hosts.
    const home = join(run, 'home-ui');
    mkdirSync(join(home, '.ssh'), { recursive: true, mode: 0o700 });
    copyFileSync(L.LAB_KEY_ENC, join(home, '.ssh/id_ed25519'));
    chmodSync(join(home, '.ssh/id_ed25519'), 0o600);
    copyFileSync(`${L.LAB_KEY_ENC}.pub`, join(home, '.ssh/id_ed25519.pub'));
    const knownHosts = join(home, '.ssh/known_hosts');
    writeFileSync(knownHosts, '');
    const userDataDir = join(run, 'ud-ui');
    const settingsFile = join(userDataDir, 'User/settings.json');
    const hostsInSettings = () => (JSON.parse(readFileSync(settingsFile, 'utf8')) as Record<string, unknown>)['conohaIpv6.hosts'];
    // a host that does not answer: a loopback port that accepts the TCP connection and never says a word
    const silent: Socket[] = [];
    const dead = createServer((s) => silent.push(s));
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const deadPort = (dead.address() as AddressInfo).port;

    const cs = await startCodeServer({ userDataDir, extensionsDir: join(run, 'exts-ui'), workspace: ws, settings: { 'conohaIpv6.knownHostsFile': knownHosts }, env: { ...suiteEnv(env.LAB_PREFIX), HOME: home }, installVsix: [join(run, 'conoha-ipv6.vsix')] });
    const browser = await launchBrowser();
    let page: Page | undefined;
    const { step, whole } = walkClock('ui');
    try {
      const p = (page = await openWorkbench(browser, cs, VIEWPORT));
      const row = (label: string) => treeRow(p, label);
      const quickInput = p.locator('.quick-input-widget');
      const quickRows = p.locator('.quick-input-list .monaco-list-row');
      const sidebar = (): Promise<Box | null> => p.locator('.part.sidebar').first().boundingBox();
      const dialog = p.locator('.monaco-dialog-box').first();
      /** a screenshot of the part of the window that shows what the step is about */
      const shot = async (name: string, ...parts: (Box | null)[]) => {
        await p.screenshot({ path: join(SHOTS, name), ...(parts.length ? { clip: around(p, parts, 0) } : {}) });
      };
      /** the top `height` pixels of a box */
      /** the open context menu's entry: pointed at, then run (the hovered entry runs on Enter, as on a click) */
      const chooseFromMenu = async (text: string) => {
        const item = p.locator('.monaco-menu .action-menu-item', { hasText: text }).first();
        await item.waitFor({ timeout: 15_000 });
        await item.hover();
        await p.keyboard.press('Enter');
        await item.waitFor({ state: 'detached', timeout: 5_000 });
      };
      const top = (b: Box | null, height: number): Box | null => b && { ...b, height: Math.min(b.height, height) };
      /** the sidebar and the notifications side by side: the window made small for a moment (the notifications
       * sit in its lower right corner), its sidebar and what is right of it */
      const compactShot = async (name: string, size = { width: 1100, height: 340 }) => {
        await p.mouse.move(size.width - 300, 120); // no row under the pointer (its hover colour and buttons)
        await p.setViewportSize(size);
        await p.waitForTimeout(400); // the workbench lays out again
        const sb = await sidebar();
        if (!sb) throw new Error('no sidebar to photograph');
        await p.screenshot({ path: join(SHOTS, name), clip: { x: sb.x, y: sb.y, width: size.width - sb.x, height: sb.height } });
        await p.setViewportSize(VIEWPORT);
        await p.waitForTimeout(400);
      };

      // 1. Add Host. The activity-bar icon opens the view; with no host it says so and offers Add Host
      await p.locator('.activitybar .action-item a[aria-label^="ConoHa IPv6"], .activitybar .action-item[aria-label^="ConoHa IPv6"]').first().click();
      const welcome = p.locator('.welcome-view-content', { hasText: 'No ConoHa host yet' }).first();
      await welcome.waitFor({ timeout: 30_000 });
      // a wider sidebar, as a user would drag it, so the addresses are readable in the screenshots
      const side = await sidebar();
      if (side) {
        await p.mouse.move(side.x + side.width + 1, 400);
        await p.mouse.down();
        await p.mouse.move(620, 400, { steps: 5 });
        await p.mouse.up();
      }
      await shot('1-welcome.png', top(await sidebar(), 200));
      await welcome.locator('.monaco-button', { hasText: 'Add Host' }).first().click();
      // the quick pick: typing user@[address]:port makes an "Add ..." item, which Enter accepts
      await quickInput.locator('.quick-input-title', { hasText: 'Add ConoHa host' }).waitFor({ timeout: 15_000 });
      await p.keyboard.type(`root@[${L.LAB_SSH6}]:22`);
      const typed = quickRows.filter({ hasText: `Add root@[${L.LAB_SSH6}]` }).first();
      await typed.waitFor({ timeout: 10_000 });
      await shot('2-add-host-typed.png', top(await sidebar(), 130), await quickInput.boundingBox());
      await p.keyboard.press('Enter');
      // the key step: the user's ~/.ssh/id_* keys and Browse… (no agent: SSH_AUTH_SOCK is empty here)
      await quickInput.locator('.quick-input-title', { hasText: `Add root@[${L.LAB_SSH6}]: which key?` }).waitFor({ timeout: 10_000 });
      await quickRows.filter({ hasText: 'Browse…' }).first().waitFor({ timeout: 10_000 });
      const keyItems = (): Promise<string[]> => quickRows.evaluateAll((rows: { getAttribute(n: string): string | null }[]) => rows.map((r) => r.getAttribute('aria-label')));
      assert.deepEqual(await keyItems(), ['~/.ssh/id_ed25519', 'Browse…, a private key file']);
      await shot('3-add-host-key.png', top(await sidebar(), 130), await quickInput.boundingBox());
      await quickRows.filter({ hasText: '~/.ssh/id_ed25519' }).first().click();
      // the name in the sidebar: the address is offered; the user calls it "lab"
      const nameInput = quickInput.locator('input').first();
      await quickInput.locator('.quick-input-title', { hasText: 'name in the sidebar' }).waitFor({ timeout: 10_000 });
      assert.equal(await nameInput.inputValue(), L.LAB_SSH6);
      await nameInput.fill(HOST_NAME);
      await p.keyboard.press('Enter');
      // the host is in the view, not connected yet; the extension saved it (the user never opened settings.json)
      await row(HOST_NAME).filter({ hasText: `root@[${L.LAB_SSH6}] · not connected` }).waitFor({ timeout: 15_000 });
      assert.deepEqual(hostsInSettings(), [{ name: HOST_NAME, host: L.LAB_SSH6, identityFile: '~/.ssh/id_ed25519' }]);
      await shot('4-added.png', top(await sidebar(), 80));
      step('1. Add Host typed, key picked, named, in the view');

      // expanding the host connects: the unknown host key is shown with its fingerprint and trusted on request,
      // then the key's passphrase is asked (and kept in SecretStorage), then the 16 addresses show
      await row(HOST_NAME).click();
      const trust = p.locator('.monaco-dialog-box .monaco-button', { hasText: 'Trust and Connect' });
      await trust.waitFor({ timeout: 30_000 });
      assert.match(await dialog.innerText(), /SHA256:[A-Za-z0-9+/]{43}/);
      await shot('5-host-key.png', await dialog.boundingBox());
      await trust.click();
      const passphrase = p.locator('.quick-input-widget input[type="password"]');
      await passphrase.waitFor({ timeout: 30_000 });
      await passphrase.fill(L.LAB_KEY_ENC_PASSPHRASE);
      await p.keyboard.press('Enter');
      await row(ADDRESS).waitFor({ timeout: 60_000 });
      // recorded as OpenSSH finds it (hashed where the ssh config says HashKnownHosts yes, as Debian's does)
      assert.match(spawnSync('ssh-keygen', ['-F', L.LAB_SSH6, '-f', knownHosts], { encoding: 'utf8' }).stdout, /ssh-ed25519 /, 'the trusted key is in known_hosts');
      await row(HOST_NAME).filter({ hasText: /problems?$/ }).waitFor({ timeout: 10_000 }); // not prepared yet
      step('   connected: host key trusted, passphrase typed, addresses shown');

      // 2. Prepare Host from the command palette: the plan is shown, one Apply, then the checks pass
      await runFromPalette(p, 'ConoHa IPv6: Prepare Host');
      const apply = p.locator('.monaco-dialog-box .monaco-button', { hasText: 'Apply' });
      await apply.waitFor({ timeout: 60_000 });
      const plan = String(await dialog.innerText());
      assert.match(plan, new RegExp(`Apply \\d+ changes to ${HOST_NAME}\\?`));
      assert.match(plan, /proxy NDP/i, 'the plan names the proxy NDP entries');
      await shot('6-prepare-plan.png', top(await dialog.boundingBox(), 420));
      await apply.click();
      await toast(p, /checks pass/).waitFor({ timeout: 120_000 });
      await row(HOST_NAME).filter({ hasText: '· ready' }).waitFor({ timeout: 10_000 });
      await compactShot('6b-prepared.png');
      // every check passes: the user folds the Host setup group away
      await row('Host setup').filter({ hasText: /all \d+ checks pass/ }).click();
      await row('forwarding').waitFor({ state: 'detached', timeout: 10_000 });
      step('2. Prepare Host: plan shown, applied, ready');

      // right-click a free address: "Assign IPv6 to Container", pick c1
      await row(ADDRESS).click({ button: 'right' });
      await p.locator('.monaco-menu .action-menu-item', { hasText: 'Assign IPv6 to Container' }).first().hover();
      await shot('7a-assign-menu.png', top(await sidebar(), 300), await p.locator('.monaco-menu').first().boundingBox());
      await chooseFromMenu('Assign IPv6 to Container');
      await quickRows.filter({ hasText: 'c1' }).first().waitFor({ timeout: 30_000 });
      await shot('7b-assign-pick.png', top(await sidebar(), 130), await quickInput.boundingBox());
      await quickInput.locator('input').first().fill('c1');
      await p.keyboard.press('Enter');
      await row(ADDRESS).filter({ hasText: '→ c1' }).waitFor({ timeout: 60_000 });
      await p.mouse.move(VIEWPORT.width - 300, 120); // no tooltip in the picture
      await shot('7-assigned.png', top(await sidebar(), 400));
      assert.equal(lab(env, 'ping', ADDRESS).status, 0, 'the provider router reaches the address assigned from the UI');
      // the status bar sums it up: one address of 16 bound, every check passing (no warning)
      const status = p.locator('.part.statusbar .statusbar-item', { has: p.locator('[aria-label^="ConoHa IPv6:"]') }).first();
      await status.filter({ hasText: /^\s*IPv6 1\/16\s*$/ }).waitFor({ timeout: 10_000 });
      assert.equal(await status.locator('.codicon-pass').count(), 1);
      assert.doesNotMatch(String(await status.getAttribute('class')), /warning-kind|error-kind/);
      step('   Assign from the context menu, router reaches it');

      // 3. someone breaks the host by hand: proxy NDP turned off on the uplink (a deleted proxy entry is no test of
      // the UI: the agent on the host puts it back within seconds, by design)
      const off = lab(env, 'vps', 'sysctl', '-w', `net.ipv6.conf.${L.LAB_UPLINK}.proxy_ndp=0`);
      assert.equal(off.status, 0, off.stderr);
      // the router forgets what it learnt before, as it does after a while (else its cache still reaches the address)
      assert.equal(lab(env, 'router', 'ip', '-6', 'neigh', 'flush', 'all').status, 0);
      assert.notEqual(lab(env, 'ping', ADDRESS).status, 0, 'without proxy NDP the address is unreachable');
      // Verify from the host's context menu: a warning that names the failing check, with Repair Host
      await runFromPalette(p, 'Notifications: Clear All Notifications'); // the earlier ones, out of the way
      await row(HOST_NAME).click({ button: 'right' });
      await chooseFromMenu('Verify Routes, Neighbors and RA');
      const broken = toast(p, new RegExp(`^${HOST_NAME}: 1 of \\d+ checks fail: proxy NDP is off on ${L.LAB_UPLINK}`));
      await broken.waitFor({ timeout: 60_000 });
      assert.deepEqual(await buttonsOf(broken), ['Repair Host', 'Show Log']);
      await row(HOST_NAME).filter({ hasText: '· 1 problem' }).waitFor({ timeout: 10_000 });
      await row('Host setup').filter({ hasText: /1 of \d+ checks fails/ }).waitFor({ timeout: 10_000 });
      await status.filter({ hasText: /^\s*IPv6 1\/16 · 1 problem\s*$/ }).waitFor({ timeout: 10_000 });
      assert.match(String(await status.getAttribute('class')), /warning-kind/);
      await compactShot('8-broken.png');
      step('3. broken by hand, Verify from the context menu says so');
      // one click on the notification's Repair Host: the repair plan (a rollback armed, proxy NDP on) is shown, Apply, ready again
      await broken.locator('.monaco-button', { hasText: 'Repair Host' }).click();
      await apply.waitFor({ timeout: 60_000 });
      const repairPlan = String(await dialog.innerText());
      assert.match(repairPlan, new RegExp(`Repair ${HOST_NAME}: apply 2 changes\\?`));
      assert.match(repairPlan, /1\. arm a rollback/);
      assert.match(repairPlan, /2\. answer neighbour solicitations for the addresses on .*: proxy_ndp=1 \(now 0\)/);
      await apply.click();
      await row(HOST_NAME).filter({ hasText: '· ready' }).waitFor({ timeout: 60_000 });
      await row(ADDRESS).filter({ has: p.locator('.label-description', { hasText: /^→ c1$/ }) }).waitFor({ timeout: 10_000 });
      const repaired = toast(p, new RegExp(`^${HOST_NAME}: 2 steps applied; (\\d+) of \\1 checks pass\\.$`));
      await repaired.waitFor({ timeout: 10_000 });
      await compactShot('9-repaired.png');
      assert.equal(lab(env, 'ping', ADDRESS, '3').status, 0, 'the provider router reaches the address again after Repair Host');
      step('   Repair Host from the notification: ready, reachable');

      // 5. keyboard only: focus the view from the palette, arrow keys to the host row, Shift+F10, Verify with keys
      await runFromPalette(p, 'ConoHa IPv6: Focus on Hosts View', 30_000, { keyboard: true });
      const focused = p.locator('.pane-body .monaco-list:focus-within .monaco-list-row.focused .label-name').first();
      for (let i = 0; ; i++) {
        if ((await focused.count()) && (await focused.innerText()).trim() === HOST_NAME) break;
        if (i > 40) throw new Error(`keyboard: no focused "${HOST_NAME}" row after 40 arrow keys`);
        await p.keyboard.press(i === 0 ? 'ArrowDown' : 'ArrowUp');
      }
      await p.keyboard.press('Shift+F10');
      const menu = p.locator('.monaco-menu').first();
      await menu.waitFor({ timeout: 10_000 });
      const focusedItem = p.locator('.monaco-menu .action-item.focused').first();
      for (let i = 0; ; i++) {
        if ((await focusedItem.count()) && (await focusedItem.innerText()).includes('Verify Routes, Neighbors and RA')) break;
        if (i > 20) throw new Error('keyboard: "Verify Routes, Neighbors and RA" not reached with the arrow keys');
        await p.keyboard.press('ArrowDown');
      }
      await shot('10-keyboard-menu.png', top(await sidebar(), 60), await menu.boundingBox());
      await p.keyboard.press('Enter');
      await toast(p, new RegExp(`^${HOST_NAME}: all \\d+ checks pass\\.$`)).waitFor({ timeout: 60_000 });
      step('5. keyboard: view focused, row by arrows, Shift+F10, Verify by keys: all pass');

      // 4. a dead host beside the live one: added the same way (the view's + button), it never answers
      await row(HOST_NAME).hover(); // the view's title buttons show while the pointer is over the view
      await p.locator('.part.sidebar .title-actions .action-label[aria-label^="Add Host"], .part.sidebar .pane-header .action-label[aria-label^="Add Host"]').first().click();
      await quickInput.locator('.quick-input-title', { hasText: 'Add ConoHa host' }).waitFor({ timeout: 15_000 });
      await p.keyboard.type(`root@127.0.0.1:${deadPort}`);
      await quickRows.filter({ hasText: `Add root@127.0.0.1:${deadPort}` }).first().waitFor({ timeout: 10_000 });
      await p.keyboard.press('Enter');
      await quickRows.filter({ hasText: '~/.ssh/id_ed25519' }).first().waitFor({ timeout: 10_000 });
      await p.keyboard.press('Enter');
      await quickInput.locator('.quick-input-title', { hasText: 'name in the sidebar' }).waitFor({ timeout: 10_000 });
      await quickInput.locator('input').first().fill('old-vps');
      await p.keyboard.press('Enter');
      await row('old-vps').filter({ hasText: '· not connected' }).waitFor({ timeout: 15_000 });
      // the live host is disconnected (its context menu), then both are expanded, the dead one first
      await row(HOST_NAME).click({ button: 'right' });
      await chooseFromMenu('Disconnect');
      await row(ADDRESS).waitFor({ state: 'detached', timeout: 30_000 });
      await row('old-vps').click();
      const tExpand = Date.now();
      await row('old-vps').filter({ hasText: '· connecting…' }).waitFor({ timeout: 10_000 });
      await row(HOST_NAME).click();
      // the live host's addresses come (the passphrase from SecretStorage: no prompt) while the dead one still connects
      await row(ADDRESS).filter({ hasText: '→ c1' }).waitFor({ timeout: 10_000 });
      const liveMs = Date.now() - tExpand;
      assert.equal(await row('old-vps').filter({ hasText: '· connecting…' }).count(), 1, `old-vps still connects when ${HOST_NAME}'s addresses show (${liveMs} ms)`);
      assert.equal(await passphrase.isVisible(), false, 'no passphrase prompt the second time');
      await shot('11-dead-connecting.png', top(await sidebar(), 640));
      step(`4. dead beside live: ${HOST_NAME}'s addresses after ${liveMs} ms, old-vps still connecting`);
      // the dead one times out: error on its row, the reason under it, and Retry / Edit Host / Show Log
      const failed = toast(p, /^Connect to old-vps: no SSH session with .* within 15 s/);
      await failed.waitFor({ timeout: 30_000 });
      const deadMs = Date.now() - tExpand;
      assert.deepEqual(await buttonsOf(failed), ['Retry', 'Edit Host', 'Show Log']);
      await row('old-vps').filter({ hasText: `root@127.0.0.1:${deadPort} · error` }).waitFor({ timeout: 10_000 });
      await p.locator('.pane-body .monaco-list-row', { hasText: /no SSH session with .* within 15 s/ }).first().waitFor({ timeout: 10_000 });
      await row(HOST_NAME).filter({ hasText: '· ready' }).waitFor({ timeout: 10_000 });
      // the user folds the live host's groups to see both hosts at once
      for (const group of ['Addresses', 'Containers without an address', 'All containers']) await row(group).click();
      await row(ADDRESS).waitFor({ state: 'detached', timeout: 10_000 });
      await compactShot('12-dead-error.png');
      // Show Log opens the extension's log, which says what happened
      await failed.locator('.monaco-button', { hasText: 'Show Log' }).click();
      // (the editor shows spaces as no-break spaces: \s matches both)
      await p.locator('.part.panel .view-line', { hasText: /\[error\]\s\[old-vps\]\sconnect\sfailed:\sno\sSSH\ssession\swith/ }).first().waitFor({ timeout: 15_000 });
      step(`   old-vps: error after ${deadMs} ms with Retry, Edit Host, Show Log; Show Log shows why`);
      whole();
    } catch (e) {
      await page?.screenshot({ path: join(SHOTS, 'failed.png') }).catch(() => undefined);
      throw e;
    } finally {
      await browser.close();
      await cs.stop();
      for (const s of silent) s.destroy();
      dead.close();
    }
  });
});
