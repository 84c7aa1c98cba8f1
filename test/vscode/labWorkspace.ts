// The VS Code side of a lab: user settings with the lab host (a sudo user, its key, the lab's known_hosts)
// and the environment the extension-host suite reads. Shared by the code-server driver and test:desktop.
import { join } from 'node:path';
import { Lab, ROOT } from '../lab/labHarness';

export { ROOT };
export const SUITE = join(ROOT, 'out/vscode-suite/index.js');
export const HOST_NAME = 'lab';

export function labSettings(L: Lab): Record<string, unknown> {
  return {
    'conohaIpv6.hosts': [{ name: HOST_NAME, host: L.LAB_SSH6, user: 'labuser', identityFile: L.LAB_KEY_USER }],
    'conohaIpv6.knownHostsFile': L.LAB_KNOWN_HOSTS,
  };
}

export function suiteEnv(prefix: string): NodeJS.ProcessEnv {
  return { CIV6_ROOT: ROOT, CIV6_TEST_HOST: HOST_NAME, LAB_PREFIX: prefix, SSH_AUTH_SOCK: '' };
}
