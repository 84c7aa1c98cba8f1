// conoha-ipv6 export: the playbook and the user-data are valid YAML of the expected shape, carry the engine's own
// agent and unit byte for byte, use Ansible's own modules, and no input (an option's value, a hostile string) can
// change their structure; the host probe's python derives, normalizes and writes exactly what the engine does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ansiblePlaybook } from '../../src/core/export/ansible';
import { cloudInitUserData } from '../../src/core/export/cloudInit';
import { HOST_PROBE_PY } from '../../src/core/export/hostProbe.py';
import { hostProbeProgram } from '../../src/core/export/exportTexts';
import { Unsafe, toYaml } from '../../src/core/export/yaml';
import { artifacts } from '../../src/host/scripts';
import { sysctlConfText, unitText } from '../../src/core/plan';
import { writeHostConf } from '../../src/core/hostState';
import { deriveConohaAddresses, parseAddressList } from '../../src/core/derive';
import { HostConfig } from '../../src/core/config';
import { desiredRadvdConf, managedStanza, parseRadvdConf } from '../../src/core/radvdConf';

const CLI = join(__dirname, '../../../dist/cli.js');
/** Debian's python3 (with python3-yaml, installed by scripts/setup-test-host.sh), not one earlier in PATH */
const PY = '/usr/bin/python3';

/** YAML -> JSON with PyYAML; an !unsafe scalar comes back as {"unsafe": text} */
function parseYaml(text: string): unknown {
  const code = [
    'import json, sys, yaml',
    'class L(yaml.SafeLoader): pass',
    "L.add_constructor('!unsafe', lambda l, n: {'unsafe': l.construct_scalar(n)})",
    'print(json.dumps(yaml.load(sys.stdin.read(), Loader=L)))',
  ].join('\n');
  const r = spawnSync(PY, ['-c', code], { input: text, encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

type Task = Record<string, unknown> & { name: string };

test('the playbook: one play over the inventory, every task named and done by one ansible.builtin module (no shell)', () => {
  const doc = parseYaml(ansiblePlaybook({ version: 'test' })) as { hosts: string; become: boolean; tasks: Task[] }[];
  assert.equal(doc.length, 1);
  assert.equal(doc[0].become, true);
  const modules = doc[0].tasks.map((t) => {
    assert.ok(t.name.length > 5);
    const m = Object.keys(t).filter((k) => k.includes('.'));
    assert.equal(m.length, 1, JSON.stringify(Object.keys(t)));
    return m[0];
  });
  for (const m of modules) assert.match(m, /^ansible\.builtin\.(command|set_fact|assert|apt|file|copy|blockinfile|systemd)$/);
  assert.ok(modules.includes('ansible.builtin.apt') && modules.includes('ansible.builtin.systemd') && modules.includes('ansible.builtin.blockinfile'));
  // commands only as argv (no shell parsing): the host probe and the agent's own subcommands
  for (const t of doc[0].tasks.filter((x) => 'ansible.builtin.command' in x)) assert.ok(Array.isArray((t['ansible.builtin.command'] as { argv: unknown }).argv));
});

test('the playbook carries the agent and the unit prepare installs, byte for byte, marked !unsafe (never templated)', () => {
  const doc = parseYaml(ansiblePlaybook({ version: 'test' })) as { tasks: Task[] }[];
  const copyOf = (dest: string) => (doc[0].tasks.find((t) => (t['ansible.builtin.copy'] as { dest?: string } | undefined)?.dest === dest)?.['ansible.builtin.copy'] as { content: unknown; mode: string });
  assert.deepEqual(copyOf('/usr/local/sbin/conoha-ipv6-agent').content, { unsafe: artifacts.agent });
  assert.equal(copyOf('/usr/local/sbin/conoha-ipv6-agent').mode, '0755');
  assert.deepEqual(copyOf('/etc/systemd/system/conoha-ipv6.service').content, { unsafe: unitText() });
  const probe = doc[0].tasks[0]['ansible.builtin.command'] as { argv: unknown[] };
  assert.deepEqual(probe.argv[2], { unsafe: hostProbeProgram() });
});

test('the user-data: #cloud-config, schema-shaped, the agent and unit base64 byte for byte, runcmd as argv lists', () => {
  const text = cloudInitUserData({ version: 'test' }, {});
  assert.match(text, /^#cloud-config\n/);
  const doc = parseYaml(text) as { packages: string[]; write_files: { path: string; encoding: string; content: string; permissions: string }[]; runcmd: string[][] };
  assert.deepEqual(doc.packages, ['radvd']);
  const f = (p: string) => doc.write_files.find((x) => x.path === p)!;
  assert.equal(Buffer.from(f('/usr/local/sbin/conoha-ipv6-agent').content, 'base64').toString(), artifacts.agent);
  assert.equal(f('/usr/local/sbin/conoha-ipv6-agent').permissions, '0755');
  assert.equal(Buffer.from(f('/etc/systemd/system/conoha-ipv6.service').content, 'base64').toString(), unitText());
  for (const c of doc.runcmd) for (const w of c) assert.equal(typeof w, 'string');
  assert.deepEqual(doc.runcmd[0].slice(0, 2), ['python3', '-c']);
  assert.equal(doc.runcmd[0][2], hostProbeProgram());
  assert.equal(doc.runcmd[0][4], '{}');
});

test('export options reach the user-data as one JSON argument; a hostile value is refused before anything is written', () => {
  const ok = spawnSync(process.execPath, [CLI, 'export', '--format', 'cloud-init', '--interface', 'ens3', '--gateway', 'FE80::1', '--addresses', '2001:db8:1301:814:a157:7:235:120/124'], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  const doc = parseYaml(ok.stdout) as { runcmd: string[][] };
  assert.deepEqual(JSON.parse(doc.runcmd[0][4]), { uplink: 'ens3', gateway: 'fe80::1', addresses: ['2001:db8:1301:814:a157:7:235:120/124'] });
  for (const bad of [['--interface', 'eth0"\nruncmd: [[reboot]]'], ['--interface', 'a b'], ['--gateway', "fe80::1'; reboot"], ['--addresses', '2001:db8::1\n- x']]) {
    const r = spawnSync(process.execPath, [CLI, 'export', '--format', 'cloud-init', ...bad], { encoding: 'utf8' });
    assert.equal(r.status, 2, `${bad.join(' ')}: ${r.stdout}`);
    assert.equal(r.stdout, '');
  }
  const r = spawnSync(process.execPath, [CLI, 'export', '--format', 'ansible', '--interface', 'eth0'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /from the inventory/);
  assert.equal(spawnSync(process.execPath, [CLI, 'export', '--format', 'puppet'], { encoding: 'utf8' }).status, 2);
});

test('the YAML writer: any string comes back exactly as it went in, and cannot add a key or an item', () => {
  const nasty = ['a: b', '- x', '# c', '"q"', "'s'", '{{ lookup("pipe", "id") }}', '{% raw %}', 'line1\nline2\n', '\ttab', 'ü € 😀', '\u2028', '', ' lead', 'trail ', '!unsafe x', '&a *a', 'null', 'yes', '0755', '1e3', '\u0000\u0007\u001b[31m'];
  const v = { list: nasty, map: Object.fromEntries(nasty.map((s, i) => [`k${i}`, s])), nested: [[...nasty], { x: nasty }], u: new Unsafe('{{ x }}\n') };
  const back = parseYaml(toYaml(v, ['a comment'])) as Record<string, unknown>;
  assert.deepEqual(back, { list: nasty, map: v.map, nested: [nasty, { x: nasty }], u: { unsafe: '{{ x }}\n' } });
  assert.throws(() => toYaml({ 'a: b': 1 }), /plain word/);
  assert.throws(() => toYaml(1, ['two\nlines']), /one line/);
});

/** the probe's functions, called from python with JSON arguments (the program without its main() call) */
function probeCall(calls: [string, unknown[]][]): unknown[] {
  const program = hostProbeProgram().replace(/\nmain\(\)\n$/, '\n');
  assert.notEqual(program, hostProbeProgram());
  const code = `${program}\nimport json as _j, sys as _s\nout = []\nfor f, a in _j.loads(_s.stdin.read()):\n    try:\n        out.append(globals()[f](*a))\n    except Refused as e:\n        out.append({'refused': str(e)})\nprint(_j.dumps(out))\n`;
  const r = spawnSync(PY, ['-c', code], { input: JSON.stringify(calls), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as unknown[];
}

test('the host probe derives and normalizes the addresses exactly as derive.ts does', () => {
  const hosts = ['2400:8500:1301:814:157:7:235:12', '2400:8500:1301:747:133:130:115:230', '2001:DB8:0:0:10:0:5:1', '2001:db8::10:0:0:1', '2001:db8:1301:814:0157:0007:0235:0012/64'];
  const got = probeCall(hosts.map((h) => ['derive', [h.replace(/\/64$/, '')]]));
  hosts.forEach((h, i) => {
    const want = deriveConohaAddresses(h);
    assert.deepEqual(got[i], [want.addresses, want.prefix], h);
  });
  const bad = ['2001:db8:1:2:abc:1:2:3', '2001:db8:1:2:3:4:5:abcd', '::1:2:3:4'];
  const misfit = probeCall(bad.map((h) => ['derive', [h]])) as { refused: string }[];
  bad.forEach((h, i) => {
    assert.throws(() => deriveConohaAddresses(h), /does not fit the ConoHa rule/);
    assert.match(misfit[i].refused, /does not fit the ConoHa rule/, h);
  });
  const lists = ['2001:db8:1301:814:a157:7:235:120/124', '2001:DB8::0001, 2001:db8::2', '2001:db8::1/128'];
  const parsed = probeCall(lists.map((l) => ['parse_addresses', [l]])) as [string[], string | null][];
  lists.forEach((l, i) => assert.deepEqual(parsed[i][0], parseAddressList(l).addresses, l));
  assert.equal(parsed[0][1], parseAddressList(lists[0]).prefix);
  const refused = probeCall([['parse_addresses', ['2001:db8::1/120']], ['parse_addresses', ['2001:db8::1/124']], ['parse_addresses', ['2001:db8::1 2001:db8::1']], ['parse_addresses', ['fe80::1']], ['parse_addresses', ['nonsense']]]) as { refused?: string }[];
  for (const x of refused) assert.ok(x.refused, JSON.stringify(x));
});

test('the host probe renders host.conf with writeHostConf\'s format, and the sysctl file as sysctlConfText', () => {
  const values = { uplink: 'eth0.100', bridge: 'docker0', gateway: 'fe80::1', addresses: ['2001:db8::a1', '2001:db8::a2'], route: 'ra', allow: ['2001:db8::a1/128', '2001:db8::a2/128'], firewall: ['docker-user'], forwardPolicy: 'DROP' };
  const [conf, noPolicy, bad] = probeCall([
    ['render_host_conf', [values]],
    ['render_host_conf', [{ ...values, forwardPolicy: null, firewall: [] }]],
    ['render_host_conf', [{ ...values, uplink: 'eth0\nEVIL=1' }]],
  ]);
  assert.equal(conf, writeHostConf(values));
  assert.equal(noPolicy, writeHostConf({ ...values, forwardPolicy: undefined, firewall: [] }));
  assert.match((bad as { refused: string }).refused, /UPLINK/);
  const c = { uplink: 'eth0.100' } as HostConfig;
  const [ra, noRa] = probeCall([
    ['sysctl_text', ['eth0.100', true]],
    ['sysctl_text', ['eth0.100', false]],
  ]);
  assert.equal(ra, sysctlConfText(c, true));
  assert.equal(noRa, sysctlConfText(c, false));
  assert.ok(HOST_PROBE_PY.includes('def sysctl_text('));
});

test('the host probe finds the user\'s own radvd stanza for the bridge as radvdConf.ts does', () => {
  const confs = [
    '',
    managedStanza('docker0'),
    'interface docker0 {\n  AdvSendAdvert on;\n};\n',
    'interface docker0 {\n  prefix ::/64 { AdvOnLink on; };\n};\n',
    '# interface docker0 { AdvSendAdvert on; };\ninterface eth1 { AdvSendAdvert on; };\n' + managedStanza('docker0'),
    'interface docker0 { prefix ::/64 { AdvSendAdvert on; }; AdvSendAdvert off; };\n',
  ];
  const got = probeCall(confs.map((c) => ['radvd_own', [c, 'docker0']]));
  confs.forEach((c, i) => {
    const own = parseRadvdConf(c).find((x) => x.name === 'docker0' && !x.managed);
    assert.equal(got[i], own ? (own.advertises ? 'advertises' : 'silent') : null, c);
    const d = desiredRadvdConf(c, 'docker0');
    assert.equal(!!d.conflict, got[i] === 'silent');
  });
});
