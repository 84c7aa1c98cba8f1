// npm run demo: the product on the simulated ConoHa host. Brings the lab up, starts code-server (real
// VS Code in the browser) with the packaged extension installed and a host entry for the lab, prints the
// URL, and keeps running until Ctrl-C (which stops code-server and removes the lab).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown, labUp } from '../lab/labHarness';
import { startCodeServer, workbenchUrl } from './codeServer';
import { ensureHarness } from './harnessInstall';
import { labSettings, ROOT, suiteEnv } from './labWorkspace';

async function main(): Promise<void> {
  const vsix = process.argv[2];
  const env = { LAB_PREFIX: process.env.LAB_PREFIX ?? 'cv6demo' };
  ensureHarness();
  const L = labUp(env);
  const run = mkdtempSync(join(tmpdir(), 'civ6-demo-'));
  const ws = join(run, 'workspace');
  mkdirSync(ws);
  const cs = await startCodeServer({ userDataDir: join(run, 'user-data'), workspace: ws, settings: labSettings(L), env: suiteEnv(env.LAB_PREFIX), installVsix: [vsix] });
  const cli = `node ${join(ROOT, 'dist/cli.js')}`;
  const host = `--host labuser@[${L.LAB_SSH6}] --identity ${L.LAB_KEY_USER} --known-hosts ${L.LAB_KNOWN_HOSTS}`;
  console.log(`
ConoHa IPv6 demo: a simulated ConoHa VPS "lab" (real sshd, dockerd with containers c1 c2, radvd; host ${L.LAB_HOST_ADDR})

  Open VS Code in your browser:  ${workbenchUrl(cs.port, ws)}
  (on another machine: ssh -L ${cs.port}:127.0.0.1:${cs.port} this-machine, then open the same URL)

  In the ConoHa IPv6 view (activity bar): expand "lab" to connect, run "ConoHa IPv6: Prepare Host" from the
  command palette, right-click a free address -> "Assign IPv6 to Container".

  The same from a terminal:
    ${cli} status ${host}
    ${cli} prepare ${host}
    ${cli} assign ${host} c1
    LAB_PREFIX=${env.LAB_PREFIX} bash ${join(ROOT, 'test/lab/lab.sh')} ping 2001:db8:1301:814:a157:7:235:120   # from the provider router

Ctrl-C stops code-server and removes the lab.`);
  const state = { stopping: false }; // an object: a signal handler changes it while main() awaits
  const stop = async () => {
    if (state.stopping) return;
    state.stopping = true;
    await cs.stop();
    labDown(env);
    rmSync(run, { recursive: true, force: true });
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  await cs.exited;
  if (!state.stopping) {
    console.error('code-server exited');
    await stop();
  }
}

main().catch((e: unknown) => {
  console.error(`demo failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
