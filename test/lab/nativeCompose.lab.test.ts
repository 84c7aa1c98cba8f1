// Docker compose in docker mode ("--mode docker") on a 2026 VPS (test/lab/syslab.sh: systemd as PID 1, Docker 26,
// Debian's docker-compose 2.26): a compose project whose service declares conoha-ipv6.address=auto is connected to the
// conoha-ipv6 network by conoha-ipv6-native when it starts; compose down && up gives it the same address again; a
// reboot keeps it; conflicting labels are refused with nothing changed, and verify names them. The user's proof is a
// TCP connection from here, through the provider router, to the container's listener.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Lab, cli, cleanupHome, eventually, lab, labDown, labUp, CliResult } from './labHarness';

const P = process.env.CIV6_TEST_NATIVE_COMPOSE_PREFIX ?? 'cv6q';
const env: NodeJS.ProcessEnv = { LAB_KIND: 'systemd', LAB_PREFIX: `${P}a`, LAB_VARIANT: 'd26-ra' };

interface Check {
  id: string;
  ok: boolean;
  message: string;
}

describe('docker compose in docker mode (systemd VPS, Docker 26, docker compose 2.26)', () => {
  let L: Lab;
  let base: string[];
  let image: string;
  let reserved: string[] = [];
  let web = '';
  const timings: Record<string, number> = {};
  const run = (...args: string[]): CliResult => cli([...args, ...base]);
  const vps = (...args: string[]) => lab(env, 'vps', ...args);
  const sh = (script: string) => {
    const r = vps('sh', '-c', script);
    assert.equal(r.status, 0, `${script}: ${r.stdout}${r.stderr}`);
    return r.stdout;
  };
  const reaches = (address: string, name: string) => lab(env, 'tcp', address, L.LAB_CONTAINER_PORT, '1').stdout.includes(`hello from ${name}`);
  const verify = (): { ok: boolean; checks: Check[] } => {
    const r = run('verify', '--json', '--port', L.LAB_CONTAINER_PORT);
    assert.ok(r.code === 0 || r.code === 1, `verify exit ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout);
  };
  const failed = (checks: Check[]) => checks.filter((c) => !c.ok).map((c) => `${c.id}: ${c.message}`).join('\n');
  const greenWithin = async (ms: number) => {
    let last: ReturnType<typeof verify> | undefined;
    const t = await eventually(() => (last = verify()).ok, ms, 1000);
    assert.ok(t >= 0, `verify not green within ${ms / 1000} s:\n${last && failed(last.checks)}`);
  };
  const listener = (name: string) => `["sh", "-c", "trap 'exit 0' TERM; nc -ll -p ${L.LAB_CONTAINER_PORT} -e echo hello from ${name} & wait"]`;
  const writeFile = (path: string, text: string) => sh(`mkdir -p "$(dirname ${path})" && printf %s ${Buffer.from(text).toString('base64')} | base64 -d > ${path}`);
  const compose = (project: string, ...args: string[]) => sh(`cd /root/${project} && docker compose ${args.join(' ')} 2>&1`);
  /** the fixed address a container has on the conoha-ipv6 network ('' when it is not on it) */
  const fixedOf = (name: string) => vps('docker', 'inspect', '-f', '{{with index .NetworkSettings.Networks "conoha-ipv6"}}{{with .IPAMConfig}}{{.IPv6Address}}{{end}}{{end}}', name).stdout.trim();
  const journal = () => sh('journalctl -u conoha-ipv6-native --no-pager -n 40');
  /** what a refused label must leave as it is: who is on the network with which address, the proxies, the record */
  const state = () => sh("docker network inspect -f '{{range .Containers}}{{.Name}} {{.IPv6Address}}; {{end}}' conoha-ipv6; ip -6 neigh show proxy | sort; cat /etc/conoha-ipv6/native-labels");

  before(() => {
    L = labUp(env);
    base = ['--host', `labuser@[${L.LAB_SSH6}]`, '--identity', L.LAB_KEY_USER, '--known-hosts', L.LAB_KNOWN_HOSTS];
    image = `${L.LAB_PREFIX}/busybox`;
    const t0 = Date.now();
    const p = run('prepare', '--mode', 'docker');
    assert.equal(p.code, 0, p.stdout + p.stderr);
    timings.prepare = Date.now() - t0;
    const j = JSON.parse(run('prepare', '--json', '--dry-run').stdout);
    reserved = j.notes.join(' ').match(/keeps (\S+) .* gives (\S+) to/).slice(1);
  });
  after(() => {
    console.log(`timings (ms): ${JSON.stringify(timings)}`);
    try {
      labDown(env);
    } finally {
      cleanupHome();
    }
  });

  it('compose up: the service labelled auto is connected to conoha-ipv6 when it starts and answers TCP from the provider side; verify is green', async () => {
    assert.match(sh('docker compose version'), /2\.26/);
    writeFile(
      '/root/shop/compose.yaml',
      ['name: shop', 'services:', '  web:', `    image: ${image}`, `    command: ${listener('web')}`, '    restart: always', '    labels:', '      conoha-ipv6.address: auto', ''].join('\n'),
    );
    const t0 = Date.now();
    compose('shop', 'up', '-d');
    const t = await eventually(() => fixedOf('shop-web-1') !== '', 20_000, 200);
    assert.ok(t >= 0, `shop-web-1 was not connected:\n${journal()}`);
    timings.composeUpToConnected = Date.now() - t0;
    web = fixedOf('shop-web-1');
    assert.ok(!reserved.includes(web), `${web} is not one of Docker's own`);
    assert.match(journal(), new RegExp(`connected shop-web-1 to conoha-ipv6 with ${web} from its label`));
    const r = await eventually(() => reaches(web, 'web'), 20_000, 300);
    assert.ok(r >= 0, `shop-web-1 does not answer TCP at ${web} through the router`);
    timings.composeUpToReachable = Date.now() - t0;
    await greenWithin(15_000);
    const v = verify();
    assert.ok(v.checks.some((c) => c.id === 'label:shop-web-1' && c.ok && c.message.includes(web)), failed(v.checks));
    assert.match(run('status').stdout, new RegExp(`${web} .*-> shop-web-1`));
  });

  it('compose-snippet in docker mode: the label, or the networks block with ipv6_address and the external network', () => {
    const r = run('compose-snippet', 'web');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`conoha-ipv6.address: "${web}"`));
    assert.match(r.stdout, new RegExp(`conoha-ipv6:\\n        ipv6_address: "${web}"`));
    assert.match(r.stdout, /networks:\n {2}conoha-ipv6:\n {4}external: true/);
  });

  it('compose down && compose up: the address is freed, then the new container gets the same one again, reachable', async () => {
    compose('shop', 'down');
    assert.doesNotMatch(sh("docker network inspect -f '{{range .Containers}}{{.Name}} {{end}}' conoha-ipv6"), /shop-web-1/, 'removal freed the address');
    assert.equal(reaches(web, 'web'), false);
    const t0 = Date.now();
    compose('shop', 'up', '-d');
    const r = await eventually(() => reaches(web, 'web'), 30_000, 300);
    assert.ok(r >= 0, `not reachable at ${web} after compose down && up (now ${fixedOf('shop-web-1') || 'not connected'}):\n${journal()}`);
    timings.composeDownUpToReachable = Date.now() - t0;
    assert.equal(fixedOf('shop-web-1'), web, 'the same address again');
  });

  it('conflicting labels (an address held, one outside the set, one of Docker\'s own) are refused with nothing changed; verify names each', async () => {
    const before = state();
    writeFile(
      '/root/dup/compose.yaml',
      [
        'name: dup',
        'services:',
        // compose reads "$$" as "$": the evil label is $(touch /root/PWNED)
        ...[['same', web], ['outside', '2001:db8:ffff::1'], ['gateway', reserved[1]], ['evil', '$$(touch /root/PWNED)']].flatMap(([n, a]) => [`  ${n}:`, `    image: ${image}`, '    command: ["sleep", "3600"]', '    labels:', `      conoha-ipv6.address: "${a}"`]),
        '',
      ].join('\n'),
    );
    compose('dup', 'up', '-d');
    const logged = await eventually(() => /refused: container dup-gateway-1/.test(journal()) && /refused: container dup-same-1/.test(journal()) && /refused: container dup-outside-1/.test(journal()) && /refused: container dup-evil-1/.test(journal()), 15_000, 500);
    assert.ok(logged >= 0, journal());
    const j = journal();
    assert.match(j, new RegExp(`refused: container dup-same-1 \\(label conoha-ipv6.address=${web}\\): ${web} is held by shop-web-1`));
    assert.match(j, /refused: container dup-outside-1: label conoha-ipv6.address=2001:db8:ffff::1 is not auto nor one of this host's addresses/);
    assert.match(j, /refused: container dup-gateway-1 .* is Docker's own/);
    assert.match(j, /refused: container dup-evil-1: label conoha-ipv6.address=\?\?touch\?\?root\?PWNED\? is not auto/);
    assert.equal(vps('test', '-e', '/root/PWNED').status, 1, 'the label ran as code');
    assert.equal(state(), before, 'a refused label changed something');
    assert.ok(reaches(web, 'web'), 'the holder lost its address');
    const v = verify();
    assert.equal(v.ok, false);
    const byId = (id: string) => v.checks.find((c) => c.id === id);
    assert.equal(byId('label:dup-same-1')?.ok, false);
    assert.match(byId('label:dup-same-1')!.message, /conflicts: .* is held by shop-web-1/);
    assert.match(byId('label:dup-outside-1')?.message ?? '', /outside this host's set/);
    assert.match(byId('label:dup-gateway-1')?.message ?? '', /Docker's own/);
    assert.match(byId('label:dup-evil-1')?.message ?? '', /neither "auto" nor an IPv6 address: refused/);
    compose('dup', 'down');
  });

  it('systemctl restart docker: reachable again; the watcher comes back with docker and connects a new container of the project', async () => {
    const r = lab(env, 'restart-dockerd');
    assert.equal(r.status, 0, r.stderr);
    const t0 = Date.now();
    const t = await eventually(() => reaches(web, 'web'), 30_000, 300);
    assert.ok(t >= 0, 'not reachable after a dockerd restart');
    timings.dockerdRestartToReachable = Date.now() - t0;
    assert.match(sh('systemctl is-active conoha-ipv6-native.service'), /^active/);
    compose('shop', 'down');
    compose('shop', 'up', '-d');
    const t1 = Date.now();
    const back = await eventually(() => reaches(web, 'web'), 30_000, 300);
    assert.ok(back >= 0, `not reachable at ${web} after compose down && up following the dockerd restart:\n${journal()}`);
    timings.composeDownUpAfterDockerdRestartToReachable = Date.now() - t1;
  });

  it('a reboot: the labelled service comes back on its address with no command from us, reachable by TCP', async () => {
    const r = lab(env, 'reboot');
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const t0 = Date.now();
    const t = await eventually(() => reaches(web, 'web'), 60_000, 500);
    assert.ok(t >= 0, 'not reachable after the reboot');
    timings.rebootReadyToReachable = Date.now() - t0;
    assert.equal(fixedOf('shop-web-1'), web);
    await greenWithin(30_000);
  });
});
