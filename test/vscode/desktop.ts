// npm run test:desktop: the same extension-host suite in desktop VS Code, downloaded by
// @vscode/test-electron (needs internet: on a machine without it this fails at the download, as expected).
// Brings up its own lab (prefix cv6dt) and tears it down.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTests } from '@vscode/test-electron';
import { labDown, labUp } from '../lab/labHarness';
import { labSettings, ROOT, SUITE, suiteEnv } from './labWorkspace';

async function main(): Promise<number> {
  const env = { LAB_PREFIX: process.env.LAB_PREFIX ?? 'cv6dt' };
  const run = mkdtempSync(join(tmpdir(), 'civ6-desktop-'));
  try {
    const L = labUp(env);
    const userData = join(run, 'user-data');
    mkdirSync(join(userData, 'User'), { recursive: true });
    writeFileSync(join(userData, 'User', 'settings.json'), JSON.stringify(labSettings(L), null, 2));
    mkdirSync(join(run, 'ws'));
    await runTests({
      extensionDevelopmentPath: ROOT,
      extensionTestsPath: SUITE,
      launchArgs: [join(run, 'ws'), '--user-data-dir', userData, '--disable-extensions', '--disable-workspace-trust'],
      extensionTestsEnv: suiteEnv(env.LAB_PREFIX),
    });
    return 0;
  } catch (e) {
    console.error(`test:desktop failed: ${(e as Error).message}`);
    return 1;
  } finally {
    labDown(env);
    rmSync(run, { recursive: true, force: true });
  }
}

void main().then((code) => process.exit(code));
