// Three hosts at once, in Japanese, in real VS Code (code-server 4.139 = VS Code 1.139, --locale ja with a Japanese
// language pack registered): three lab VPSes, the third reachable only through a bastion (LAB_BASTION=1), each
// prepared with the CLI and holding an address (the set-up a user has after a while). The user's VS Code has the
// VSIX installed, the three hosts in its settings as Add Host writes them from the ssh config (the third with
// proxyJump naming the bastion's Host alias), and one known_hosts with every hop. In the browser: "Connect All Hosts"
// from the palette by its Japanese title; each row ready in Japanese with its 16 addresses under it; the status bar
// item's totals and its tooltip (a line per host); a click on it brings the view back. The walkthrough, opened first
// from the palette, ticks its steps as they become true (hosts added; connected, prepared, bound after Connect All;
// verified after Verify from a host's menu). Then proxy NDP turned off by hand on the bastion's VPS, Refresh: the
// status bar warns; Repair Host: healthy again.
// Cropped screenshots (the view, the status bar, the walkthrough) go to out/screenshots/.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanupHome, cli, Lab, lab, labDown, labUp } from '../lab/labHarness';
import { around, Box, launchBrowser, openWorkbench, Page, runFromPalette, toast, treeRow, walkClock } from './browser';
import { startCodeServer } from './codeServer';
import { ensureHarness } from './harnessInstall';
import { registerJapanesePack } from './japanese';
import { ROOT } from './labWorkspace';

const prefix = process.env.CIV6_TEST_MANY_PREFIX ?? 'cv6m';
// three VPSes with host addresses of their own, so each has its own 16 addresses (the ConoHa rule: ...:12 gives ...:120/124)
const envs: NodeJS.ProcessEnv[] = [
  { LAB_PREFIX: `${prefix}1`, LAB_HOST_ADDR: '2001:db8:1301:814:157:7:235:12' },
  { LAB_PREFIX: `${prefix}2`, LAB_HOST_ADDR: '2001:db8:1301:814:157:7:236:21' },
  { LAB_PREFIX: `${prefix}3`, LAB_HOST_ADDR: '2001:db8:1301:814:157:7:237:34', LAB_BASTION: '1' },
];
const NAMES = ['vps-a', 'vps-b', 'vps-c'];
/** containers bound at set-up, per host */
const BOUND = [['c1'], ['c1', 'c2'], ['c1']];
const SHOTS = join(ROOT, 'out/screenshots');
const VIEWPORT = { width: 1280, height: 800 };
/** l10n/bundle.l10n.ja.json and package.nls.ja.json: what the user reads, as the extension renders it */
const ja = JSON.parse(readFileSync(join(ROOT, 'l10n/bundle.l10n.ja.json'), 'utf8')) as Record<string, string>;
const nls = JSON.parse(readFileSync(join(ROOT, 'package.nls.ja.json'), 'utf8')) as Record<string, string>;
const t = (key: string, ...args: (string | number)[]): string => {
  const s = ja[key];
  if (s === undefined) throw new Error(`no Japanese for ${JSON.stringify(key)}`);
  return s.replace(/\{(\d+)\}/g, (_, i: string) => String(args[Number(i)]));
};
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('three hosts at once, one behind a bastion, in Japanese (code-server --locale ja)', () => {
  let run: string;
  const up: NodeJS.ProcessEnv[] = [];
  const L: Lab[] = [];
  let sshConfig: string;
  let knownHosts: string;
  /** each host's 16 addresses and its /124, from the CLI's derive (as a user reads them) */
  const derived: { addresses: string[]; prefix: string }[] = [];

  before(() => {
    ensureHarness();
    run = mkdtempSync(join(tmpdir(), 'civ6-vscode-many-'));
    mkdirSync(SHOTS, { recursive: true });
    const t0 = Date.now();
    for (const env of envs) {
      up.push(env);
      L.push(labUp(env));
    }
    console.log(`  [many] three labs up: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const [, , C] = L;
    // the user's ssh config: the third VPS through the bastion (its Host alias, user and key); known_hosts: every hop
    sshConfig = join(run, 'ssh_config');
    writeFileSync(
      sshConfig,
      [
        `Host ${NAMES[2]}`, `  HostName ${C.LAB_VPS_INTERNAL6}`, '  User root', `  IdentityFile ${C.LAB_KEY_ROOT}`, '  ProxyJump bastion',
        'Host bastion', `  HostName ${C.LAB_BASTION_SSH6}`, `  User ${C.LAB_BASTION_USER}`, `  IdentityFile ${C.LAB_KEY_USER}`, '  IdentitiesOnly yes', '',
      ].join('\n'),
    );
    knownHosts = join(run, 'known_hosts');
    writeFileSync(knownHosts, L.map((l) => readFileSync(l.LAB_KNOWN_HOSTS, 'utf8')).join(''));
    // set-up with the CLI: each host prepared, with addresses bound
    const t1 = Date.now();
    for (const [i, l] of L.entries()) {
      const conn = i === 2 ? ['--host', NAMES[2], '--ssh-config', sshConfig] : ['--host', `root@[${l.LAB_SSH6}]`, '--identity', l.LAB_KEY_ROOT];
      conn.push('--known-hosts', knownHosts);
      const p = cli(['prepare', ...conn]);
      assert.equal(p.code, 0, `prepare ${NAMES[i]}: ${p.stdout}${p.stderr}`);
      for (const c of BOUND[i]) {
        const a = cli(['assign', ...conn, c]);
        assert.equal(a.code, 0, `assign ${c} on ${NAMES[i]}: ${a.stdout}${a.stderr}`);
      }
      const d = cli(['derive', l.LAB_HOST_ADDR, '--json']);
      assert.equal(d.code, 0, d.stderr);
      derived.push(JSON.parse(d.stdout) as { addresses: string[]; prefix: string });
    }
    console.log(`  [many] prepared and bound with the CLI: ${((Date.now() - t1) / 1000).toFixed(1)} s`);
  });
  after(() => {
    const errors: unknown[] = [];
    for (const env of up) {
      try {
        labDown(env);
      } catch (e) {
        errors.push(e);
      }
    }
    cleanupHome();
    if (run) rmSync(run, { recursive: true, force: true });
    if (errors.length) throw errors[0];
  });

  it('Connect All: three rows ready in Japanese, the status bar sums them, the walkthrough ticked; a break warns, Repair heals', async () => {
    const userDataDir = join(run, 'ud');
    mkdirSync(userDataDir, { recursive: true });
    registerJapanesePack(userDataDir);
    const ws = join(run, 'ws');
    mkdirSync(ws);
    // the VSIX as a user installs it
    const vsix = join(run, 'conoha-ipv6.vsix');
    execFileSync('npm', ['run', '-s', 'package', '--', '--out', vsix], { cwd: ROOT, stdio: 'pipe' });
    // the hosts as Add Host saves them (for the third, from the ssh config: its HostName, User, IdentityFile, ProxyJump)
    const hosts = [
      { name: NAMES[0], host: L[0].LAB_SSH6, user: 'root', identityFile: L[0].LAB_KEY_ROOT },
      { name: NAMES[1], host: L[1].LAB_SSH6, user: 'root', identityFile: L[1].LAB_KEY_ROOT },
      { name: NAMES[2], host: L[2].LAB_VPS_INTERNAL6, user: 'root', identityFile: L[2].LAB_KEY_ROOT, proxyJump: 'bastion' },
    ];
    const home = join(run, 'home');
    mkdirSync(home);
    const cs = await startCodeServer({
      userDataDir,
      workspace: ws,
      settings: { 'conohaIpv6.hosts': hosts, 'conohaIpv6.knownHostsFile': knownHosts, 'conohaIpv6.sshConfigFile': sshConfig },
      args: ['--locale', 'ja'],
      env: { HOME: home, SSH_AUTH_SOCK: '' },
      installVsix: [vsix],
    });
    const browser = await launchBrowser();
    let page: Page | undefined;
    const { step, whole } = walkClock('many');
    try {
      const p = (page = await openWorkbench(browser, cs, VIEWPORT));
      assert.equal(await p.evaluate('globalThis._VSCODE_NLS_LANGUAGE'), 'ja', 'the workbench runs in Japanese');
      const row = (label: string) => treeRow(p, label);
      const sidebar = (): Promise<Box | null> => p.locator('.part.sidebar').first().boundingBox();
      const shot = async (name: string, ...parts: (Box | null)[]) => {
        await p.mouse.move(VIEWPORT.width - 200, 300); // no hover in the picture
        await p.screenshot({ path: join(SHOTS, name), clip: around(p, parts, 0) });
      };
      const item = p.locator('.part.statusbar .statusbar-item', { has: p.locator('[aria-label^="ConoHa IPv6:"]') }).first();
      const itemText = async () => String(await item.innerText()).replace(/\s+/g, ' ').trim();
      /** waits until the status bar item's text is `text` (its icon has no text) */
      const itemSays = (text: string, timeout = 10_000) => item.filter({ hasText: new RegExp(`^\\s*${esc(text)}\\s*$`) }).waitFor({ timeout });
      /** the open context menu's entry: pointed at, then run with Enter (a click on it right after the menu opens
       * was sometimes lost: the menu stayed open with the entry focused) */
      const chooseFromMenu = async (text: string) => {
        const entry = p.locator('.monaco-menu .action-menu-item', { hasText: text }).first();
        await entry.waitFor({ timeout: 15_000 });
        await entry.hover();
        await p.keyboard.press('Enter');
        await entry.waitFor({ state: 'detached', timeout: 5_000 });
      };
      /** the rendered rows of the view, in order: position, depth, label and description */
      type Row = { index: number; level: number; label: string; description: string };
      const rows = async (): Promise<Row[]> => {
        const all: Row[] = await p.locator('.pane-body .monaco-list-row').evaluateAll(
          (els: { getAttribute(n: string): string | null; querySelector(s: string): { textContent: string | null } | null }[]) =>
            els.map((e) => ({ index: Number(e.getAttribute('data-index')), level: Number(e.getAttribute('aria-level')), label: e.querySelector('.label-name')?.textContent ?? '', description: e.querySelector('.label-description')?.textContent ?? '' })),
        );
        return all.sort((a, b) => a.index - b.index);
      };
      /** the rows under host `host` (up to the next host) */
      const under = async (host: string): Promise<Row[]> => {
        const rs = await rows();
        const h = rs.findIndex((r) => r.level === 1 && r.label === host);
        if (h < 0) throw new Error(`no row ${host} in the view`);
        const next = rs.findIndex((r, i) => i > h && r.level === 1);
        return rs.slice(h + 1, next < 0 ? undefined : next);
      };
      /** the group row `label` under host `host` (the group labels repeat under each host) */
      const groupOf = async (host: string, label: string) => {
        const g = (await under(host)).find((r) => r.level === 2 && r.label === label);
        if (!g) throw new Error(`no "${label}" row under ${host} in the view`);
        return p.locator(`.pane-body .monaco-list-row[data-index="${g.index}"]`);
      };
      /** a click on a group row of `host` that folds (or opens) it, once the view shows it so (a group without rows stays) */
      const fold = async (host: string, label: string, open = false) => {
        const g = await groupOf(host, label);
        const was = await g.getAttribute('aria-expanded');
        if (was === null || was === String(open)) return;
        await g.click();
        const index = await g.getAttribute('data-index');
        await p.locator(`.pane-body .monaco-list-row[data-index="${index}"][aria-expanded="${open}"]`).waitFor({ timeout: 10_000 });
      };

      // the walkthrough first, from the palette by its Japanese title (Welcome: Open Walkthrough...): its steps in
      // Japanese; opening it activates the extension, and "add a VPS" ticks (three hosts configured), nothing else yet.
      // (VS Code 1.139 ticks a step when its context key turns true while the walkthrough is registered, which is when
      // the Welcome page is first used in a window: a key already true then leaves its step unticked in that window.)
      await runFromPalette(p, 'Welcome: Open Walkthrough...');
      const walkTitle = nls['walkthrough.start.title'];
      await p.locator('.quick-input-list .monaco-list-row', { hasText: walkTitle }).first().click();
      const walk = p.locator('.gettingStartedContainer').first();
      const steps = ['addHost', 'check', 'prepare', 'assign', 'verify'];
      const stepOf = (id: string) => walk.locator('.getting-started-step', { has: p.locator('.step-title', { hasText: nls[`walkthrough.start.${id}.title`] }) }).first();
      const ticked = async (id: string) => (await stepOf(id).locator('[role="checkbox"]').first().getAttribute('aria-checked')) === 'true';
      const tick = (id: string) => stepOf(id).locator('[role="checkbox"][aria-checked="true"]').waitFor({ timeout: 15_000 });
      for (const id of steps) await stepOf(id).waitFor({ timeout: 30_000 });
      await tick('addHost');
      assert.deepEqual(await Promise.all(steps.map(ticked)), [true, false, false, false, false], 'hosts added; none connected yet');

      // the view: three hosts, not connected yet; the status bar counts them
      await p.locator('.activitybar .action-item a[aria-label^="ConoHa IPv6"], .activitybar .action-item[aria-label^="ConoHa IPv6"]').first().click();
      await p.locator('.part.sidebar .composite.title', { hasText: `ConoHa IPv6: ${nls['view.hosts.name']}` }).first().waitFor({ timeout: 30_000 });
      for (const n of NAMES) await row(n).filter({ hasText: `· ${t('not connected')}` }).waitFor({ timeout: 30_000 });
      assert.equal(await itemText(), t('IPv6 {0} hosts', 3));
      // a wider sidebar, as a user would drag it, so the addresses are readable
      const side = await sidebar();
      if (side) {
        await p.mouse.move(side.x + side.width + 1, 400);
        await p.mouse.down();
        await p.mouse.move(640, 400, { steps: 5 });
        await p.mouse.up();
      }
      // the bastion's VPS: its row says through which hop
      await row(NAMES[2]).filter({ hasText: t('{0} via {1}', `root@[${L[2].LAB_VPS_INTERNAL6}]`, 'bastion') }).waitFor({ timeout: 10_000 });
      step('workbench in Japanese, three hosts not connected');

      // Connect All Hosts by its Japanese title: every row ready (all setup checks pass), in Japanese
      await runFromPalette(p, `ConoHa IPv6: ${nls['command.connectAll.title']}`);
      const tConnect = Date.now();
      // all three read and every check passing: the status bar says so (the rows below the fold are not drawn yet)
      const boundTotal = BOUND.flat().length;
      await itemSays(`IPv6 ${boundTotal}/48`, 90_000);
      const allReadyMs = Date.now() - tConnect;
      console.log(`  [many] Connect All → the three hosts read, every check passing: ${allReadyMs} ms`);
      const ready = (n: string) => row(n).filter({ hasText: new RegExp(`· ${esc(t('{0} mode', 'radvd'))} · ${esc(t('ready'))}$`) });
      await ready(NAMES[0]).waitFor({ timeout: 10_000 });
      // where each is: the row says where ssh goes, and the bastion's VPS through which hop
      assert.match(await row(NAMES[0]).innerText(), new RegExp(`root@\\[${esc(L[0].LAB_SSH6)}\\]`));

      // the status bar: addresses bound of the 48, nothing wrong; its tooltip a line per host
      assert.equal(await itemText(), `IPv6 ${boundTotal}/48`);
      assert.equal(await item.locator('.codicon-pass').count(), 1, 'the pass icon');
      const itemClass = String(await item.getAttribute('class'));
      assert.doesNotMatch(itemClass, /warning-kind|error-kind/, 'no warning or error background');
      // the walkthrough ticks what is now true: connected, prepared (every setup check passes), an address bound
      for (const id of ['check', 'prepare', 'assign']) await tick(id);
      assert.deepEqual(await Promise.all(steps.map(ticked)), [true, true, true, true, false], 'added, connected, prepared, bound; not verified yet');

      // each host's addresses under it, its bound ones with their container; the user folds the container groups
      for (const [i, n] of NAMES.entries()) {
        // the row in Japanese: where it is, the mode, ready (the hosts above are folded, so it is drawn now)
        await ready(n).waitFor({ timeout: 10_000 });
        assert.match(await row(n).innerText(), new RegExp(`root@\\[${esc(hosts[i].host)}\\]`));
        const addresses = await groupOf(n, t('Addresses'));
        assert.equal(String(await addresses.locator('.label-description').innerText()).trim(), t('{0} · {1} bound', derived[i].prefix, BOUND[i].length));
        for (const g of [t('Containers without an address'), t('All containers')]) await fold(n, g);
        const shown = (await under(n)).filter((r) => r.level === 3 && derived[i].addresses.includes(r.label));
        assert.equal(shown.length, 16, `${n}: its 16 addresses under it (${shown.map((r) => r.label).join(' ')})`);
        assert.deepEqual(shown.filter((r) => r.description.startsWith('→')).map((r) => r.description), BOUND[i].map((c) => `→ ${c}`));
        assert.equal(shown.filter((r) => r.description === t('free')).length, 16 - BOUND[i].length);
        // the next host comes into view when this one's addresses are folded (the first host's stay open)
        await fold(n, t('Addresses'));
      }
      await fold(NAMES[0], t('Addresses'), true); // the first host's addresses open again
      await row(derived[0].addresses[0]).waitFor({ timeout: 10_000 });
      const lastHost: Box | null = await row(NAMES[2]).boundingBox();
      const sb = await sidebar();
      await shot('many-ja-view.png', sb && lastHost && { ...sb, height: lastHost.y + 5 * 22 - sb.y + 8 });
      step('Connect All, three rows ready, addresses under each');

      // the tooltip: the title and a line per host, in Japanese
      await item.hover();
      const hover = p.locator('.workbench-hover, .monaco-hover', { hasText: NAMES[2] }).first();
      await hover.waitFor({ timeout: 10_000 });
      const tip = String(await hover.innerText());
      assert.match(tip, new RegExp(esc(t('ConoHa IPv6 (click: the Hosts view)'))));
      for (const [i, n] of NAMES.entries()) {
        const line = t('{0}: {1}, {2} (read at {3})', n, t('{0}/{1} addresses bound', BOUND[i].length, 16), t('every check passes'), '__');
        assert.match(tip, new RegExp(`^${esc(line).replace('__', '\\d\\d:\\d\\d:\\d\\d')}$`, 'm'));
      }
      const bar = await p.locator('.part.statusbar').first().boundingBox();
      const hb = await hover.boundingBox();
      await p.screenshot({ path: join(SHOTS, 'many-ja-statusbar.png'), clip: around(p, [hb, bar && { ...bar, width: 420 }], 4) });
      await p.mouse.move(VIEWPORT.width - 200, 300);
      // a click on it brings the view back from another one (the Explorer)
      await runFromPalette(p, 'View: Show Explorer');
      await p.locator('.part.sidebar .composite.title', { hasText: 'Explorer' }).first().waitFor({ timeout: 10_000 });
      await item.click();
      await p.locator('.part.sidebar .composite.title', { hasText: `ConoHa IPv6: ${nls['view.hosts.name']}` }).first().waitFor({ timeout: 10_000 });
      await row(NAMES[0]).waitFor({ timeout: 10_000 });
      step('status bar: totals, tooltip with the three hosts, a click opens the view');

      // the walkthrough: Verify from a host's menu, every check passes, and its last step ticks
      await row(NAMES[2]).click({ button: 'right' });
      await chooseFromMenu(nls['command.verify.title']);
      await toast(p, new RegExp(`^${esc(t('{0}: all {1} checks pass.', NAMES[2], '__')).replace('__', '\\d+')}$`)).waitFor({ timeout: 60_000 });
      await tick('verify');
      assert.deepEqual(await Promise.all(steps.map(ticked)), [true, true, true, true, true]);
      await runFromPalette(p, 'Notifications: Clear All Notifications');
      await shot('many-ja-walkthrough.png', await walk.boundingBox());
      step('walkthrough in Japanese, ticked; Verify ticks the last step');

      // a break by hand on the bastion's VPS: proxy NDP off. Refresh: its row and the status bar warn
      const C = L[2];
      const off = lab(envs[2], 'vps', 'sysctl', '-w', `net.ipv6.conf.${C.LAB_UPLINK}.proxy_ndp=0`);
      assert.equal(off.status, 0, off.stderr);
      await runFromPalette(p, `ConoHa IPv6: ${nls['command.refresh.title']}`);
      await row(NAMES[2]).filter({ hasText: `· ${t('1 problem')}` }).waitFor({ timeout: 60_000 });
      const warned = `IPv6 ${boundTotal}/48 · ${t('1 problem')}`;
      await itemSays(warned);
      assert.match(String(await item.getAttribute('class')), /warning-kind/, 'the warning background');
      assert.equal(await item.locator('.codicon-warning').count(), 1);
      for (const n of NAMES.slice(0, 2)) await row(n).filter({ hasText: `· ${t('ready')}` }).waitFor({ timeout: 10_000 });
      if (bar) await p.screenshot({ path: join(SHOTS, 'many-ja-statusbar-warning.png'), clip: around(p, [{ ...bar, width: 420 }], 0) });
      // Repair Host from its menu: the plan, Apply; healthy again
      await row(NAMES[2]).click({ button: 'right' });
      await chooseFromMenu(nls['command.repairHost.title']);
      const apply = p.locator('.monaco-dialog-box .monaco-button', { hasText: t('Apply') });
      await apply.waitFor({ timeout: 60_000 });
      await apply.click();
      await row(NAMES[2]).filter({ hasText: `· ${t('ready')}` }).waitFor({ timeout: 60_000 });
      await itemSays(`IPv6 ${boundTotal}/48`);
      assert.doesNotMatch(String(await item.getAttribute('class')), /warning-kind|error-kind/);
      assert.equal(lab(envs[2], 'ping', derived[2].addresses[0], '3').status, 0, 'the provider router reaches the bastion VPS\'s bound address again');
      step('proxy NDP off by hand: Refresh warns in the status bar; Repair Host heals');
      whole();
    } catch (e) {
      await page?.screenshot({ path: join(SHOTS, 'many-failed.png') }).catch(() => undefined);
      const html = await page?.locator('.part.statusbar').first().evaluate((e: { outerHTML: string }) => e.outerHTML).catch(() => '');
      process.stderr.write(`----- status bar:\n${String(html).slice(0, 3000)}\n----- code-server output:\n${readFileSync(cs.logFile, 'utf8').slice(-3000)}\n`);
      throw e;
    } finally {
      await browser.close();
      await cs.stop();
    }
  });
});
