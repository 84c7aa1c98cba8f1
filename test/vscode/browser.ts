// Driving the workbench UI: Debian's Chromium through playwright-core (required at run time from the harness cache,
// the project does not depend on it), a page on a code-server's workbench, commands run from the palette.
import { CodeServer, workbenchUrl } from './codeServer';
import { ensureHarness } from './harnessInstall';

/** The parts of playwright-core's Page that tests here use; the rest is there at run time too. */
export interface Page {
  goto(url: string, opts?: object): Promise<{ status(): number } | null>;
  locator(selector: string, opts?: object): any;
  keyboard: { press(key: string): Promise<void>; type(text: string): Promise<void> };
  screenshot(opts?: { path?: string; fullPage?: boolean; clip?: { x: number; y: number; width: number; height: number } }): Promise<Buffer>;
  exposeFunction(name: string, fn: (...args: any[]) => unknown): Promise<void>;
  evaluate<R>(fn: string | ((arg: any) => R), arg?: unknown): Promise<R>;
  waitForTimeout(ms: number): Promise<void>;
  on(event: string, fn: (arg: any) => void): unknown;
  close(): Promise<void>;
  [more: string]: any;
}

/** playwright-core's Browser (typed by hand: the project does not depend on playwright-core) */
export interface Browser {
  newPage(opts?: { viewport?: { width: number; height: number }; [more: string]: unknown }): Promise<Page>;
  close(): Promise<void>;
  version(): string;
  [more: string]: any;
}

/**
 * Debian's Chromium, headless, offline-quiet. playwright gives every launch a new empty profile
 * (--user-data-dir=<tmp>/playwright_chromiumdev_profile-*, removed by close()); it refuses one in args.
 */
export async function launchBrowser(): Promise<Browser> {
  const h = ensureHarness();
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- playwright lives in the harness directory (a path known at run time), not in node_modules
  const { chromium } = require(h.playwright);
  return await chromium.launch({
    executablePath: h.chromium,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

/** A page on the code-server's workbench (on cs.workspace), once the workbench's activity bar is there. */
export async function openWorkbench(browser: Browser, cs: CodeServer, viewport = { width: 1280, height: 800 }): Promise<Page> {
  const page = await browser.newPage({ viewport });
  const resp = await page.goto(workbenchUrl(cs.port, cs.workspace));
  if (!resp || resp.status() >= 400) throw new Error(`the workbench answered HTTP ${resp?.status()} (log: ${cs.logFile})`);
  await page.locator('.monaco-workbench .activitybar').waitFor({ timeout: 60_000 });
  return page;
}

/**
 * Runs a command by its title from the command palette (F1). The palette lists what is registered when it
 * opens, and an extension's commands come a moment after the workbench, so it reopens until the title shows.
 * `keyboard`: the title is typed and Enter runs the first match (it must be the command), no mouse.
 */
export async function runFromPalette(page: Page, title: string, timeoutMs = 30_000, o: { keyboard?: boolean } = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ timeout: 10_000 });
    if (o.keyboard) await page.keyboard.type(title);
    else await input.fill(`>${title}`);
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
    try {
      await row.waitFor({ timeout: 2_000 });
      if (o.keyboard) {
        const first = page.locator('.quick-input-list .monaco-list-row.focused').first();
        const text = String(await first.innerText());
        if (!text.includes(title)) throw new Error(`command palette: the first match for "${title}" is "${text}"`);
        await page.keyboard.press('Enter');
      } else await row.click();
      return;
    } catch (e) {
      if (e instanceof Error && e.message.startsWith('command palette:')) throw e;
      await page.keyboard.press('Escape');
      if (Date.now() > deadline) throw new Error(`command palette: no "${title}" within ${timeoutMs} ms`);
    }
  }
}

/** The row of a tree view (in a side-bar pane) whose label is exactly `label` (a description may hold it too). */
export function treeRow(page: Page, label: string): any {
  const exact = new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  return page.locator('.pane-body .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: exact }) }).first();
}

/** A notification toast whose message matches `text`. */
export function toast(page: Page, text: string | RegExp): any {
  return page.locator('.notifications-toasts .notification-list-item', { has: page.locator('.notification-list-item-message', { hasText: text }) }).first();
}

/** The labels of a notification's buttons, in order. */
export async function buttonsOf(notification: any): Promise<string[]> {
  const texts: string[] = await notification.locator('.notification-list-item-buttons-container .monaco-button').allInnerTexts();
  return texts.map((t) => t.trim());
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The smallest box holding all `boxes`, plus `pad` pixels, inside the viewport. */
export function around(page: Page, boxes: (Box | null)[], pad = 8): Box {
  const bs = boxes.filter((b): b is Box => !!b);
  if (!bs.length) throw new Error('around: nothing to frame');
  const vp: { width: number; height: number } = page.viewportSize();
  const x = Math.max(0, Math.min(...bs.map((b) => b.x)) - pad);
  const y = Math.max(0, Math.min(...bs.map((b) => b.y)) - pad);
  const right = Math.min(vp.width, Math.max(...bs.map((b) => b.x + b.width)) + pad);
  const bottom = Math.min(vp.height, Math.max(...bs.map((b) => b.y + b.height)) + pad);
  return { x: Math.floor(x), y: Math.floor(y), width: Math.ceil(right - x), height: Math.ceil(bottom - y) };
}

/** A UI walk's clock: step(what) logs "  [tag] what: N s" since the previous step; whole() the time since it began. */
export function walkClock(tag: string): { step: (what: string) => void; whole: () => void } {
  const t0 = Date.now();
  let last = t0;
  const secs = (ms: number) => (ms / 1000).toFixed(1);
  return {
    step: (what: string) => {
      const now = Date.now();
      console.log(`  [${tag}] ${what}: ${secs(now - last)} s`);
      last = now;
    },
    whole: () => console.log(`  [${tag}] whole walk: ${secs(Date.now() - t0)} s`),
  };
}
