// Docker-native mode ("--mode docker") on 2026 hosts, through the CLI as a user would: a VPS with a real systemd as
// PID 1 (systemd-nspawn, test/lab/syslab.sh), Docker 26 (no IPv6 gateway modes, no ip6tables by default) and Docker 28
// (routed gateway mode, ip6tables with a FORWARD policy of DROP, systemd-networkd on the uplink). The user's proof is a
// ping and a TCP connection from here (the root namespace, behind the provider router) to the listener in the container.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Lab, cli, cleanupHome, eventually, lab, labDown, labUp, CliResult } from './labHarness';

interface Variant {
  variant: string;
  prefix: string;
  docker: RegExp;
  routed: boolean;
  /** Docker manages ip6tables: our rules go into DOCKER-USER, and without them inbound TCP is dropped */
  dockerUser: boolean;
}

/** lab prefixes cv6na, cv6nb (or another stem, so that two runs can share a machine) */
const P = process.env.CIV6_TEST_NATIVE_PREFIX ?? 'cv6n';
const VARIANTS: Variant[] = [
  { variant: 'd26-ra', prefix: `${P}a`, docker: /^26\./, routed: false, dockerUser: false },
  { variant: 'd28-networkd', prefix: `${P}b`, docker: /^28\./, routed: true, dockerUser: true },
  // Docker 26 with "ip6tables": true (experimental): NAT mode's masquerade and filter, no gateway modes yet
  { variant: 'd26-ip6tables', prefix: `${P}c`, docker: /^26\./, routed: false, dockerUser: true },
].filter((v) => !process.env.CIV6_TEST_NATIVE_ONLY || process.env.CIV6_TEST_NATIVE_ONLY === v.variant);

interface Check {
  id: string;
  ok: boolean;
  message: string;
}

const timings: string[] = [];
const timed = async <T>(what: string, f: () => T | Promise<T>): Promise<T> => {
  const t0 = Date.now();
  try {
    return await f();
  } finally {
    timings.push(`${what}: ${Date.now() - t0} ms`);
  }
};

for (const v of VARIANTS) {
  const env: NodeJS.ProcessEnv = { LAB_KIND: 'systemd', LAB_PREFIX: v.prefix, LAB_VARIANT: v.variant };

  describe(`docker mode on ${v.variant}`, () => {
    let L: Lab;
    let base: string[];
    let uplink = 'eth0';
    let addr = '';
    let reserved: string[] = [];
    const run = (...args: string[]): CliResult => cli([...args, ...base]);
    const vps = (...args: string[]) => lab(env, 'vps', ...args);
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
    /** a ping and a TCP connection from here, through the provider router, to the container's listener */
    const pings = (a: string) => lab(env, 'ping', a, '1').status === 0;
    const reachable = (a: string) => lab(env, 'tcp', a, L.LAB_CONTAINER_PORT, '1').stdout.includes('hello from c1');
    /** what prepare + unprepare must leave as it found it (veths, expiry times and Docker's own bridge ids aside) */
    const hostState = () =>
      vps('sh', '-c', [
        `sysctl -n net.ipv6.conf.all.forwarding net.ipv6.conf.${uplink}.accept_ra net.ipv6.conf.${uplink}.proxy_ndp`,
        "ip -6 route show | grep -v ' dev veth' | sed 's/ expires [0-9]*sec//' | sort",
        'ip -6 neigh show proxy | sort',
        "ip6tables-save | grep -v '^#' | sed 's/ \\[[0-9]*:[0-9]*\\]$//' | sed 's/^:\\([A-Z0-9-]*\\) \\([A-Z-]*\\) \\[[0-9]*:[0-9]*\\]/:\\1 \\2/'" +
          // Docker's own jumps to its own chains, which Docker 26 with ip6tables adds the first time any IPv6 network is
          // created and keeps after it is removed (measured: docker network create --ipv6 x; docker network rm x): not ours
          " | grep -vxE -- '-A FORWARD -j DOCKER-ISOLATION-STAGE-1|-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER|-A OUTPUT ! -d ::1/128 -m addrtype --dst-type LOCAL -j DOCKER'",
        "docker network ls --format '{{.Name}} {{.Driver}}' | sort",
        'ls /etc/conoha-ipv6 /etc/systemd/system/conoha-ipv6-native.service /usr/local/sbin/conoha-ipv6-native /etc/sysctl.d/60-conoha-ipv6.conf /etc/systemd/network/*.d 2>&1',
        'systemctl is-enabled conoha-ipv6-native.service 2>&1',
      ].join('; ')).stdout;
    let pristine = '';

    before(() => {
      L = labUp(env);
      uplink = L.LAB_UPLINK;
      base = ['--host', `labuser@[${L.LAB_SSH6}]`, '--identity', L.LAB_KEY_USER, '--known-hosts', L.LAB_KNOWN_HOSTS];
      pristine = hostState();
    });
    after(() => {
      try {
        labDown(env);
      } finally {
        cleanupHome();
        if (v === VARIANTS.at(-1)) console.log(`timings:\n  ${timings.join('\n  ')}`);
      }
    });

    it('bad input is refused with nothing changed: an unknown mode, a foreign network named conoha-ipv6', () => {
      const bad = run('prepare', '--mode', 'nat');
      assert.equal(bad.code, 2, bad.stderr);
      assert.match(bad.stderr, /is not a mode/);
      assert.equal(vps('docker', 'network', 'create', 'conoha-ipv6').status, 0);
      const withForeign = hostState();
      const r = run('prepare', '--mode', 'docker');
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr, /a Docker network named conoha-ipv6 exists that conoha-ipv6 did not create/);
      assert.equal(hostState(), withForeign, 'the refused prepare changed nothing');
      assert.equal(vps('docker', 'network', 'rm', 'conoha-ipv6').status, 0);
      assert.equal(hostState(), pristine);
    });

    it('prepare --mode docker shows its plan, applies it (the host keeps its default route), and a second prepare changes nothing', async () => {
      assert.match(L.LAB_DOCKER_VERSION, v.docker);
      const dry = run('prepare', '--mode', 'docker', '--dry-run');
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(dry.stdout, /create Docker network conoha-ipv6/);
      assert.equal(/gateway mode routed/.test(dry.stdout), v.routed, dry.stdout);
      assert.match(dry.stdout, /14 of the 16 addresses are for containers/);
      assert.equal(hostState(), pristine, 'a dry run changes nothing');
      const r = await timed(`${v.variant} prepare --mode docker`, () => run('prepare', '--mode', 'docker'));
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /Confirmed: a new connection reached the host/);
      const again = run('prepare');
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /nothing to change/);
      const st = run('status');
      assert.match(st.stdout, /docker mode/);
      assert.match(vps('ip', '-6', 'route', 'show', 'default').stdout, /default via/);
      const j = JSON.parse(run('prepare', '--json', '--dry-run').stdout);
      reserved = j.notes.join(' ').match(/keeps (\S+) .* gives (\S+) to/).slice(1);
    });

    it('assign c1: a ping and TCP 8080 from the provider side reach it; verify is green', async () => {
      const r = await timed(`${v.variant} assign`, () => run('assign', 'c1'));
      assert.equal(r.code, 0, r.stderr);
      addr = r.stdout.trim();
      assert.ok(!reserved.includes(addr), `${addr} is not one of Docker's own (${reserved.join(', ')})`);
      assert.match(vps('docker', 'inspect', '-f', '{{json .NetworkSettings.Networks}}', 'c1').stdout, new RegExp(`"IPv6Address":"${addr}"`));
      const t = await timed(`${v.variant} TCP from the provider side after assign`, () => eventually(() => reachable(addr), 15_000, 300));
      assert.ok(t >= 0, `TCP to [${addr}]:8080 from here`);
      assert.ok(pings(addr), 'ping from here');
      await greenWithin(10_000);
      const again = run('assign', 'c1');
      assert.equal(again.code, 0);
      assert.match(again.stderr, /already holds/);
    });

    it('assigning a taken or reserved address, or one outside the set, is refused with nothing changed', () => {
      const s0 = hostState();
      for (const [target, why] of [[addr, /already held by c1/], [reserved[0], /Docker's own/], ['2001:db8:ffff::1', /is not one of/]] as const) {
        const r = run('assign', 'c2', target);
        assert.equal(r.code, 2, r.stdout + r.stderr);
        assert.match(r.stderr, why);
      }
      const bad = run('assign', 'c2;reboot');
      assert.equal(bad.code, 2);
      assert.equal(hostState(), s0);
      assert.doesNotMatch(vps('docker', 'inspect', '-f', '{{json .NetworkSettings.Networks}}', 'c2').stdout, /conoha-ipv6/);
    });

    it('verify fails when packets would not arrive: our proxy entry gone, our DOCKER-USER rules gone (where Docker manages ip6tables); prepare repairs', async () => {
      assert.equal(vps('ip', '-6', 'neigh', 'del', 'proxy', addr, 'dev', uplink).status, 0);
      let r = verify();
      assert.equal(r.ok, false);
      assert.equal(r.checks.find((c) => c.id === `proxy:${addr}`)?.ok, false);
      if (v.dockerUser) {
        const rm = vps('sh', '-c', "ip6tables -S DOCKER-USER | grep conoha-ipv6-native | sed 's/^-A/-D/' | while read -r rule; do ip6tables $rule; done");
        assert.equal(rm.status, 0, rm.stderr);
        r = verify();
        const fw = r.checks.find((c) => c.id === 'firewall')!;
        assert.equal(fw.ok, false);
        assert.match(fw.message, /inbound .* dropped by ip6tables filter/);
        assert.equal(r.checks.find((c) => c.id === `binding:${addr}:inbound`)?.ok, false, 'TCP from here is dropped');
        assert.equal(reachable(addr), false);
      }
      const p = run('prepare');
      assert.equal(p.code, 0, p.stdout + p.stderr);
      assert.match(p.stdout, /answer for 1 address/);
      if (v.dockerUser) assert.match(p.stdout, /in the firewall/);
      await greenWithin(10_000);
      assert.ok(reachable(addr));
    });

    it('docker restart c1: reachable again with no command from us (Docker keeps the fixed address)', async () => {
      assert.equal(lab(env, 'restart-container', 'c1').status, 0);
      const t = await timed(`${v.variant} reachable after docker restart`, () => eventually(() => reachable(addr), 20_000, 300));
      assert.ok(t >= 0, 'c1 not reachable by TCP after docker restart');
      await greenWithin(10_000);
    });

    it('systemctl restart docker: reachable again, proxy entries and firewall rules in place', async () => {
      const r = lab(env, 'restart-dockerd');
      assert.equal(r.status, 0, r.stderr);
      const t = await timed(`${v.variant} reachable after a dockerd restart`, () => eventually(() => reachable(addr), 30_000, 300));
      assert.ok(t >= 0, 'not reachable after a dockerd restart');
      await greenWithin(20_000);
    });

    it('a real reboot: reachable again with no command from us (ping and TCP)', async () => {
      const r = lab(env, 'reboot');
      assert.equal(r.status, 0, r.stdout + r.stderr);
      const t = await timed(`${v.variant} reachable after a reboot (from ready)`, () => eventually(() => reachable(addr), 60_000, 500));
      assert.ok(t >= 0, 'not reachable after the reboot');
      assert.ok(pings(addr));
      await greenWithin(30_000);
    });

    it('unprepare refuses while a container is on the network; release c1: no longer reachable', () => {
      const refused = run('unprepare');
      assert.equal(refused.code, 2, refused.stdout + refused.stderr);
      assert.match(refused.stderr, /container\(s\) are on conoha-ipv6/);
      const r = run('release', 'c1');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`released ${addr} from c1`));
      assert.equal(reachable(addr), false);
      assert.doesNotMatch(vps('docker', 'inspect', '-f', '{{json .NetworkSettings.Networks}}', 'c1').stdout, /conoha-ipv6/);
    });

    if (v.variant === 'd26-ra') {
      it('switching modes: prepare --mode radvd undoes docker mode first, then prepares radvd mode; and back', async () => {
        const dry = run('prepare', '--mode', 'radvd', '--dry-run');
        assert.equal(dry.code, 0, dry.stderr);
        assert.match(dry.stdout, /remove Docker network conoha-ipv6/);
        const r = run('prepare', '--mode', 'radvd');
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.match(run('status').stdout, /mode: radvd mode/);
        const a = run('assign', 'c1', addr);
        assert.equal(a.code, 0, a.stderr);
        assert.ok((await eventually(() => reachable(addr), 20_000, 500)) >= 0, 'reachable in radvd mode');
        const refused = run('prepare', '--mode', 'docker');
        assert.equal(refused.code, 2, refused.stdout + refused.stderr);
        const back = await timed('d26-ra switch radvd -> docker (--release-all)', () => run('prepare', '--mode', 'docker', '--release-all'));
        assert.equal(back.code, 0, back.stdout + back.stderr);
        assert.match(back.stdout, /Undone \(radvd mode\)/);
        assert.equal(run('assign', 'c1', addr).code, 0);
        assert.ok((await eventually(() => reachable(addr), 20_000, 500)) >= 0, 'reachable in docker mode again');
        assert.equal(run('release', 'c1').code, 0);
      });
    }

    it('unprepare: the host is as it was before the first prepare', async () => {
      const r = await timed(`${v.variant} unprepare`, () => run('unprepare'));
      assert.equal(r.code, 0, r.stdout + r.stderr);
      // the RA default route comes back by itself after accept_ra/forwarding are restored (next RA, at most 10 s)
      const t = await eventually(() => hostState() === pristine, 15_000, 500);
      assert.equal(hostState(), pristine);
      assert.ok(t >= 0);
    });
  });
}
