// The engine on 2026 hosts, through the CLI as a user would: a VPS with a real systemd as PID 1
// (systemd-nspawn, test/lab/syslab.sh), Docker 26 or 28, ip6tables or ufw or no firewall, a default route from
// router advertisements or static from systemd-networkd. The user's proof is a TCP connection from here
// (the root namespace, behind the provider router) to a listener in each container, and one from each
// container out to "the internet" (an address behind the router): never just a ping.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Lab, cli, cliAsync, cleanupHome, eventually, lab, labDown, labUp, CliResult } from './labHarness';

interface Variant {
  variant: string;
  prefix: string;
  uplink: string;
  gateway: string;
  /** the fresh host drops new TCP connections to the addresses on the forward path, and how verify names it */
  drops?: RegExp;
  /** the default route comes from RAs (else static, from systemd-networkd) */
  ra: boolean;
}

/** lab prefixes: cv6sa..cv6sd, or another stem so that two runs can share a machine */
const P = process.env.CIV6_TEST_SYSLAB_PREFIX ?? 'cv6s';
const VARIANTS: Variant[] = [
  { variant: 'd26-ra', prefix: `${P}a`, uplink: 'eth0', gateway: 'fe80::c0:ffee', ra: true },
  { variant: 'd28-networkd', prefix: `${P}b`, uplink: 'ens3', gateway: 'fe80::1', ra: false, drops: /ip6tables filter FORWARD.*policy DROP|FORWARD policy DROP/ },
  { variant: 'd26-ip6tables', prefix: `${P}c`, uplink: 'eth0', gateway: 'fe80::1', ra: true, drops: /ip6tables filter FORWARD.*policy DROP|FORWARD policy DROP/ },
  { variant: 'ufw', prefix: `${P}d`, uplink: 'eth0', gateway: 'fe80::1', ra: true, drops: /ufw is active/ },
];

interface Check {
  id: string;
  ok: boolean;
  message: string;
}

for (const v of VARIANTS) {
  const env: NodeJS.ProcessEnv = { LAB_KIND: 'systemd', LAB_PREFIX: v.prefix, LAB_VARIANT: v.variant, LAB_UPLINK: v.uplink, LAB_GATEWAY: v.gateway };

  describe(`systemd VPS ${v.variant} (uplink ${v.uplink}, ${v.ra ? 'RA' : 'static networkd'} default route${v.drops ? ', a firewall that drops forwarded TCP' : ''})`, () => {
    let L: Lab;
    let base: string[];
    let probe: string;
    const addr: Record<string, string> = {};
    const run = (...args: string[]): CliResult => cli([...args, ...base]);
    const vps = (...args: string[]) => lab(env, 'vps', ...args);
    /** verify with the user's proofs: TCP from here to port 8080 of each bound container, TCP out from each */
    const verify = (): { ok: boolean; checks: Check[]; raw: CliResult } => {
      const r = run('verify', '--json', '--port', L.LAB_CONTAINER_PORT, '--probe', probe);
      assert.ok(r.code === 0 || r.code === 1, `verify exit ${r.code}: ${r.stderr}`);
      const j = JSON.parse(r.stdout);
      return { ok: j.ok, checks: j.checks, raw: r };
    };
    /** what prepare + unprepare must leave as it found it (names of veths and expiry times aside) */
    const hostState = () =>
      vps('sh', '-c', [
        `sysctl -n net.ipv6.conf.all.forwarding net.ipv6.conf.${v.uplink}.accept_ra net.ipv6.conf.${v.uplink}.proxy_ndp net.ipv6.conf.docker0.disable_ipv6`,
        // sorted: after a reboot the kernel lists link-local routes in the order the interfaces came up
        "ip -6 route show | grep -v ' dev veth' | sed 's/ expires [0-9]*sec//' | sort",
        'ip -6 neigh show proxy | sort',
        "ip6tables-save | grep -v '^#' | sed 's/ \\[[0-9]*:[0-9]*\\]$//'",
        'cat /etc/radvd.conf 2>&1; ls /etc/conoha-ipv6 /etc/systemd/system/conoha-ipv6.service /usr/local/sbin/conoha-ipv6-agent /etc/sysctl.d/60-conoha-ipv6.conf /etc/systemd/network/*.d 2>&1',
        'systemctl is-enabled radvd conoha-ipv6.service 2>&1; systemctl is-active radvd 2>&1; ufw status verbose 2>&1 | grep -v "^$"',
      ].join('; ')).stdout;
    let pristine = '';
    const failed = (checks: Check[]) => checks.filter((c) => !c.ok).map((c) => `${c.id}: ${c.message}`).join('\n');
    /** a TCP connection from here, through the provider router, to the container's listener */
    const tcp = (a: string) => lab(env, 'tcp', a, L.LAB_CONTAINER_PORT);
    const reachable = (name: string) => tcp(addr[name]).stdout.includes(name);
    const greenWithin = async (ms: number) => {
      let last: ReturnType<typeof verify> | undefined;
      const t = await eventually(() => (last = verify()).ok, ms, 1000);
      assert.ok(t >= 0, `verify not green within ${ms / 1000} s:\n${last && failed(last.checks)}`);
      return t;
    };

    before(() => {
      L = labUp(env);
      base = ['--host', `labuser@[${L.LAB_SSH6}]`, '--identity', L.LAB_KEY_USER, '--known-hosts', L.LAB_KNOWN_HOSTS];
      probe = `[${L.LAB_PROBE_ADDR}]:${L.LAB_PROBE_PORT}`;
    });
    after(() => {
      try {
        labDown(env);
      } finally {
        cleanupHome();
      }
    });

    it('the fresh host: verify fails; the firewall check names what drops TCP on this variant', () => {
      pristine = hostState();
      const r = verify();
      assert.equal(r.ok, false);
      const fw = r.checks.find((c) => c.id === 'firewall')!;
      if (v.drops) {
        assert.equal(fw.ok, false, fw.message);
        assert.match(fw.message, v.drops);
        assert.match(fw.message, /inbound/);
      } else {
        assert.equal(fw.ok, true, fw.message);
      }
      if (!v.ra) {
        // a static default route (networkd keeps the kernel's accept_ra at 0): accept_ra is not ours to judge
        assert.equal(r.checks.find((c) => c.id === 'accept-ra'), undefined);
        assert.equal(r.checks.find((c) => c.id === 'networkd')?.ok, false);
      }
      const st = run('status', '--json');
      assert.equal(st.code, 0, st.stderr);
      const j = JSON.parse(st.stdout);
      assert.equal(j.snapshot.systemd, true, 'systemd is PID 1');
      assert.equal(j.config.uplink, v.uplink);
      assert.equal(j.config.gateway, v.gateway);
      assert.equal(j.snapshot.docker.version, L.LAB_DOCKER_VERSION);
    });

    if (v.variant === 'd26-ra') {
      it('prepare over the public path, the path cut in the middle: the host rolls its network back by itself, and is reachable again', async () => {
        // SSH to the VPS's public address through the provider router, as a user without a management network does
        const pub = ['--host', `labuser@[${L.LAB_HOST_ADDR}]`, '--identity', L.LAB_KEY_USER, '--known-hosts', join(L.LAB_STATE, 'known_hosts.public'), '--accept-new'];
        const st = cli(['status', ...pub]);
        assert.equal(st.code, 0, st.stderr);
        const sysctls = () => vps('sysctl', '-n', 'net.ipv6.conf.all.forwarding', `net.ipv6.conf.${v.uplink}.accept_ra`, `net.ipv6.conf.${v.uplink}.proxy_ndp`).stdout;
        const before = sysctls();
        const p = cliAsync(['prepare', '--rollback-seconds', '10', ...pub]);
        // the real cut: the provider router drops everything to the VPS's address as soon as the rollback is armed (mid-apply)
        const armed = await eventually(() => vps('test', '-e', '/run/conoha-ipv6/rollback.armed').status === 0, 20_000, 50);
        assert.ok(armed >= 0, 'the rollback was never armed');
        assert.equal(lab(env, 'router', 'ip', '-6', 'route', 'add', 'blackhole', `${L.LAB_HOST_ADDR}/128`).status, 0);
        try {
          const r = await p;
          assert.equal(r.code, 1, r.stdout + r.stderr);
          assert.match(r.stderr, /restores its previous network settings by itself/);
          assert.ok((await eventually(() => vps('test', '-e', '/etc/conoha-ipv6/rolled-back').status === 0, 20_000, 500)) >= 0, 'the host did not roll back by itself');
        } finally {
          assert.equal(lab(env, 'router', 'ip', '-6', 'route', 'del', 'blackhole', `${L.LAB_HOST_ADDR}/128`).status, 0);
        }
        assert.equal(sysctls(), before, 'forwarding, accept_ra and proxy_ndp are as they were');
        assert.notEqual(vps('systemctl', 'is-active', 'conoha-ipv6.service').stdout.trim(), 'active');
        assert.ok((await eventually(() => cli(['status', ...pub]).code === 0, 40_000, 1000)) >= 0, 'the public path did not come back');
        const rb = verify().checks.find((c) => c.id === 'rollback')!;
        assert.equal(rb.ok, false);
        assert.match(rb.message, /rolled its network settings back by itself/);
      });
    }

    it('prepare shows its plan (with the firewall step where Docker or ufw manage the firewall), applies it, and a second prepare changes nothing', () => {
      const dry = run('prepare', '--dry-run');
      assert.equal(dry.code, 0, dry.stderr);
      if (v.drops) assert.match(dry.stdout, /in the firewall/);
      assert.match(dry.stdout, /arm a rollback/);
      assert.equal(/accept_ra=2/.test(dry.stdout), v.ra, dry.stdout);
      const r = run('prepare');
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const again = run('prepare');
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /nothing to change/);
      assert.equal(vps('systemctl', 'is-enabled', 'conoha-ipv6.service').stdout.trim(), 'enabled');
      assert.equal(vps('systemctl', 'is-active', 'conoha-ipv6.service').stdout.trim(), 'active');
      assert.equal(vps('systemctl', 'is-enabled', 'radvd').stdout.trim(), 'enabled');
    });

    it('assign c1 and c2: verify is green, TCP from here reaches each container through the router, and each reaches out', async () => {
      for (const name of ['c1', 'c2']) {
        const r = run('assign', name);
        assert.equal(r.code, 0, r.stderr);
        addr[name] = r.stdout.trim();
      }
      await greenWithin(20_000);
      const r = verify();
      for (const name of ['c1', 'c2']) {
        for (const kind of ['inbound', 'outbound']) assert.equal(r.checks.find((c) => c.id === `binding:${addr[name]}:${kind}`)?.ok, true, `${name} ${kind}`);
        assert.ok(reachable(name), `TCP from here to ${name} at [${addr[name]}]:${L.LAB_CONTAINER_PORT}: ${tcp(addr[name]).stderr}`);
      }
    });

    if (v.drops) {
      it('the firewall rules we added, taken away: verify fails and names the rule; prepare puts them back', async () => {
        const remove =
          v.variant === 'ufw'
            ? `ufw status numbered | grep -q conoha-ipv6 && while n=$(ufw status numbered | sed -n 's/^\\[ *\\([0-9]*\\)\\].*conoha-ipv6.*/\\1/p' | head -n 1); [ -n "$n" ]; do ufw --force delete "$n" >/dev/null; done`
            : `ip6tables -S DOCKER-USER | grep conoha-ipv6 | sed 's/^-A/-D/' | while read -r rule; do ip6tables $rule; done`;
        const rm = vps('sh', '-c', remove);
        assert.equal(rm.status, 0, rm.stderr);
        const r = verify();
        assert.equal(r.ok, false);
        const fw = r.checks.find((c) => c.id === 'firewall')!;
        assert.equal(fw.ok, false);
        assert.match(fw.message, v.drops!);
        assert.equal(r.checks.find((c) => c.id === `binding:${addr.c1}:inbound`)?.ok, false, 'TCP from here is dropped');
        assert.equal(reachable('c1'), false);
        const p = run('prepare');
        assert.equal(p.code, 0, p.stdout + p.stderr);
        assert.match(p.stdout, /in the firewall/);
        await greenWithin(10_000);
      });
    }

    it('docker restart c1: reachable from here again with no command from us', async () => {
      assert.equal(lab(env, 'restart-container', 'c1').status, 0);
      assert.ok((await eventually(() => reachable('c1'), 20_000, 500)) >= 0, 'c1 not reachable by TCP after docker restart');
      await greenWithin(20_000);
    });

    it('systemctl restart docker: both reachable again, firewall rules still in place', async () => {
      const started = () => vps('docker', 'inspect', '-f', '{{.State.StartedAt}}', 'c1').stdout.trim();
      const before = started();
      const r = lab(env, 'restart-dockerd');
      assert.equal(r.status, 0, r.stderr);
      // d26-ip6tables runs with "live-restore": the containers keep running through the restart
      if (v.variant === 'd26-ip6tables') assert.equal(started(), before, 'live-restore kept c1 running');
      else assert.notEqual(started(), before, 'c1 was restarted with dockerd');
      assert.ok((await eventually(() => reachable('c1') && reachable('c2'), 30_000, 500)) >= 0, 'not reachable after a dockerd restart');
      await greenWithin(20_000);
    });

    if (!v.ra) {
      it('systemctl restart systemd-networkd: the host keeps its proxies and routes (networkd keeps proxy NDP itself)', async () => {
        assert.equal(vps('systemctl', 'restart', 'systemd-networkd').status, 0);
        await new Promise((r) => setTimeout(r, 3000));
        assert.ok((await eventually(() => reachable('c1') && reachable('c2'), 30_000, 500)) >= 0, 'not reachable after networkd restarted');
        await greenWithin(20_000);
        assert.equal(vps('sysctl', '-n', `net.ipv6.conf.${v.uplink}.proxy_ndp`).stdout.trim(), '1');
      });
    }

    it('a real reboot (systemctl reboot): addresses, routes, proxies, firewall, RA and bindings come back with no command from us', async () => {
      const r = lab(env, 'reboot');
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.ok((await eventually(() => reachable('c1') && reachable('c2'), 60_000, 1000)) >= 0, 'not reachable after the reboot');
      await greenWithin(30_000);
    });

    it('unprepare refuses while addresses are bound; with --release-all the host is as it was before the first prepare', () => {
      const refused = run('unprepare');
      assert.equal(refused.code, 2, refused.stdout + refused.stderr);
      assert.match(refused.stderr, /address\(es\) are bound .*\n  to fix: conoha-ipv6 unprepare --release-all --host /);
      const r = run('unprepare', '--release-all');
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.equal(hostState(), pristine);
      assert.equal(reachable('c1'), false);
      // and it can be prepared again from there
      const p = run('prepare');
      assert.equal(p.code, 0, p.stdout + p.stderr);
      for (const name of ['c1', 'c2']) assert.equal(run('assign', name, addr[name]).code, 0);
    });

    it('release both: the addresses are gone from the containers and TCP from here no longer reaches them', () => {
      for (const name of ['c1', 'c2']) {
        const r = run('release', name);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, new RegExp(`released ${addr[name]} from ${name}`));
      }
      const r = verify();
      assert.equal(r.ok, true, failed(r.checks));
      assert.equal(reachable('c1'), false);
      assert.doesNotMatch(vps('docker', 'exec', 'c1', 'ip', '-6', 'addr').stdout, new RegExp(addr.c1));
    });
  });
}
