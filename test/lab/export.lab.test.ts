// conoha-ipv6 export, as a user with a fleet would use it: the generated Ansible playbook run by Debian's ansible
// against TWO systemd-lab VPSes at once (an inventory of both, SSH with the lab's keys and known_hosts), then the
// CLI's verify on both, a second run that changes nothing, and TCP from here through the provider router to a
// container on each; the cloud-init user-data checked by cloud-init's own schema validator, then its write_files and
// runcmd run (by cloud-init's own code) on a fresh VPS, which passes verify, and again after a real reboot.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab, ROOT, cleanupHome, cli, eventually, lab, labDown, labUp } from './labHarness';

/** lab prefixes: cv6ea, cv6eb (ansible), cv6ec (cloud-init); another stem lets two runs share a machine */
const P = process.env.CIV6_TEST_EXPORT_PREFIX ?? 'cv6e';
const envOf = (prefix: string, variant = 'd26-ra', uplink = 'eth0'): NodeJS.ProcessEnv => ({ LAB_KIND: 'systemd', LAB_PREFIX: prefix, LAB_VARIANT: variant, LAB_UPLINK: uplink });
const CLOUD_INIT = join(process.env.CONOHA_IPV6_CLOUDINIT_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'conoha-ipv6', 'export-cloud-init'), 'root/usr/lib/python3/dist-packages');

const conn = (L: Lab) => ['--host', `labuser@[${L.LAB_SSH6}]`, '--identity', L.LAB_KEY_USER, '--known-hosts', L.LAB_KNOWN_HOSTS];
const timings: string[] = [];
const timed = <T>(what: string, fn: () => T): T => {
  const t0 = Date.now();
  const r = fn();
  timings.push(`${what}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return r;
};

interface Verify {
  ok: boolean;
  checks: { id: string; ok: boolean; message: string }[];
}
function verify(L: Lab, ...extra: string[]): Verify {
  const r = cli(['verify', '--json', ...extra, ...conn(L)]);
  assert.ok(r.code === 0 || r.code === 1, `verify exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Verify;
}
const failed = (v: Verify) => v.checks.filter((c) => !c.ok).map((c) => `${c.id}: ${c.message}`).join('\n');
async function green(L: Lab, ms: number): Promise<void> {
  let last: Verify | undefined;
  const t = await eventually(() => (last = verify(L)).ok, ms, 1000);
  assert.ok(t >= 0, `verify not green on ${L.LAB_PREFIX} within ${ms / 1000} s:\n${last && failed(last)}`);
}
function nothingToChange(L: Lab): void {
  const r = cli(['prepare', '--dry-run', ...conn(L)]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /nothing to change: the host is already prepared/, `prepare would still change ${L.LAB_PREFIX}:\n${r.stdout}`);
}

// two different hosts: Docker 28 with systemd-networkd on ens3 (a static default route, Docker's DOCKER-USER chain and
// a FORWARD policy of DROP), and Docker 26 with ufw active (RA default route, ufw denies routed traffic)
describe('export --format ansible: one playbook, two VPSes at once (d28-networkd and ufw)', () => {
  const envs = [envOf(`${P}a`, 'd28-networkd', 'ens3'), envOf(`${P}b`, 'ufw')];
  const L: Lab[] = [];
  let dir = '';
  const names = ['vpsa', 'vpsb'];
  const playbook = (...args: string[]) =>
    spawnSync('ansible-playbook', ['-i', 'inventory.yml', ...args, 'conoha-ipv6.yml'], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 600_000,
      env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_LOCAL_TEMP: join(dir, 'tmp'), ANSIBLE_SSH_CONTROL_PATH_DIR: join(dir, 'cp'), ANSIBLE_RETRY_FILES_ENABLED: '0' },
    });
  /** PLAY RECAP lines: host -> counts */
  const recap = (out: string) => {
    const m = new Map<string, Record<string, number>>();
    for (const l of out.split('\n')) {
      const r = /^(\S+)\s+:\s+(ok=.*)$/.exec(l);
      if (r) m.set(r[1], Object.fromEntries(r[2].trim().split(/\s+/).map((kv) => [kv.split('=')[0], Number(kv.split('=')[1])])));
    }
    return m;
  };

  before(() => {
    assert.equal(spawnSync('ansible-playbook', ['--version']).status, 0, 'Debian\'s ansible is missing: run scripts/setup-test-host.sh');
    for (const e of envs) L.push(timed(`lab up ${e.LAB_PREFIX}`, () => labUp(e)));
    dir = mkdtempSync(join(tmpdir(), 'civ6-export-'));
    // vpsa: nothing but how to reach it (uplink, gateway and the addresses are worked out on the host, by the ConoHa
    // rule); vpsb: its addresses as a list in the inventory, as "conoha-ipv6 derive" prints them, and its gateway
    const derived = cli(['derive', L[1].LAB_HOST_ADDR, '--json']);
    assert.equal(derived.code, 0, derived.stderr);
    const hostVars = (l: Lab) => ({
      ansible_host: l.LAB_SSH6,
      ansible_user: 'labuser',
      ansible_ssh_private_key_file: l.LAB_KEY_USER,
      ansible_ssh_common_args: `-o UserKnownHostsFile=${l.LAB_KNOWN_HOSTS} -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes`,
      ansible_python_interpreter: 'auto_silent',
    });
    const inventory = {
      all: {
        hosts: {
          vpsa: hostVars(L[0]),
          vpsb: { ...hostVars(L[1]), conoha_ipv6_addresses: (JSON.parse(derived.stdout) as { addresses: string[] }).addresses, conoha_ipv6_gateway: L[1].LAB_GATEWAY },
        },
      },
    };
    writeFileSync(join(dir, 'inventory.yml'), JSON.stringify(inventory, null, 2)); // JSON is YAML
  });
  after(() => {
    try {
      for (const e of envs) labDown(e);
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true });
      cleanupHome();
      console.log(`timings:\n  ${timings.splice(0).join('\n  ')}`);
    }
  });

  it('the fresh VPSes fail verify (their firewalls drop the forwarded TCP)', () => {
    for (const l of L) {
      const v = verify(l);
      assert.equal(v.ok, false);
      assert.equal(v.checks.find((c) => c.id === 'firewall')?.ok, false, l.LAB_PREFIX);
    }
  });

  it('export writes a playbook that ansible accepts', () => {
    const r = cli(['export', '--format', 'ansible', '--out', join(dir, 'conoha-ipv6.yml')]);
    assert.equal(r.code, 0, r.stderr);
    const check = playbook('--syntax-check');
    assert.equal(check.status, 0, check.stdout + check.stderr);
  });

  it('one ansible run prepares both VPSes: verify passes on both, and prepare finds nothing left to do', async () => {
    const r = timed('ansible-playbook, first run, 2 hosts', () => playbook());
    assert.equal(r.status, 0, r.stdout.slice(-4000) + r.stderr);
    const rc = recap(r.stdout);
    for (const n of names) {
      assert.equal(rc.get(n)?.failed, 0, r.stdout.slice(-3000));
      assert.ok((rc.get(n)?.changed ?? 0) > 0, `${n} changed nothing on its first run`);
    }
    for (const l of L) {
      await green(l, 20_000);
      nothingToChange(l);
    }
    const vps = (i: number, ...cmd: string[]) => lab(envs[i], 'vps', ...cmd).stdout;
    // networkd keeps proxy NDP through our drop-in; the firewall rules are where prepare puts them
    assert.match(vps(0, 'cat', '/etc/systemd/network/10-uplink.network.d/60-conoha-ipv6.conf'), /^IPv6ProxyNDP=yes$/m);
    assert.match(vps(0, 'ip6tables', '-S', 'DOCKER-USER'), /--comment conoha-ipv6 -j ACCEPT/);
    assert.match(vps(1, 'ufw', 'status'), /ALLOW FWD/);
    // the addresses each host got: vpsa's by the ConoHa rule on its own address, vpsb's from the inventory
    const conf = (l: Lab) => lab({ LAB_KIND: 'systemd', LAB_PREFIX: l.LAB_PREFIX }, 'vps', 'cat', '/etc/conoha-ipv6/host.conf').stdout;
    for (const l of L) {
      const first = JSON.parse(cli(['derive', l.LAB_HOST_ADDR, '--json']).stdout) as { addresses: string[]; prefix: string };
      assert.match(conf(l), new RegExp(`^ADDRESSES="${first.addresses.join(' ')}"$`, 'm'));
      assert.match(conf(l), new RegExp(`^ALLOW="${first.prefix}"$`, 'm'));
    }
  });

  it('a second ansible run changes nothing on either host', () => {
    const r = timed('ansible-playbook, second run, 2 hosts', () => playbook());
    assert.equal(r.status, 0, r.stdout.slice(-4000) + r.stderr);
    const rc = recap(r.stdout);
    for (const n of names) {
      assert.equal(rc.get(n)?.failed, 0);
      assert.equal(rc.get(n)?.changed, 0, `${n}:\n${r.stdout.split('\n').filter((l) => /changed:/.test(l) || /TASK/.test(l)).join('\n')}`);
    }
  });

  it('assign c1 on each: TCP from here, through the provider router, reaches the container on both VPSes', async () => {
    for (const [i, l] of L.entries()) {
      const a = cli(['assign', 'c1', ...conn(l)]);
      assert.equal(a.code, 0, a.stderr);
      const address = a.stdout.trim();
      const e = envs[i];
      const t = await eventually(() => lab(e, 'tcp', address, l.LAB_CONTAINER_PORT).stdout.includes('hello from c1'), 20_000, 500);
      assert.ok(t >= 0, `c1 on ${l.LAB_PREFIX} at [${address}]:${l.LAB_CONTAINER_PORT} not reachable`);
      // and docker restart: the agent the playbook installed puts the address back by itself
      assert.equal(lab(e, 'restart-container', 'c1').status, 0);
      assert.ok((await eventually(() => lab(e, 'tcp', address, l.LAB_CONTAINER_PORT).stdout.includes('hello from c1'), 20_000, 500)) >= 0, `c1 on ${l.LAB_PREFIX} lost its address at docker restart`);
      await green(l, 20_000);
    }
  });
});

describe('export --format cloud-init: a fresh VPS prepared by its first-boot user-data', () => {
  const env = envOf(`${P}c`);
  let L: Lab;
  let dir = '';
  const cloudInit = (...args: string[]) =>
    spawnSync('/usr/bin/python3', args, { encoding: 'utf8', timeout: 120_000, env: { ...process.env, PYTHONPATH: CLOUD_INIT } });

  before(() => {
    assert.ok(existsSync(join(CLOUD_INIT, 'cloudinit')), `cloud-init is not unpacked at ${CLOUD_INIT}: run scripts/setup-test-host.sh`);
    L = timed(`lab up ${env.LAB_PREFIX}`, () => labUp(env));
    dir = mkdtempSync(join(tmpdir(), 'civ6-cloudinit-'));
  });
  after(() => {
    try {
      labDown(env);
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true });
      cleanupHome();
      console.log(`timings:\n  ${timings.splice(0).join('\n  ')}`);
    }
  });

  it('cloud-init schema accepts the user-data (and rejects a broken copy)', () => {
    const r = cli(['export', '--format', 'cloud-init', '--out', join(dir, 'user-data')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(readFileSync(join(dir, 'user-data'), 'utf8'), /^#cloud-config\n/);
    const s = cloudInit('-m', 'cloudinit.cmd.main', 'schema', '--config-file', join(dir, 'user-data'));
    assert.equal(s.status, 0, s.stdout + s.stderr);
    assert.match(s.stdout, /Valid cloud-config/);
    writeFileSync(join(dir, 'broken'), readFileSync(join(dir, 'user-data'), 'utf8').replace(/^packages:/m, 'packages: 3\nxpackages:'));
    const b = cloudInit('-m', 'cloudinit.cmd.main', 'schema', '--config-file', join(dir, 'broken'));
    assert.notEqual(b.status, 0, 'the validator accepts anything');
    assert.match(b.stdout + b.stderr, /packages: 3 is not of type 'array'/);
  });

  it('its write_files and runcmd, run on the fresh VPS by cloud-init\'s own code: verify passes, prepare finds nothing to do', async () => {
    assert.equal(verify(L).ok, false);
    const w = cloudInit(join(ROOT, 'test/lab/cloud-init-run.py'), join(dir, 'user-data'), L.LAB_HOSTFS);
    assert.equal(w.status, 0, w.stdout + w.stderr);
    // radvd is in the lab image already (the lab has no internet for "packages"); runcmd runs as cloud-final does, in a unit
    const r = timed('cloud-init runcmd on the VPS', () => lab(env, 'vps', 'systemd-run', '--wait', '--pipe', '--quiet', 'sh', '/var/lib/cloud/instance/scripts/runcmd'));
    assert.equal(r.status, 0, r.stdout + r.stderr);
    await green(L, 20_000);
    nothingToChange(L);
  });

  it('after a real reboot the VPS is still prepared, and a container gets its address', async () => {
    assert.equal(timed('reboot', () => lab(env, 'reboot')).status, 0);
    await green(L, 30_000);
    const a = cli(['assign', 'c1', ...conn(L)]);
    assert.equal(a.code, 0, a.stderr);
    const address = a.stdout.trim();
    assert.ok((await eventually(() => lab(env, 'tcp', address, L.LAB_CONTAINER_PORT).stdout.includes('hello from c1'), 20_000, 500)) >= 0, `c1 at [${address}] not reachable`);
  });
});
