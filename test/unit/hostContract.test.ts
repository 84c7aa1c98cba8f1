// The facts the client and the host's shell share come from one source (src/core/hostContract.ts), the recorded state
// has one format (src/core/hostState.ts) read alike by the TS parser and by the generated shell reader (run here in
// real dash, bash and busybox sh), and the snapshot is checked against its schema and version.
import { RefusedError } from '../../src/core/errors';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT, MARKERS, PATHS, PATTERNS, PatternName, SNAPSHOT_VERSION, matches } from '../../src/core/hostContract';
import { shellPreamble, validator } from '../../src/core/hostPreamble';
import { CONF_KEYS, STATE_MAX_BYTES, StateError, bindingLine, parseBindings, parseHostConf, writeHostConf } from '../../src/core/hostState';
import { SnapshotError, SnapshotVersionError, parseSnapshot } from '../../src/core/snapshot';
import { resolveHostConfig } from '../../src/core/config';
import { hostConfText, hostSetup, planAssign, planHostSetup } from '../../src/core/plan';
import { judgeHost } from '../../src/core/checks';
import { agentText, applyScript, artifacts, snapshotScript, withoutComments } from '../../src/host/scripts';
import { LAUNCHER } from '../../src/host/transport';

const root = join(__dirname, '../../..');
const fixture = (name: string) => readFileSync(join(root, 'test/fixtures', name), 'utf8');
const FRESH = fixture('lab-fresh.json');
const PREPARED = fixture('lab-prepared.json');
const b64 = (t: string) => Buffer.from(t).toString('base64');
const withFiles = (files: { hostConf?: string; bindings?: string }) => {
  const j = JSON.parse(PREPARED);
  if (files.hostConf !== undefined) j.files.hostConf = b64(files.hostConf);
  if (files.bindings !== undefined) j.files.bindings = b64(files.bindings);
  return JSON.stringify(j);
};

/** the shells the preamble must work in (busybox only where installed) */
const SHELLS: string[][] = [['dash'], ['bash'], ...(spawnSync('busybox', ['sh', '-c', 'true']).status === 0 ? [['busybox', 'sh']] : [])];

/** runs `script` after the generated preamble in a real shell */
function sh(shell: string[], script: string, env: Record<string, string> = {}) {
  const r = spawnSync(shell[0], [...shell.slice(1), '-c', `${shellPreamble()}\n${script}`], { encoding: 'utf8', env: { PATH: process.env.PATH!, ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const tmp = mkdtempSync(join(tmpdir(), 'civ6-contract-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const file = (content: string | Buffer) => {
  const p = join(tmp, `f${n++}`);
  writeFileSync(p, content);
  return p;
};

// ---- one source

test('the shell side is generated from the contract: every path, marker, exit code and pattern as a CIV6_* variable', () => {
  for (const shell of SHELLS) {
    const r = sh(shell, 'set -u; printf "%s\\n" "$CIV6_AGENT" "$CIV6_HOST_CONF" "$CIV6_BINDINGS" "$CIV6_MARK_STEP" "$CIV6_EXIT_BUSY" "$CIV6_EXIT_NO_SUDO" "$CIV6_SNAPSHOT_VERSION" "$CIV6_RE_CONTAINER_NAME"');
    assert.equal(r.code, 0, `${shell.join(' ')}: ${r.err}`);
    assert.deepEqual(r.out.split('\n').slice(0, 8), [PATHS.agent, PATHS.hostConf, PATHS.bindings, MARKERS.step, String(EXIT.busy), String(EXIT.noSudo), String(SNAPSHOT_VERSION), PATTERNS.containerName]);
  }
  // the launcher's exit codes are the contract's
  assert.ok(LAUNCHER.includes(`exit ${EXIT.noSudo};`) && LAUNCHER.includes(`exit ${EXIT.sudoPassword};`));
});

test('the .sh files hold no copy of a path, marker or exit code: they name them through the preamble', () => {
  const facts = [...Object.values(PATHS).filter((p) => p.startsWith('/')), ...Object.values(MARKERS).filter((m) => m !== MARKERS.ruleComment), PATHS.stateDir.slice(1)];
  for (const name of ['agent.sh', 'snapshot.sh', 'apply.sh']) {
    const code = readFileSync(join(root, 'src/host/scripts', name), 'utf8')
      .split('\n')
      .filter((l) => !/^\s*#/.test(l)); // comments may name a path for the reader
    for (const [i, l] of code.entries()) {
      for (const f of facts) assert.ok(!l.includes(f), `${name}: "${f}" hard-coded in: ${l.trim()} (line ${i + 1} of the code)`);
      assert.doesNotMatch(l, /\b(exit|return) (75|97|98|[2-6])\b|\bdie\b.*"\s+(75|97|98|[2-6])\s*(;;)?\s*$/, `${name}: an exit code hard-coded in: ${l.trim()}`);
      for (const [k, p] of Object.entries(PATTERNS)) {
        const body = p.slice(1, -1);
        if (/[[{]/.test(body)) assert.ok(!l.includes(body), `${name}: the ${k} pattern written out instead of civ6_valid_*: ${l.trim()}`);
      }
    }
  }
});

test('the agent as installed is self-contained: its #! line, the generated preamble, then its body', () => {
  const agent = agentText();
  const body = readFileSync(join(root, 'src/host/scripts/agent.sh'), 'utf8');
  assert.ok(agent.startsWith('#!/bin/bash\n' + shellPreamble()));
  assert.ok(agent.endsWith(body.slice(body.indexOf('\n') + 1)));
  assert.equal(artifacts.agent, agent);
  // it parses, and with nothing but itself it knows every function it calls
  const r = spawnSync('bash', ['-n'], { input: agent, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const defined = new Set([...agent.matchAll(/^\s*([a-z_][a-z0-9_]*)\(\) \{/gm)].map((m) => m[1]));
  for (const m of agent.matchAll(/\bciv6_[a-z0-9_]*[a-z0-9]\b/g)) assert.ok(defined.has(m[0]), `the agent calls ${m[0]}, which it does not define`);
  // usage errors exit with the contract's code
  const u = spawnSync('bash', ['-s', 'nonsense'], { input: agent, encoding: 'utf8' });
  assert.equal(u.status, EXIT.refused, u.stderr);
});

test('a script is sent without its comment lines, and bash reads the same functions and values from it', () => {
  const libs = ['snapshot.sh', 'apply.sh'].map((f) => readFileSync(join(root, 'src/host/scripts', f), 'utf8'));
  const full = [shellPreamble(), ...libs].join('\n');
  const lean = withoutComments(full);
  assert.ok(lean.length < full.length * 0.9, `${lean.length} of ${full.length} bytes`);
  // what bash defines from each, printed in its own normal form (comments are gone from it in both)
  const defs = (text: string) => spawnSync('bash', ['-c', `${text}\ndeclare -f; set | grep '^CIV6_'`], { encoding: 'utf8' });
  const a = defs(full), b = defs(lean);
  assert.equal(a.status, 0, a.stderr);
  assert.ok(a.stdout.includes('civ6_snapshot ()'));
  assert.equal(b.stdout, a.stdout);
  for (const sent of [snapshotScript(), applyScript([])]) {
    assert.ok(!/^\s*#/m.test(sent), 'a comment line is sent');
    assert.equal(spawnSync('bash', ['-n'], { input: sent, encoding: 'utf8' }).status, 0);
  }
});

test('step scripts use only what the preamble defines, not functions of the libraries that happen to precede them', () => {
  const s = parseSnapshot(FRESH);
  const steps = planHostSetup(s, resolveHostConfig(s), artifacts, { rollbackSeconds: 60 }).steps;
  const p = parseSnapshot(PREPARED);
  steps.push(planAssign(p, resolveHostConfig(p), { agent: '', agentSha256: p.agent.sha256! }, 'c1', resolveHostConfig(p).addresses[5]).step!);
  const preamble = shellPreamble();
  const defined = new Set([...preamble.matchAll(/^\s*(civ6_[a-z0-9_]+)\(\) \{/gm)].map((m) => m[1]));
  const used = new Set(steps.flatMap((x) => [...x.script.matchAll(/\bciv6_[a-z0-9_]+\b/g)].map((m) => m[0])));
  assert.ok(used.has('civ6_write') && used.has('civ6_radvd_pids'), [...used].join());
  for (const f of used) assert.ok(defined.has(f), `a step calls ${f}, which the preamble does not define`);
  // and the scripts sent to the host start with it (without its comment lines)
  assert.ok(snapshotScript().startsWith(`{\n${withoutComments(preamble)}`));
  assert.ok(applyScript(steps).startsWith(`{\n${withoutComments(preamble)}`));
  // civ6_write works from the preamble alone
  for (const shell of SHELLS) {
    const target = join(tmp, `w${n++}`, 'x.conf');
    const r = sh(shell, `civ6_write '${target}' 0600 '${b64('hello\n')}'`);
    assert.equal(r.code, 0, r.err);
    assert.equal(readFileSync(target, 'utf8'), 'hello\n');
  }
});

test('each pattern judges alike in JS, bash [[ =~ ]], dash and busybox (grep -E)', () => {
  const samples: Record<PatternName, string[]> = {
    ifname: ['eth0', 'ens3', 'docker0', 'br-1a2b.100', 'a', 'abcdefghijklmno', 'abcdefghijklmnop', '', 'a b', '$(id)', 'eth0\nx', 'é', "a'b", '-'],
    containerName: ['c1', 'web_1.x-y', 'a'.repeat(128), 'a'.repeat(129), '/c1', '_c', '', 'c 1', 'c1;reboot', 'c1\n', '`id`'],
    networkName: ['bridge', 'shop_default', 'my-net.2', 'a'.repeat(128), 'a'.repeat(129), '_x', '', 'a b', 'n;id', '-'],
    bindingSource: ['assign', 'label', '', 'labels', 'Assign'],
    containerId: ['0123456789ab', 'a'.repeat(64), 'a'.repeat(65), '0123456789a', 'ABCDEF012345', '0123456789ag'],
    address: ['2001:db8::1', '::1', 'fe80::1', ':', 'fe80::1%eth0', '2001:DB8::1', '2001:db8::1/128', '1.2.3.4', 'a'.repeat(40)],
    network: ['2001:db8::/124', '2001:db8::1/128', '2001:db8::', '2001:db8::/1245', '/64'],
    mac: ['02:42:ac:11:00:02', '02:42:AC:11:00:02', '02:42:ac:11:00', '02:42:ac:11:00:02:03', '0242ac110002'],
    pid: ['1', '4194304', '0', '01', '12345678901', '-1', ''],
    firewallMechanism: ['docker-user', 'forward', 'ufw', 'nft', 'ufwx', ''],
    forwardPolicy: ['DROP', 'ACCEPT', '', 'drop', 'REJECT'],
    routeSource: ['ra', 'static', '', 'dhcp'],
    sysctlDev: ['all', 'default', 'eth0', 'veth1@if5', 'a b', '$(x)', 'abcdefghijklmnop'],
    stepId: ['forwarding', 'arm-rollback', 'binding:2001:db8::1', 'a.b', '', 'A', 'x y'],
  };
  assert.deepEqual(Object.keys(samples).sort(), Object.keys(PATTERNS).sort(), 'every pattern has samples');
  const names = Object.keys(samples) as PatternName[];
  const cases = names.flatMap((p) => samples[p].map((v) => ({ p, v, js: matches(p, v) })));
  const script = cases.map((c, i) => `if ${validator(c.p)} "$V${i}"; then echo 1; else echo 0; fi`).join('\n');
  const env = Object.fromEntries(cases.map((c, i) => [`V${i}`, c.v]));
  for (const shell of SHELLS) {
    const r = sh(shell, script, env);
    assert.equal(r.code, 0, r.err);
    const got = r.out.trim().split('\n');
    cases.forEach((c, i) => assert.equal(got[i] === '1', c.js, `${shell.join(' ')}: ${c.p} ${JSON.stringify(c.v)}: shell says ${got[i]}, JS ${c.js}`));
  }
  // and the samples are not all one way
  assert.ok(cases.some((c) => c.js) && cases.some((c) => !c.js));
});

// ---- one format for the recorded state

const RECORD = {
  uplink: 'ens3',
  bridge: 'docker0',
  gateway: 'fe80::1',
  addresses: ['2001:db8:1301:814:a157:7:235:120', '2001:db8:1301:814:a157:7:235:121'],
  route: 'ra',
  allow: ['2001:db8:1301:814:a157:7:235:120/124'],
  firewall: ['docker-user', 'ufw'],
  forwardPolicy: 'DROP',
};

/** host.conf as the agent's reader sees it: the values, or the failure */
function shellConf(shell: string[], path: string) {
  const keys = CONF_KEYS.map((k) => k.key);
  return sh(shell, `set -u; civ6_conf_load '${path}' || exit 9; for k in ${keys.join(' ')}; do eval "printf '%s=%s\\n' \\"\\$k\\" \\"\\$$k\\""; done`);
}

test('host.conf: what prepare writes, the TS parser and the agent\'s shell reader read back the same', () => {
  const text = writeHostConf(RECORD);
  assert.deepEqual(parseHostConf(text), RECORD);
  const path = file(text);
  for (const shell of SHELLS) {
    const r = shellConf(shell, path);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(Object.fromEntries(r.out.trim().split('\n').map((l) => l.split(/=(.*)/s).slice(0, 2))), {
      UPLINK: 'ens3', BRIDGE: 'docker0', GATEWAY: 'fe80::1', ADDRESSES: RECORD.addresses.join(' '), ROUTE: 'ra', ALLOW: RECORD.allow[0], FIREWALL: 'docker-user ufw', FORWARD_POLICY: 'DROP',
    });
  }
  // empty lists and values round-trip too, and an agent before this format (which sourced the file) reads it alike
  const bare = { uplink: 'eth0', bridge: 'docker0', gateway: '2001:db8::1', addresses: [], allow: [], firewall: [] };
  assert.deepEqual(parseHostConf(writeHostConf(bare)), bare);
  const sourced = spawnSync('bash', ['-c', `. '${path}'; printf '%s|' "$ADDRESSES" "$FIREWALL" "$FORWARD_POLICY"`], { encoding: 'utf8' });
  assert.equal(sourced.stdout, `${RECORD.addresses.join(' ')}|docker-user ufw|DROP|`);
  // the writer refuses what it must never write
  assert.throws(() => writeHostConf({ ...RECORD, uplink: 'eth0 $(id)' }), /UPLINK/);
  assert.throws(() => writeHostConf({ ...RECORD, addresses: ['2001:db8::1"; reboot; "'] }), /ADDRESSES/);
});

test('host.conf written by the previous version (the lab fixture) is read by both readers', () => {
  const s = parseSnapshot(PREPARED);
  const text = s.files.hostConf!;
  assert.match(text, /^ADDRESSES="/m);
  assert.deepEqual(s.stateErrors, []);
  assert.equal(s.recorded?.uplink, 'ens3');
  assert.equal(s.recorded?.addresses.length, 16);
  // what this version writes for the same host is the same text: no needless rewrite on an update
  const c = resolveHostConfig(s);
  assert.equal(hostConfText(c, hostSetup(s, c)), text);
  for (const shell of SHELLS) assert.equal(shellConf(shell, file(text)).code, 0);
});

const HOSTILE_CONF: [string, string | Buffer][] = [
  ['command substitution', 'UPLINK=eth0\nBRIDGE=$(touch PWNED)\nGATEWAY=fe80::1\n'],
  ['backticks', 'UPLINK=eth0\nBRIDGE=docker0\nGATEWAY=fe80::1\nADDRESSES="`touch PWNED`"\n'],
  ['a quote that ends early', 'UPLINK=eth0\nBRIDGE=docker0\nGATEWAY=fe80::1\nADDRESSES="2001:db8::1" ; touch PWNED ; "x"\n'],
  ['a stray line (a value cut by a newline)', 'UPLINK=eth0\nBRIDGE=docker0\nGATEWAY=fe80::1\nADDRESSES="2001:db8::1\ntouch PWNED\n"\n'],
  ['a command line', 'UPLINK=eth0\nBRIDGE=docker0\nGATEWAY=fe80::1\ntouch PWNED\n'],
  ['an assignment with a command', 'UPLINK=eth0 touch PWNED\nBRIDGE=docker0\nGATEWAY=fe80::1\n'],
  ['a value of the wrong kind', 'UPLINK=eth0\nBRIDGE=docker0\nGATEWAY=fe80::1\nFIREWALL="docker-user nft"\n'],
  ['a bad address', 'UPLINK=eth0\nBRIDGE=docker0\nGATEWAY=fe80::1\nADDRESSES="2001:db8::1 ../../etc"\n'],
  ['no uplink', 'BRIDGE=docker0\nGATEWAY=fe80::1\n'],
  ['CRLF line ends', 'UPLINK=eth0\r\nBRIDGE=docker0\r\nGATEWAY=fe80::1\r\n'],
  ['a NUL byte', Buffer.from('UPLINK=eth0\nBRIDGE=docker0\0\nGATEWAY=fe80::1\n')],
  ['a huge file', 'UPLINK=eth0\nBRIDGE=docker0\nGATEWAY=fe80::1\n' + '# padding\n'.repeat(STATE_MAX_BYTES / 10 + 1)],
  ['an empty file', ''],
];

test('a hostile host.conf is refused by the TS parser and by the agent\'s reader in real shells, and runs nothing', () => {
  for (const [what, content] of HOSTILE_CONF) {
    const text = content.toString();
    assert.throws(() => parseHostConf(text), StateError, what);
    const path = file(content);
    for (const shell of SHELLS) {
      const r = spawnSync(shell[0], [...shell.slice(1), '-c', `${shellPreamble()}\nciv6_conf_load '${path}'`], { encoding: 'utf8', cwd: tmp });
      assert.notEqual(r.status, 0, `${shell.join(' ')} accepted ${what}`);
      assert.match(r.stderr, /host\.conf|f\d+ /, `${shell.join(' ')}: ${what}: ${r.stderr}`);
      assert.ok(!existsSync(join(tmp, 'PWNED')), `${shell.join(' ')} ran code from ${what}`);
    }
    // the snapshot carries the refusal instead of a config; assign refuses, verify says what to do
    const s = parseSnapshot(withFiles({ hostConf: text }));
    assert.equal(s.recorded, undefined);
    assert.equal(s.stateErrors.length, 1, what);
    assert.match(s.stateErrors[0], /prepare the host again/);
    assert.doesNotMatch(s.stateErrors[0], /[\x00-\x08\x0b-\x1f]/);
  }
  const s = parseSnapshot(withFiles({ hostConf: HOSTILE_CONF[0][1] as string }));
  const c = resolveHostConfig(s, { addresses: undefined });
  assert.throws(() => planAssign(s, c, { agent: '', agentSha256: s.agent.sha256! }, 'c1'), (e: unknown) => e instanceof RefusedError && /host\.conf line 2 .*prepare the host again/.test(e.message) && e.actions.some((x) => x.id === 'prepare'));
  assert.match(judgeHost(s, c, artifacts).find((x) => x.id === 'recorded-state')!.message, /host\.conf/);
});

test('bindings: the agent\'s lines, the TS parser and the shell reader agree; old two-field lines still read', () => {
  const text =
    bindingLine({ address: '2001:db8::1', container: 'c1', id: 'a'.repeat(64) }) +
    bindingLine({ address: '2001:db8::2', container: 'web.2' }) +
    bindingLine({ address: '2001:db8::3', container: 'shop-web-1', id: 'b'.repeat(64), network: 'shop_default', source: 'label' }) +
    bindingLine({ address: '2001:db8::4', container: 'shop-db-1', id: 'c'.repeat(64), network: 'shop_default' }) +
    '\n# a comment\n#released 2001:db8::5 shop-cache-1\n';
  assert.deepEqual(parseBindings(text), [
    { address: '2001:db8::1', container: 'c1', id: 'a'.repeat(64) },
    { address: '2001:db8::2', container: 'web.2' },
    { address: '2001:db8::3', container: 'shop-web-1', id: 'b'.repeat(64), network: 'shop_default', source: 'label' },
    { address: '2001:db8::4', container: 'shop-db-1', id: 'c'.repeat(64), network: 'shop_default' },
  ]);
  // a source needs a network, a network needs an id (the fields are positional)
  assert.throws(() => bindingLine({ address: '2001:db8::1', container: 'c1', network: 'n' }));
  assert.throws(() => bindingLine({ address: '2001:db8::1', container: 'c1', id: 'a'.repeat(64), source: 'label' }));
  assert.throws(() => parseBindings('2001:db8::1 c1 ' + 'a'.repeat(64) + ' net;id label\n'));
  assert.throws(() => parseBindings('2001:db8::1 c1 ' + 'a'.repeat(64) + ' net other\n'));
  const path = file(text);
  for (const shell of SHELLS) {
    const r = sh(shell, `civ6_bindings_read '${path}'`);
    assert.equal(r.code, 0, r.err);
    // fixed fields for the agent: a field an older line lacks is "-", the source "assign"
    assert.deepEqual(r.out.split('\n'), [
      `2001:db8::1 c1 ${'a'.repeat(64)} - assign`,
      '2001:db8::2 web.2 - - assign',
      `2001:db8::3 shop-web-1 ${'b'.repeat(64)} shop_default label`,
      `2001:db8::4 shop-db-1 ${'c'.repeat(64)} shop_default assign`,
      '',
    ]);
    // a missing file is no bindings
    const none = sh(shell, `civ6_bindings_read '${join(tmp, 'none')}'`);
    assert.deepEqual([none.code, none.out], [0, '']);
  }
  assert.deepEqual(parseSnapshot(PREPARED).bindings.map((b) => b.container), ['c1', 'c2']);
});

test('a hostile bindings file is refused by both readers as a whole', () => {
  for (const [what, content] of [
    ['a name with shell code', '2001:db8::1 c1\n2001:db8::2 $(touch PWNED)\n'],
    ['a sixth field', '2001:db8::1 c1 0123456789ab net label extra\n'],
    ['a source that is none', '2001:db8::1 c1 0123456789ab net labels\n'],
    ['a network with shell code', '2001:db8::1 c1 0123456789ab n$(touch${IFS}PWNED) label\n'],
    ['an id that is no id', '2001:db8::1 c1 xyz\n'],
    ['a tab', '2001:db8::1\tc1\n'],
    ['a huge file', '2001:db8::1 c1\n'.repeat(STATE_MAX_BYTES / 15 + 1)],
  ] as [string, string][]) {
    assert.throws(() => parseBindings(content), StateError, what);
    const path = file(content);
    for (const shell of SHELLS) {
      const r = spawnSync(shell[0], [...shell.slice(1), '-c', `${shellPreamble()}\nciv6_bindings_read '${path}'`], { encoding: 'utf8', cwd: tmp });
      assert.notEqual(r.status, 0, `${shell.join(' ')} accepted ${what}`);
      assert.equal(r.stdout, '', `${shell.join(' ')} printed bindings of a bad file (${what})`);
      assert.ok(!existsSync(join(tmp, 'PWNED')));
    }
    const s = parseSnapshot(withFiles({ bindings: content }));
    assert.deepEqual(s.bindings, []);
    assert.match(s.stateErrors.join(), /bindings/);
  }
});

// ---- the snapshot's schema and version

test('snapshot: the lab fixtures pass the schema', () => {
  for (const f of [FRESH, PREPARED]) {
    const s = parseSnapshot(f);
    assert.equal(typeof s.hostname, 'string');
    assert.ok(s.links.length > 0 && s.routes.length > 0);
    assert.deepEqual(s.stateErrors, []);
  }
  assert.equal(JSON.parse(FRESH).v, SNAPSHOT_VERSION);
});

test('snapshot: another format version says to run prepare, and is no crash', () => {
  for (const v of [0, 1, 3, '2', null, [2], { a: 2 }]) {
    const text = JSON.stringify({ ...JSON.parse(FRESH), v });
    assert.throws(
      () => parseSnapshot(text),
      (e: unknown) => e instanceof SnapshotVersionError && e instanceof SnapshotError && /this conoha-ipv6 reads version 2/.test(e.message) && /prepare the host with this version to update its agent/.test(e.message) && e.actions.some((x) => x.id === 'prepare'),
      JSON.stringify(v),
    );
  }
  // no version at all: the line does not even look like a snapshot
  const rest = JSON.parse(FRESH);
  delete rest.v;
  assert.throws(() => parseSnapshot(JSON.stringify(rest)), /did not return a snapshot/);
});

test('snapshot: a missing field or a wrong type is a SnapshotError that names the field', () => {
  const base = JSON.parse(PREPARED);
  const cases: [string, (j: any) => void, RegExp][] = [
    ['no hostname', (j) => delete j.hostname, /snapshot\.hostname is missing, not base64 text/],
    ['no files.hostConf', (j) => delete j.files.hostConf, /snapshot\.files\.hostConf is missing/],
    ['no docker', (j) => delete j.docker, /snapshot\.docker is missing, not an object/],
    ['systemd as a string', (j) => (j.systemd = 'true'), /snapshot\.systemd is string "true", not true or false/],
    ['uid as a float', (j) => (j.uid = 0.5), /snapshot\.uid is number 0.5, not an integer/],
    ['links as an object', (j) => (j.links = {}), /snapshot\.links is an object, not an array or null/],
    ['hostname not base64', (j) => (j.hostname = '!!!'), /snapshot\.hostname is string "!!!", not base64 text/],
    ['a ping without rc', (j) => (j.pings = [{ address: '::1', out: '' }]), /snapshot\.pings\[0\]\.rc is missing/],
    ['tools.ip null', (j) => (j.tools.ip = null), /snapshot\.tools\.ip is null, not true or false/],
  ];
  for (const [what, change, named] of cases) {
    const j = structuredClone(base);
    change(j);
    const text = JSON.stringify(j);
    assert.throws(() => parseSnapshot(text), (e: Error) => e instanceof SnapshotError && named.test(e.message) && /^the host/.test(e.message), what);
  }
  // a null where the script prints null for "none" is fine
  const j = structuredClone(base);
  j.links = null;
  j.agent.sha256 = null;
  const s = parseSnapshot(JSON.stringify(j));
  assert.deepEqual(s.links, []);
  assert.equal(s.agent.sha256, undefined);
});
