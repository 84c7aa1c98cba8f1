// Docker Compose and user-defined bridge networks on a 2026 VPS (test/lab/syslab.sh: systemd as PID 1, Docker 26,
// Debian's docker-compose 2.26): a compose project on its own network (br-<id>), one service declared with the label
// conoha-ipv6.address=auto, one assigned by hand; compose down && up; a network removed and created again; a
// container on two networks; conflicting labels refused with nothing changed; a reboot. The user's proof is a TCP
// connection from here, through the provider router, to each container's listener: never internal state alone.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Lab, cli, cleanupHome, eventually, lab, labDown, labUp, CliResult } from './labHarness';

const P = process.env.CIV6_TEST_SYSLAB_PREFIX ?? 'cv6c';
const env: NodeJS.ProcessEnv = { LAB_KIND: 'systemd', LAB_PREFIX: `${P}a`, LAB_VARIANT: 'd26-ra' };

interface Binding {
  address: string;
  container: string;
  id?: string;
  network?: string;
  source?: string;
}
interface Check {
  id: string;
  ok: boolean;
  message: string;
}

describe('docker compose and user-defined bridge networks (systemd VPS, Docker 26, docker compose 2.26)', () => {
  let L: Lab;
  let base: string[];
  let image: string;
  const timings: Record<string, number> = {};
  const run = (...args: string[]): CliResult => cli([...args, ...base]);
  const vps = (...args: string[]) => lab(env, 'vps', ...args);
  const sh = (script: string) => {
    const r = vps('sh', '-c', script);
    assert.equal(r.status, 0, `${script}: ${r.stdout}${r.stderr}`);
    return r.stdout;
  };
  /** a TCP connection from here (behind the provider router) to the container's listener: its greeting names it */
  const reaches = (address: string, name: string) => lab(env, 'tcp', address, L.LAB_CONTAINER_PORT).stdout.includes(`hello from ${name}`);
  const bindings = (): Binding[] => {
    const r = run('status', '--json');
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout).snapshot.bindings;
  };
  const held = (container: string) => bindings().find((b) => b.container === container);
  const verify = (): { ok: boolean; checks: Check[] } => {
    const r = run('verify', '--json', '--port', L.LAB_CONTAINER_PORT);
    assert.ok(r.code === 0 || r.code === 1, `verify exit ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout);
  };
  const listener = (name: string) => `["sh", "-c", "trap 'exit 0' TERM; nc -ll -p ${L.LAB_CONTAINER_PORT} -e echo hello from ${name} & wait"]`;
  const writeFile = (path: string, text: string) => sh(`mkdir -p "$(dirname ${path})" && printf %s ${Buffer.from(text).toString('base64')} | base64 -d > ${path}`);
  const compose = (project: string, ...args: string[]) => sh(`cd /root/${project} && docker compose ${args.join(' ')} 2>&1`);
  const run1 = (name: string, net: string) => sh(`docker run -d --restart always --name ${name} --network ${net} ${image} sh -c "trap 'exit 0' TERM; nc -ll -p ${L.LAB_CONTAINER_PORT} -e echo hello from ${name} & wait"`);
  /** how long until every container answers at its address by TCP from here */
  const allReachable = async (want: Record<string, string>, ms: number) =>
    eventually(() => Object.entries(want).every(([name, a]) => reaches(a, name)), ms, 300);
  const bridgeOfNet = (net: string) => sh(`docker network inspect -f '{{.Id}}' ${net}`).trim().slice(0, 12);

  let web = '';
  let api = '';

  before(() => {
    L = labUp(env);
    base = ['--host', `labuser@[${L.LAB_SSH6}]`, '--identity', L.LAB_KEY_USER, '--known-hosts', L.LAB_KNOWN_HOSTS];
    image = `${L.LAB_PREFIX}/busybox`;
    const p = run('prepare');
    assert.equal(p.code, 0, p.stdout + p.stderr);
  });
  after(() => {
    console.log(`timings (ms): ${JSON.stringify(timings)}`);
    try {
      labDown(env);
    } finally {
      cleanupHome();
    }
  });

  it('a compose project on its own network: the service labelled auto gets an address when it starts, the other by assign; both answer TCP from the provider side', async () => {
    assert.match(sh('docker compose version'), /2\.26/);
    writeFile(
      '/root/shop/compose.yaml',
      [
        'name: shop',
        'services:',
        '  web:',
        `    image: ${image}`,
        `    command: ${listener('web')}`,
        '    restart: always',
        '    labels:',
        '      conoha-ipv6.address: auto',
        '  api:',
        `    image: ${image}`,
        `    command: ${listener('api')}`,
        '    restart: always',
        '',
      ].join('\n'),
    );
    const t0 = Date.now();
    compose('shop', 'up', '-d');
    timings.composeUp = Date.now() - t0;
    const t = await eventually(() => held('shop-web-1') !== undefined, 20_000, 300);
    assert.ok(t >= 0, `the label did not bind shop-web-1:\n${sh('journalctl -u conoha-ipv6 --no-pager -n 20')}`);
    timings.composeUpToLabelBound = Date.now() - t0;
    const w = held('shop-web-1')!;
    assert.deepEqual([w.network, w.source], ['shop_default', 'label']);
    web = w.address;
    const ta = Date.now();
    const a = run('assign', 'shop-api-1');
    assert.equal(a.code, 0, a.stderr);
    timings.assignOnComposeNetwork = Date.now() - ta;
    api = a.stdout.trim();
    assert.notEqual(api, web);
    assert.deepEqual([held('shop-api-1')?.network, held('shop-api-1')?.source], ['shop_default', 'assign']);
    const r = await allReachable({ web, api }, 20_000);
    assert.ok(r >= 0, 'web and api do not answer TCP through the router');
    timings.composeUpToReachable = Date.now() - t0;
    // the address is routed to the project's bridge, and radvd advertises there
    const br = `br-${bridgeOfNet('shop_default')}`;
    assert.match(sh(`ip -6 route show ${web}`), new RegExp(`dev ${br} `));
    assert.match(sh('cat /etc/radvd.conf'), new RegExp(`interface ${br} \\{`));
    // what the user reads: status says where each address is and where it came from; verify is green
    const st = run('status');
    assert.match(st.stdout, new RegExp(`${web.replace(/:/g, ':')} .*-> shop-web-1 \\(network shop_default, bridge ${br}, from its label\\)`));
    assert.match(st.stdout, /compose project shop:/);
    const v = verify();
    assert.ok(v.ok, v.checks.filter((c) => !c.ok).map((c) => `${c.id}: ${c.message}`).join('\n'));
    assert.ok(v.checks.some((c) => c.id === 'label:shop-web-1' && c.ok && /from its label/.test(c.message)));
    // prepare again changes nothing (the agent's radvd block for the project's bridge stays)
    const again = run('prepare', '--dry-run');
    assert.match(again.stdout, /nothing to change/);
  });

  it('compose-snippet prints the labels and networks to paste for a service', () => {
    const w = run('compose-snippet', 'web');
    assert.equal(w.code, 0, w.stderr);
    assert.match(w.stdout, new RegExp(`^  web:\\n    labels:\\n      conoha-ipv6.address: "${web}"`, 'm'));
    assert.match(w.stdout, /^ {4}networks:\n {6}- default$/m);
    const x = run('compose-snippet', 'no-such-service');
    assert.notEqual(x.code, 0);
    assert.match(x.stderr, /no container or compose service/);
  });

  it('compose down && compose up: both containers come back with the same addresses, on the new network', async () => {
    const oldBr = bridgeOfNet('shop_default');
    compose('shop', 'down');
    // the label's binding goes with its container; the one made by assign stays, waiting for its container's name
    const gone = await eventually(() => held('shop-web-1') === undefined, 10_000, 300);
    assert.ok(gone >= 0, 'the label binding stayed after compose down');
    assert.equal(held('shop-api-1')?.address, api);
    assert.ok(!reaches(web, 'web'));
    const t0 = Date.now();
    compose('shop', 'up', '-d');
    const r = await allReachable({ web, api }, 30_000);
    assert.ok(r >= 0, `not both reachable after compose up:\n${sh('cat /etc/conoha-ipv6/bindings; journalctl -u conoha-ipv6 --no-pager -n 20')}`);
    timings.composeDownUpToReachable = Date.now() - t0;
    assert.equal(held('shop-web-1')?.address, web);
    assert.equal(held('shop-api-1')?.address, api);
    const newBr = bridgeOfNet('shop_default');
    assert.notEqual(newBr, oldBr, 'compose made a new network');
    const conf = sh('cat /etc/radvd.conf');
    assert.match(conf, new RegExp(`interface br-${newBr} `));
    assert.doesNotMatch(conf, new RegExp(`br-${oldBr}`));
  });

  it('a network removed and created again: the container made again under its name gets its address back', async () => {
    sh('docker network create solonet >/dev/null');
    run1('solo', 'solonet');
    const a = run('assign', 'solo');
    assert.equal(a.code, 0, a.stderr);
    const solo = a.stdout.trim();
    assert.equal(held('solo')?.network, 'solonet');
    assert.ok((await allReachable({ solo }, 10_000)) >= 0);
    sh('docker rm -f solo >/dev/null && docker network rm solonet >/dev/null && docker network create solonet >/dev/null');
    const t0 = Date.now();
    run1('solo', 'solonet');
    const r = await allReachable({ solo }, 20_000);
    assert.ok(r >= 0, `solo not reachable on the new solonet:\n${sh('journalctl -u conoha-ipv6 --no-pager -n 20')}`);
    timings.networkRecreatedToReachable = Date.now() - t0;
    assert.match(sh(`ip -6 route show ${solo}`), new RegExp(`dev br-${bridgeOfNet('solonet')} `));
  });

  it('a container on two networks: the user picks the network; an internal network is refused with its reason, nothing changed', async () => {
    run1('duo', 'shop_default');
    sh('docker network connect solonet duo');
    const a = run('assign', 'duo', '--network', 'solonet');
    assert.equal(a.code, 0, a.stderr);
    const duo = a.stdout.trim();
    assert.equal(held('duo')?.network, 'solonet');
    assert.match(sh(`ip -6 route show ${duo}`), new RegExp(`dev br-${bridgeOfNet('solonet')} `));
    assert.ok((await allReachable({ duo }, 10_000)) >= 0, 'duo not reachable on solonet');
    sh('docker network create --internal hidden >/dev/null');
    sh(`docker run -d --name ghost --network hidden ${image} sleep 3600 >/dev/null`);
    // what assign could change (the RA route's remaining lifetime aside)
    const state = () => sh("cat /etc/conoha-ipv6/bindings; ip -6 route | sed 's/ expires [0-9]*sec//'; cat /etc/radvd.conf");
    const before = state();
    const g = run('assign', 'ghost');
    assert.equal(g.code, 2, g.stdout + g.stderr);
    assert.match(g.stderr, /network hidden is internal/);
    const n = run('assign', 'duo', '--network', 'nosuchnet');
    assert.notEqual(n.code, 0);
    assert.match(n.stderr, /not on network nosuchnet/);
    assert.equal(state(), before);
  });

  it('conflicting labels are refused by the agent with nothing changed, and verify says why', async () => {
    const before = sh('cat /etc/conoha-ipv6/bindings');
    writeFile(
      '/root/dup/compose.yaml',
      [
        'name: dup',
        'services:',
        '  same:',
        `    image: ${image}`,
        '    command: ["sleep", "3600"]',
        '    labels:',
        `      conoha-ipv6.address: "${web}"`,
        '  outside:',
        `    image: ${image}`,
        '    command: ["sleep", "3600"]',
        '    labels:',
        '      conoha-ipv6.address: "2001:db8:ffff::1"',
        '',
      ].join('\n'),
    );
    compose('dup', 'up', '-d');
    const logged = await eventually(() => /refused: container dup-same-1 .*already bound to shop-web-1/.test(sh('journalctl -u conoha-ipv6 --no-pager -n 40')), 15_000, 500);
    assert.ok(logged >= 0, sh('journalctl -u conoha-ipv6 --no-pager -n 40'));
    assert.match(sh('journalctl -u conoha-ipv6 --no-pager -n 40'), /refused: container dup-outside-1: label conoha-ipv6.address=2001:db8:ffff::1 is not auto nor one of this host's addresses/);
    assert.equal(sh('cat /etc/conoha-ipv6/bindings'), before, 'a refused label changed the bindings');
    assert.ok(reaches(web, 'web'), 'the address holder lost it');
    const v = verify();
    const same = v.checks.find((c) => c.id === 'label:dup-same-1');
    const outside = v.checks.find((c) => c.id === 'label:dup-outside-1');
    assert.equal(same?.ok, false);
    assert.match(same.message, /conflicts: .* is bound to shop-web-1/);
    assert.equal(outside?.ok, false);
    assert.match(outside.message, /outside this host's set/);
    compose('dup', 'down');
  });

  it('a reboot: every binding comes back (label, assign, another network, two networks), reachable by TCP', async () => {
    const want = Object.fromEntries(bindings().map((b) => [b.container.replace(/^shop-(web|api)-1$/, '$1'), b.address]));
    assert.deepEqual(Object.keys(want).sort(), ['api', 'duo', 'solo', 'web']);
    const t0 = Date.now();
    const r = lab(env, 'reboot');
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const t = await allReachable(want, 60_000);
    assert.ok(t >= 0, `not all reachable after the reboot:\n${sh('cat /etc/conoha-ipv6/bindings; journalctl -u conoha-ipv6 -b --no-pager -n 30')}`);
    timings.rebootToReachable = Date.now() - t0;
    const v = verify();
    assert.ok(v.ok, v.checks.filter((c) => !c.ok).map((c) => `${c.id}: ${c.message}`).join('\n'));
  });
});
