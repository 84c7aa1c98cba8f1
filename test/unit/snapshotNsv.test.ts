// A container's netns as snapshot.sh reads it from /proc (the "nsv" text, lines as the lab's kernel printed them)
// gives the same ContainerView as the "ip -j" view read with nsenter (the "ns" object) of the same namespace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSnapshot } from '../../src/core/snapshot';

// a whole snapshot as the lab's host printed it (the schema wants every field), with these links and containers
const FRESH: Record<string, unknown> = JSON.parse(readFileSync(join(__dirname, '../../../test/fixtures/lab-fresh.json'), 'utf8'));

const host = { v: 2, links: [{ ifindex: 1, ifname: 'lo', flags: ['UP'] }, { ifindex: 3, ifname: 'docker0', flags: ['UP'] }, { ifindex: 7, ifname: 'veth9a1', master: 'docker0', link_index: 6, flags: ['UP'] }, { ifindex: 9, ifname: 'veth2b2', master: 'docker0', link_index: 8, flags: ['UP'] }] };
const base = (id: string) => ({ id, name: `/${id}`, state: 'running', running: true, pid: 100, restartPolicy: 'always', networks: { bridge: {} } });

function views(containers: object[]) {
  const s = parseSnapshot(JSON.stringify({ ...FRESH, ...host, docker: { ...(FRESH.docker as object), ok: true, containers } }));
  return s.docker.containers.map(({ id: _i, name: _n, ...rest }) => rest);
}

test('bound container (global address, default route from the RA): /proc view = ip -j view', () => {
  const [a, b] = views([
    { ...base('a'), nsv: 'L eth0 6 7;A 20010db813010814a157000702350120 80 80 eth0;6 3;R fe80000000000000004287fffe098152 00000400 eth0' },
    { ...base('b'), ns: {
      links: [{ ifindex: 1, ifname: 'lo', flags: ['LOOPBACK', 'UP'] }, { ifindex: 6, link_index: 7, ifname: 'eth0', flags: ['UP'] }],
      addrs: [{ ifname: 'lo', addr_info: [{ family: 'inet6', local: '::1', prefixlen: 128, scope: 'host' }] },
        { ifname: 'eth0', addr_info: [{ family: 'inet6', local: '2001:db8:1301:814:a157:7:235:120', prefixlen: 128, scope: 'global' }, { family: 'inet6', local: 'fe80::42:acff:fe11:3', prefixlen: 64, scope: 'link' }] }],
      routes: [{ dst: 'fe80::/64', dev: 'eth0', protocol: 'kernel', metric: 256 }, { dst: 'default', gateway: 'fe80::42:87ff:fe09:8152', dev: 'eth0', protocol: 'ra', metric: 1024 }],
      disable_ipv6: 0 } },
  ]);
  assert.deepEqual(a, b);
  assert.deepEqual(a.globalAddresses, ['2001:db8:1301:814:a157:7:235:120']);
  assert.deepEqual(a.defaultRoutes, [{ dst: 'default', dev: 'eth0', gateway: 'fe80::42:87ff:fe09:8152', protocol: 'ra', metric: 1024 }]);
  assert.equal(a.bridgeInterface, 'eth0');
  assert.equal(a.bridgeOf, 'docker0');
});

test('container with IPv6 off (Docker\'s default): /proc view = ip -j view', () => {
  const [a, b] = views([
    { ...base('a'), nsv: 'L eth0 8 9;6 0' },
    { ...base('b'), ns: { links: [{ ifindex: 1, ifname: 'lo' }, { ifindex: 8, link_index: 9, ifname: 'eth0' }], addrs: [], routes: null, disable_ipv6: 1 } },
  ]);
  assert.deepEqual(a, b);
  assert.equal(a.ipv6Disabled, true);
  assert.equal(a.bridgeOf, 'docker0');
  assert.deepEqual(a.globalAddresses, []);
});

test('hostile /proc text from the host is ignored field by field, never thrown on', () => {
  const [a] = views([{ ...base('a'), nsv: 'L eth0 x 9;A zz 80 80 eth0;R 1 2 3;6 -1;;;L "a b" 1 2 3' }]);
  assert.deepEqual(a.globalAddresses, []);
  assert.deepEqual(a.defaultRoutes, []);
  assert.equal(a.bridgeInterface, undefined);
  assert.equal(a.ipv6Disabled, undefined);
});
