// Property tests with generated input, for the parts that take untrusted text: user input (flags, settings)
// and whatever a host sends back. A failure prints FUZZ_SEED and the case; see test/unit/fuzz/prng.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { forAll, Rng, BYTES, UNICODE, SHELL_META } from './fuzz/prng';
import { rfc5952, randomHextets, randomGlobal, ipv6Text, distinctiveIfname, containerName, Hextets, IFNAME_CHARS } from './fuzz/gen';
import { deriveConohaAddresses, normalizeAddress, parseAddressList, isGlobalUnicast, validateGateway } from '../../src/core/derive';
import { InputError, parseHostSpec, formatHostSpec, HostSpec } from '../../src/core/hostSpec';
import { resolveHostConfig, RefusedError } from '../../src/core/config';
import { judgeHost } from '../../src/core/checks';
import { shq, validateContainerName, validateInterfaceName } from '../../src/core/shell';
import { parseSnapshot, SnapshotError, HostSnapshot } from '../../src/core/snapshot';
import { planHostSetup, planAssign, planRelease, AGENT_PATH } from '../../src/core/plan';
import { desiredRadvdConf, parseRadvdConf, managedStanza, MANAGED_END } from '../../src/core/radvdConf';

const fixture = (name: string) => readFileSync(join(__dirname, '../../../test/fixtures', name), 'utf8');
const FRESH = fixture('lab-fresh.json');
const PREPARED = fixture('lab-prepared.json');

/** Calls f; an exception must be one of the allowed classes (the project's own), never a TypeError & co. */
function onlyThrows<T>(allowed: (abstract new (...args: never[]) => Error)[], f: () => T): T | Error {
  try {
    return f();
  } catch (e) {
    if (!allowed.some((c) => e instanceof c)) throw new assert.AssertionError({ message: `threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}` });
    return e as Error;
  }
}
const canonicalOf = (h: Hextets) => rfc5952(h);
const hextetsOf = (n: bigint): Hextets => Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(16 * (7 - i))) & 0xffffn));
const valueOf = (h: Hextets): bigint => h.reduce((acc, x) => (acc << 16n) | BigInt(x), 0n);

// ---- 1. derivation

test('fuzz derive: every textual form of an address normalizes to its RFC 5952 form', () => {
  forAll('normalize-forms', 2000, (r) => randomHextets(r), (h, r) => {
    const text = ipv6Text(r, h);
    const suffix = r.pick(['', '', '/128', ' ', '\t']);
    assert.equal(normalizeAddress(r.pick(['', ' ', '\n']) + text + suffix), canonicalOf(h), text);
    assert.equal(typeof isGlobalUnicast(text), 'boolean');
    assert.equal(isGlobalUnicast(text), h[0] >> 13 === 1);
  });
});

/** A ConoHa host address: hextets 5..8 are 1-3 decimal digits (as text, maybe zero-padded to 4). */
function conohaHost(r: Rng) {
  const prefix = r.chance(0.5) ? [0x2400, 0x8500, r.int(0, 0xffff), r.int(0, 0xffff)] : randomGlobal(r).slice(0, 4);
  const octets = Array.from({ length: 4 }, () => String(r.pick([r.int(0, 9), r.int(10, 99), r.int(100, 255), r.int(0, 999)])));
  const h = [...prefix, ...octets.map((o) => parseInt(o, 16))];
  return { h, octets };
}

test('fuzz derive: a ConoHa-shaped host gives 16 distinct addresses in one /124, the same for every textual form', () => {
  forAll('derive-conoha', 600, conohaHost, ({ h, octets }, r) => {
    const forms = Array.from({ length: 3 }, () => ipv6Text(r, h) + r.pick(['', '/64', '/128', '/56']));
    const sets = forms.map((f) => deriveConohaAddresses(r.pick(['', ' ']) + f));
    for (const s of sets) assert.deepEqual(s, sets[0], `${forms[0]} vs ${forms[sets.indexOf(s)]}`);
    const set = sets[0];
    assert.equal(set.source, 'conoha-rule');
    assert.equal(new Set(set.addresses).size, 16);
    // the oracle: the digits as text, "a" before hextet 5, the hex digit X after hextet 8
    const expected = Array.from({ length: 16 }, (_, x) =>
      canonicalOf([...h.slice(0, 4), parseInt('a' + octets[0], 16), h[5], h[6], parseInt(octets[3] + x.toString(16), 16)]),
    );
    assert.deepEqual(set.addresses, expected);
    // one /124: the prefix expands to exactly these, and a list of them round-trips
    assert.deepEqual(parseAddressList(set.prefix!).addresses, set.addresses);
    assert.deepEqual(parseAddressList(set.addresses.join(r.pick([',', ', ', ' ', '\n']))).addresses, set.addresses);
  });
});

test('fuzz derive: any address or string gives a valid set or an InputError, nothing else', () => {
  const alphabet = [...'0123456789abcdefABCDEF::::...//%[] ,\n', ...BYTES.slice(0, 40), ...UNICODE];
  const n = forAll(
    'derive-any',
    3000,
    (r) => {
      if (r.chance(0.5)) return ipv6Text(r, randomHextets(r)) + r.pick(['', '/64', '/124', '/128', '/129', '/999', '%eth0', '/']);
      if (r.chance(0.5)) {
        // a valid form with one character changed
        const t = [...ipv6Text(r, randomHextets(r))];
        t.splice(r.int(0, t.length), r.int(0, 1), ...(r.chance(0.7) ? [r.pick(alphabet)] : []));
        return t.join('');
      }
      return r.string(alphabet, 0, 50);
    },
    (text) => {
      const set = onlyThrows([InputError], () => deriveConohaAddresses(text));
      if (!(set instanceof Error)) {
        assert.equal(new Set(set.addresses).size, 16);
        assert.deepEqual(parseAddressList(set.prefix!).addresses, set.addresses);
      }
      const list = onlyThrows([InputError], () => parseAddressList(text));
      if (!(list instanceof Error)) assert.deepEqual(parseAddressList(list.addresses.join(',')).addresses, list.addresses, 'round trip');
      onlyThrows([InputError], () => normalizeAddress(text));
      onlyThrows([InputError], () => validateGateway(text));
      assert.equal(typeof isGlobalUnicast(text), 'boolean');
    },
  );
  assert.ok(n > 0);
});

test('fuzz derive: --addresses lists and /124 prefixes round-trip', () => {
  forAll(
    'address-list',
    500,
    (r) => Array.from({ length: r.int(1, 20) }, () => randomGlobal(r)),
    (list, r) => {
      const unique = [...new Map(list.map((h) => [canonicalOf(h), h])).values()];
      const text = unique.map((h) => ipv6Text(r, h) + r.pick(['', '/128'])).join(r.pick([',', ' , ', '\n', '  ']));
      const set = parseAddressList(text);
      assert.equal(set.source, unique.length === 1 && text.includes('/') ? set.source : 'list');
      assert.deepEqual(set.addresses, unique.map(canonicalOf));
      assert.deepEqual(parseAddressList(set.addresses.join(',')), set);
      // the /124 around the first address
      const start = valueOf(unique[0]) & ~0xfn;
      const prefix = parseAddressList(`${ipv6Text(r, hextetsOf(start))}/124`);
      assert.deepEqual(prefix.addresses, Array.from({ length: 16 }, (_, x) => canonicalOf(hextetsOf(start + BigInt(x)))));
      assert.deepEqual(parseAddressList(prefix.prefix!), prefix);
      if (unique.length > 1) assert.throws(() => parseAddressList(text + ',' + ipv6Text(r, unique[0])), InputError, 'a duplicate');
    },
  );
});

/** Addresses no container can have, in random forms: multicast, loopback, unspecified, link-local, IPv4-mapped. */
function forbidden(r: Rng): { kind: string; h: Hextets } {
  const h = randomHextets(r);
  const kind = r.pick(['multicast', 'loopback', 'unspecified', 'link-local', 'ipv4-mapped']);
  if (kind === 'multicast') h[0] = 0xff00 | r.int(0, 0xff);
  if (kind === 'link-local') h[0] = 0xfe80 | r.int(0, 0x3f);
  if (kind === 'loopback' || kind === 'unspecified' || kind === 'ipv4-mapped') h.fill(0, 0, 8);
  if (kind === 'loopback') h[7] = 1;
  if (kind === 'ipv4-mapped') [h[5], h[6], h[7]] = [0xffff, r.int(0, 0xffff), r.int(0, 0xffff)];
  return { kind, h };
}

test('fuzz derive: multicast, loopback, ::, link-local and IPv4-mapped addresses are refused for containers', () => {
  forAll('forbidden-container', 1500, forbidden, ({ h }, r) => {
    const text = ipv6Text(r, h);
    const good = ipv6Text(r, randomGlobal(r));
    for (const input of [text, `${text}/128`, `${good},${text}`, `${text} ${good}`]) {
      assert.throws(() => parseAddressList(input), (e: Error) => e instanceof InputError && /cannot be given to a container/.test(e.message), input);
    }
    const aligned = ipv6Text(r, hextetsOf(valueOf(h) & ~0xfn));
    assert.throws(() => parseAddressList(`${aligned}/124`), InputError, `${aligned}/124`);
  });
  // separators alone are no list (they used to give an empty address set)
  for (const empty of [',', ' , ,', '\n,\t']) assert.throws(() => parseAddressList(empty), /lists no address|is empty/, JSON.stringify(empty));
  // a ConoHa-shaped host address in link-local or multicast space derives nothing
  assert.throws(() => deriveConohaAddresses('fe80::157:7:235:12'), /link-local address and cannot be given to a container/);
  assert.throws(() => deriveConohaAddresses('ff02:1:2:3:157:7:235:12'), /multicast/);
});

test('fuzz derive: the gateway is link-local or global unicast; multicast, loopback and :: are refused', () => {
  forAll('gateway', 1500, (r) => (r.chance(0.5) ? forbidden(r) : { kind: r.pick(['link-local', 'global']), h: r.chance(0.5) ? randomGlobal(r) : forbidden(r).h }), ({ h }, r) => {
    const text = ipv6Text(r, h);
    const linkLocal = h[0] >> 6 === 0xfe80 >> 6;
    const global = h[0] >> 13 === 1;
    if (linkLocal || global) assert.equal(validateGateway(text), canonicalOf(h));
    else assert.throws(() => validateGateway(text), (e: Error) => e instanceof InputError && /cannot be the gateway/.test(e.message), text);
  });
  assert.equal(validateGateway('fe80::1'), 'fe80::1');
  for (const bad of ['ff02::1', '::1', '::', '::ffff:192.0.2.1', 'fd00::1']) assert.throws(() => validateGateway(bad), InputError, bad);
});

// ---- 2. shell quoting

test('fuzz shell: shq(s) reaches bash as exactly s, for every byte 1-255, quotes, $(), backticks, newlines, Unicode', () => {
  const alphabet = [...BYTES, ...UNICODE, ...SHELL_META, "'", "'\\''", '$(', '`', '${', '\\', '\n', '%s', '%'];
  const cases: string[] = [];
  forAll('shq', 1200, (r) => r.string(alphabet, 0, r.chance(0.05) ? 400 : 30), (s) => void cases.push(s));
  cases.push('', "'", "''", "\\'", '\n', '-n', '-e', '--', '%b', "a'b\"c`d$(e)${f}\\g\n");
  // one bash for all: each printed between NULs (bytes 1-255 never contain one)
  const script = cases.map((s) => `printf '%s\\0' ${shq(s)}`).join('\n');
  const out = execFileSync('bash', ['-s'], { input: script + '\n', encoding: 'utf8', maxBuffer: 64 << 20 });
  const got = out.split('\0').slice(0, -1);
  assert.equal(got.length, cases.length);
  for (let i = 0; i < cases.length; i++) assert.equal(got[i], cases[i], `case ${i}: ${JSON.stringify(cases[i])}`);

  // raw bytes, not UTF-8: the script goes to bash as latin1 bytes and must come back byte for byte
  const raw: string[] = [];
  forAll('shq-bytes', 300, (r) => r.string(BYTES, 0, 40), (s) => void raw.push(s));
  const rawOut = execFileSync('bash', ['-s'], { input: Buffer.from(raw.map((s) => `printf '%s\\0' ${shq(s)}`).join('\n') + '\n', 'latin1') });
  assert.deepEqual(rawOut.toString('latin1').split('\0').slice(0, -1), raw);
});

test('fuzz shell: names that pass validation hold no shell metacharacter and need no quoting', () => {
  const alphabet = [...IFNAME_CHARS, ...IFNAME_CHARS, '/', ...SHELL_META, ...BYTES.filter((_, i) => i % 7 === 0), ...UNICODE];
  const safe = /^[A-Za-z0-9_.-]+$/;
  forAll('names', 4000, (r) => r.string(alphabet, 0, r.chance(0.1) ? 140 : 16), (s) => {
    const c = onlyThrows([InputError], () => validateContainerName(s));
    if (typeof c === 'string') {
      assert.match(c, safe);
      assert.equal(shq(c), `'${c}'`);
      assert.ok(c.length <= 128);
    }
    const i = onlyThrows([InputError], () => validateInterfaceName(s, '--bridge'));
    if (typeof i === 'string') {
      assert.match(i, safe);
      assert.ok(i.length <= 15 && i !== '.' && i !== '..');
    }
  });
  forAll('names-valid', 1000, containerName, (n) => assert.equal(validateContainerName(n), n.replace(/^\//, '')));
});

/** Marks, for each character of a bash script, whether it is inside single quotes (a rough lexer: enough for our scripts). */
function singleQuoted(script: string): boolean[] {
  const inside: boolean[] = [];
  let state: 'plain' | 'single' | 'double' | 'comment' = 'plain';
  for (let i = 0; i < script.length; i++) {
    const c = script[i];
    inside[i] = state === 'single' && c !== "'";
    if (state === 'single') {
      if (c === "'") state = 'plain';
    } else if (state === 'double') {
      if (c === '\\') inside[++i] = false;
      else if (c === '"') state = 'plain';
    } else if (state === 'comment') {
      if (c === '\n') state = 'plain';
    } else if (c === '\\') inside[++i] = false;
    else if (c === "'") state = 'single';
    else if (c === '"') state = 'double';
    else if (c === '#' && (i === 0 || /\s/.test(script[i - 1]))) state = 'comment';
  }
  return inside;
}

function assertQuoted(script: string, value: string, what: string) {
  const inside = singleQuoted(script);
  for (let at = script.indexOf(value); at >= 0; at = script.indexOf(value, at + 1)) {
    for (let k = at; k < at + value.length; k++) assert.ok(inside[k], `${what} ${JSON.stringify(value)} is not single-quoted at ${at} in:\n${script}`);
  }
}

/** bash -n over many scripts in one process (each wrapped in a function); on failure, the culprit alone. */
function assertParses(scripts: string[]) {
  const all = scripts.map((s, i) => `civ6_fuzz_${i}() {\n${s}\n}`).join('\n');
  try {
    execFileSync('bash', ['-n'], { input: all, stdio: ['pipe', 'pipe', 'pipe'] });
  } catch {
    for (const s of scripts) {
      try {
        execFileSync('bash', ['-n'], { input: s, stdio: ['pipe', 'pipe', 'pipe'] });
      } catch (e) {
        assert.fail(`bash -n refuses a step script: ${String((e as { stderr?: Buffer }).stderr)}\n${s}`);
      }
    }
  }
}

/** Runs agent command lines with the agent replaced by a stub that prints its arguments (count, then each, NUL-ended). */
function agentArguments(scripts: string[]): string[][] {
  const stub = 'civ6_args() { printf \'%s\\0\' "$#" "$@"; }';
  const body = scripts.map((s) => {
    assert.ok(s.startsWith(AGENT_PATH + ' '), s);
    return 'civ6_args' + s.slice(AGENT_PATH.length);
  });
  const out = execFileSync('bash', ['-s'], { input: [stub, ...body, ''].join('\n'), encoding: 'utf8', maxBuffer: 64 << 20 }).split('\0');
  const calls: string[][] = [];
  for (let i = 0; i < out.length - 1; ) {
    const n = Number(out[i]);
    calls.push(out.slice(i + 1, i + 1 + n));
    i += n + 1;
  }
  return calls;
}

const PREPARED_SNAPSHOT = parseSnapshot(PREPARED);
const prepared = (): HostSnapshot => structuredClone(PREPARED_SNAPSHOT);
const installed = () => ({ agent: '', agentSha256: PREPARED_SNAPSHOT.agent.sha256! });

function randomSet(r: Rng): string[] {
  const start = valueOf(randomGlobal(r)) & ~0xfn;
  return parseAddressList(`${canonicalOf(hextetsOf(start))}/124`).addresses;
}

test('fuzz plans: assign and release scripts pass container names and addresses as exactly one argument each', () => {
  const scripts: string[] = [];
  const expected: string[][] = [];
  const hostile = [...BYTES, ...UNICODE, ...SHELL_META];
  forAll(
    'plan-assign-release',
    400,
    (r) => ({ name: containerName(r), hostileName: r.chance(0.4) ? r.string(hostile, 1, 40) : undefined, pick: r.int(0, 15), release: r.int(0, 2) }),
    ({ name, hostileName, pick, release }, r) => {
      const s = prepared();
      const addresses = randomSet(r);
      const c = resolveHostConfig(s, { addresses: { addresses, prefix: `${addresses[0]}/124`, source: 'prefix' } });
      const k = s.docker.containers.find((x) => x.name === 'c1')!;
      // the host names the container: a hostile host may name it anything; the user then finds it by id
      k.name = hostileName ?? name.replace(/^\//, '');
      s.bindings = [];
      const arg = hostileName ? k.id.slice(0, 12) : name;
      const address = addresses[pick];
      const plan = planAssign(s, c, installed(), arg, ipv6Text(r, hextetsOf(valueOfText(address))));
      assert.equal(plan.address, address);
      scripts.push(plan.step!.script);
      expected.push(['bind', k.name, address, 'bridge']);
      // release by name, by address, or a hostile host's binding of something that is no address at all
      const bound = release === 2 ? r.string(hostile, 1, 30) : address;
      s.bindings = [{ address: bound, container: k.name }];
      const rel = planRelease(s, c, installed(), release === 1 ? ipv6Text(r, hextetsOf(valueOfText(address))) : arg);
      for (const st of rel.steps) {
        scripts.push(st.script);
        expected.push(['unbind', bound]);
      }
    },
  );
  assertParses(scripts);
  assert.deepEqual(agentArguments(scripts), expected);
});

function valueOfText(address: string): bigint {
  const [l, rr] = address.split('::');
  const left = l ? l.split(':') : [];
  const right = rr === undefined ? [] : rr ? rr.split(':') : [];
  const groups = rr === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(`0x${String(g)}`), 0n);
}

test('fuzz plans: prepare scripts parse and single-quote every uplink, bridge, gateway and address', () => {
  const all: string[] = [];
  forAll(
    'plan-setup',
    100,
    (r) => ({ uplink: distinctiveIfname(r), bridge: distinctiveIfname(r), gateway: r.chance(0.5) ? `fe80::${r.int(1, 0xffff).toString(16)}` : canonicalOf(randomGlobal(r)), fresh: r.chance(0.7) }),
    ({ uplink, bridge, gateway, fresh }, r) => {
      if (uplink === bridge) return;
      const json = JSON.parse(fresh ? FRESH : PREPARED);
      // rename the uplink and the bridge everywhere the host mentions them
      const rename = (n: unknown) => (n === 'ens3' ? uplink : n === 'docker0' ? bridge : n);
      for (const l of json.links) [l.ifname, l.master] = [rename(l.ifname), rename(l.master)];
      for (const a of json.addrs) a.ifname = rename(a.ifname);
      for (const rt of json.routes) rt.dev = rename(rt.dev);
      const s = parseSnapshot(JSON.stringify(json));
      s.recorded = undefined;
      s.files.previous = false;
      const addresses = randomSet(r);
      // the set is on the uplink's prefix (prepare refuses a set that is not)
      s.routes.push({ dst: `${addresses[0]}/64`, dev: uplink, protocol: 'kernel' });
      const c = resolveHostConfig(s, { interface: uplink, bridge, gateway, addresses: { addresses, prefix: `${addresses[0]}/124`, source: 'prefix' } });
      const plan = planHostSetup(s, c, { agent: '#!/bin/bash\necho agent\n', agentSha256: 'f'.repeat(64) });
      assert.ok(plan.steps.length > 0);
      for (const st of plan.steps) {
        assert.match(st.id, /^[a-z0-9:.-]+$/);
        for (const [what, v] of [['uplink', uplink], ['bridge', bridge], ['gateway', gateway], ...addresses.map((a) => ['address', a])]) assertQuoted(st.script, v, what);
        all.push(st.script);
      }
    },
  );
  assertParses(all);
});

// ---- 3. the snapshot parser

const isStr = (v: unknown) => typeof v === 'string';
const isNum = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
const isBool = (v: unknown) => typeof v === 'boolean';
const opt = (p: (v: unknown) => boolean) => (v: unknown) => v === undefined || p(v);
const arrOf = (p: (v: unknown) => boolean) => (v: unknown) => Array.isArray(v) && v.every(p);
function shape(spec: Record<string, (v: unknown) => boolean>) {
  return (v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
    const o = v as Record<string, unknown>;
    for (const [k, p] of Object.entries(spec)) if (!p(o[k])) throw new assert.AssertionError({ message: `field ${k} is ${JSON.stringify(o[k])?.slice(0, 80)}` });
    return true;
  };
}
const route = shape({ dst: isStr, dev: opt(isStr), gateway: opt(isStr), protocol: opt(isStr), metric: opt(isNum) });
const result = shape({ address: isStr, ok: isBool, output: isStr });
const snapshotShape = shape({
  hostname: isStr,
  uid: isNum,
  sudoUser: isStr,
  osId: isStr,
  systemd: isBool,
  tools: (v) => shape(Object.fromEntries(['ip', 'nsenter', 'docker', 'radvd', 'apt', 'ping', 'systemctl'].map((k) => [k, isBool])))(v) && Object.keys(v as object).length === 7,
  links: arrOf(shape({ name: isStr, index: isNum, master: opt(isStr), up: isBool, linkIndex: opt(isNum) })),
  addresses: arrOf(shape({ dev: isStr, address: isStr, prefixLength: isNum, scope: isStr, tentative: isBool })),
  routes: arrOf(route),
  proxies: arrOf(shape({ address: isStr, dev: isStr })),
  sysctl: (v) => shape({})(v) && Object.getPrototypeOf(v) === Object.prototype && Object.values(v as object).every(isNum),
  radvd: shape({ running: isBool, pids: arrOf(isNum), conf: opt(isStr), interfaces: arrOf(shape({ name: isStr, advertises: isBool, managed: isBool })), enabled: isStr }),
  docker: shape({
    ok: isBool,
    version: isStr,
    error: isStr,
    containers: arrOf(
      shape({
        id: isStr,
        name: isStr,
        state: isStr,
        running: isBool,
        pid: isNum,
        restartPolicy: isStr,
        networks: arrOf(isStr),
        bridgeInterface: opt(isStr),
        bridgeOf: opt(isStr),
        ipv6Disabled: opt(isBool),
        globalAddresses: arrOf(isStr),
        defaultRoutes: arrOf(route),
      }),
    ),
  }),
  agent: shape({ sha256: opt(isStr), unit: opt(isStr), unitWanted: isBool, unitActive: isStr, watchPid: opt(isNum) }),
  files: shape({ hostConf: opt(isStr), bindings: opt(isStr), previous: isBool, sysctlConf: opt(isStr), networkdDropIn: opt(isStr), rolledBack: opt(isStr), rollbackArmed: opt(isBool), previousJson: opt(isStr), radvdBackup: opt(isBool) }),
  recorded: opt(shape({ uplink: opt(isStr), bridge: opt(isStr), gateway: opt(isStr), addresses: arrOf(isStr), route: opt(isStr), allow: arrOf(isStr), firewall: arrOf(isStr) })),
  bindings: arrOf(shape({ address: isStr, container: isStr, id: opt(isStr) })),
  pings: arrOf(result),
  probes: arrOf(result),
  netfilter: shape({ ip6tablesSave: opt(isStr), nftJson: opt(isStr), ufwEnabled: isBool }),
  networkd: arrOf(shape({ dev: isStr, networkFile: isStr })),
});

/** Fields added since: whatever they are, no null, no NaN or Infinity, only plain objects and arrays. */
function wellTyped(v: unknown, at: string): void {
  if (v === null) assert.fail(`${at} is null`);
  if (typeof v === 'number') assert.ok(Number.isFinite(v), `${at} is ${v}`);
  if (typeof v !== 'object' || v === undefined) return;
  const proto = Object.getPrototypeOf(v);
  assert.ok(proto === Object.prototype || proto === Array.prototype, `${at} is a ${proto?.constructor?.name ?? 'null-prototype object'}`);
  for (const [k, x] of Object.entries(v)) wellTyped(x, `${at}.${k}`);
}

let slowest = 0;
/** parseSnapshot's contract: a well-typed HostSnapshot or a SnapshotError, quickly, leaving Object.prototype alone. */
function checkParse(text: string): HostSnapshot | SnapshotError {
  const t0 = performance.now();
  const out = onlyThrows([SnapshotError], () => parseSnapshot(text));
  const ms = performance.now() - t0;
  slowest = Math.max(slowest, ms);
  assert.ok(ms < 1500, `parseSnapshot took ${ms.toFixed(0)} ms`);
  if (out instanceof SnapshotError) {
    assert.match(out.message, /^the host/);
    assert.doesNotMatch(out.message, /[\x00-\x08\x0b-\x1f\x7f]/, 'host bytes shown raw (terminal escapes) in the message');
  } else {
    assert.ok(snapshotShape(out), 'not an object');
    wellTyped(out, 'snapshot');
  }
  assert.equal(({} as any).polluted, undefined, 'Object.prototype polluted');
  return out as HostSnapshot | SnapshotError;
}

const b64 = (t: string) => Buffer.from(t).toString('base64');
const DEEP = '@@deep@@';
function hostileValue(r: Rng, depth = 0): unknown {
  const text = () => r.string([...BYTES, ...UNICODE], 0, 30);
  switch (r.int(0, 17)) {
    case 0: return null;
    case 1: return r.pick([true, false]);
    case 2: return r.pick([0, -1, 1, 3.5, -0, 1e308, -1e308, 2 ** 53, 4294967296]);
    case 3: return text();
    case 4: return r.pick(['', 'UP', 'default', 'inet6', 'global', '::1', 'fe80::1', '2001:db8::1/64', '2001:db8::/999']);
    case 5: return depth === 0 && r.chance(0.15) ? 'A'.repeat(1 << 20) : r.string('abcdef', 100, 2000);
    case 6: return r.pick(['!!!not base64!!!', '====', 'YQ', '\u0000\u0001', '%%%', 'aGVsbG8=\n', '8J+YgA==']);
    case 7: return b64(r.pick(['interface docker0 {', `# BEGIN conoha-ipv6\ninterface x {\n  AdvSendAdvert on;\n};\n`, "UPLINK='\nADDRESSES=\"::1 zz $(x)\"", 'a b c d\n::1 c1\nzz\n\n 2001:db8::1 x 0123456789ab', text(), '\u0000\u001b[31m']));
    case 8: return [];
    case 9: return depth > 2 ? [null] : Array.from({ length: r.int(1, 4) }, () => hostileValue(r, depth + 1));
    case 10: return {};
    case 11: return JSON.parse('{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}}}');
    case 12: return DEEP;
    case 13: return { ifname: r.pick(["a'b", 'x\ny', '$(reboot)', '"', '\u001b]0;owned\u0007', text()]), ifindex: r.int(1, 9), link_index: r.int(1, 9), master: r.pick(['docker0', text()]), flags: r.pick([['UP'], 'UP', null]) };
    case 14: return { dst: r.pick(['default', '::1', text(), 5, null]), dev: r.pick(['ens3', 5, null, {}]), gateway: r.pick(['fe80::1', 5, {}, [], 'x']), metric: r.pick([1, '1', null]) };
    case 15: return { family: 'inet6', local: r.pick(['2001:db8::1', 5, null, {}, text()]), prefixlen: r.pick([64, '64', null]), scope: r.pick(['global', 5]) };
    case 16: return { id: r.pick(['abc', 5, {}]), name: r.pick(['/c1', 5, [], text()]), ns: r.pick([null, 5, { links: [null, 5, { ifname: 5, link_index: 3 }], addrs: 'x', routes: {} }]), networks: r.pick(['bridge', [1], null]), pid: r.pick(['1', {}, 1e400]) };
    default: return depth > 2 ? 1 : Object.fromEntries(Array.from({ length: r.int(1, 3) }, () => [r.pick(['ifname', 'dst', 'dev', 'addr_info', 'local', 'conf', 'pids', '__proto__', 'toString', 'x']), hostileValue(r, depth + 1)]));
  }
}

function paths(v: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (prefix.length < 6 && v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) paths(x, [...prefix, Array.isArray(v) ? Number(k) : k], out);
  return out;
}

function mutate(r: Rng, base: string): string {
  const j = JSON.parse(base);
  const all = paths(j).filter((p) => p.length > 0);
  for (let n = r.int(1, 4); n > 0; n--) {
    const p = r.pick(all);
    let parent: any = j;
    for (const k of p.slice(0, -1)) parent = parent?.[k];
    if (parent === null || typeof parent !== 'object') continue;
    const key = p[p.length - 1];
    if (r.chance(0.1) && !Array.isArray(parent)) Reflect.deleteProperty(parent, key);
    else Object.defineProperty(parent, r.chance(0.05) ? '__proto__' : key, { value: hostileValue(r), enumerable: true, writable: true, configurable: true });
  }
  let text = JSON.stringify(j);
  if (text.includes(`"${DEEP}"`)) {
    const depth = r.pick([100, 10000, 100000]);
    const open = r.chance(0.5) ? '[' : '{"a":';
    text = text.replace(`"${DEEP}"`, open.repeat(depth) + '1' + (open === '[' ? ']' : '}').repeat(depth));
  }
  if (r.chance(0.1)) text = r.string([...BYTES, '\n'], 0, 50) + '\n' + text + '\n' + r.string(BYTES, 0, 50);
  return text;
}

test('fuzz snapshot: type-confused fields of the real snapshots give a well-typed snapshot or a SnapshotError', () => {
  let parsed = 0;
  forAll('snapshot-mutate', 300, (r) => mutate(r, r.chance(0.5) ? FRESH : PREPARED), (text) => {
    const s = checkParse(text);
    if (s instanceof Error) return;
    parsed++;
    // and what the core decides from it: a refusal at worst
    const c = onlyThrows([InputError, RefusedError], () => resolveHostConfig(s));
    if (!(c instanceof Error)) onlyThrows([InputError, RefusedError], () => judgeHost(s, c, installed()));
  });
  assert.ok(parsed > 100, `only ${parsed} mutated snapshots parsed`);
  assert.ok(slowest < 1500);
});

test('fuzz snapshot: every sampled prefix of the real lines is a SnapshotError', () => {
  for (const line of [FRESH.trimEnd(), PREPARED.trimEnd()]) {
    const cuts = new Set<number>();
    for (let i = 0; i < 200; i++) cuts.add(i);
    forAll('snapshot-prefix', 1500, (r) => r.int(0, line.length - 1), (n) => void cuts.add(n));
    for (const n of cuts) {
      const out = checkParse(line.slice(0, n));
      assert.ok(out instanceof SnapshotError, `prefix of ${n} chars parsed`);
    }
    assert.ok(!(checkParse(line) instanceof Error));
  }
});

function randomJson(r: Rng, depth: number): unknown {
  if (depth > 4 || r.chance(0.3)) return hostileValue(r, 3);
  if (r.chance(0.5)) return Array.from({ length: r.int(0, 5) }, () => randomJson(r, depth + 1));
  const keys = ['v', 'hostname', 'uid', 'links', 'addrs', 'routes', 'proxies', 'sysctl', 'radvd', 'docker', 'agent', 'files', 'netfilter', 'networkd', 'pings', 'probes', 'tools', 'containers', 'ns', 'conf', 'pids', 'ifname', 'addr_info'];
  const o: Record<string, unknown> = {};
  for (let n = r.int(0, 8); n > 0; n--) Object.defineProperty(o, r.pick(keys), { value: randomJson(r, depth + 1), enumerable: true, writable: true, configurable: true });
  return o;
}

test('fuzz snapshot: random JSON and garbage give a well-typed snapshot or a SnapshotError', () => {
  forAll('snapshot-random', 800, (r) => {
    if (r.chance(0.3)) return r.string([...BYTES, ...UNICODE, '{"v":', '{', '}', '"', '\n'], 0, 300);
    const body = JSON.stringify(randomJson(r, 0)) ?? 'null';
    const v = r.pick(['2', '2', '2', '1', '"2"', 'null', '{}']);
    const obj = body.startsWith('{') && body !== '{}' ? `{"v":${v},${body.slice(1)}` : `{"v":${v}}`;
    return (r.chance(0.2) ? 'motd\n' : '') + obj.replace(`"${DEEP}"`, '[[[[1]]]]');
  }, (text) => void checkParse(text));
  // the ones found by hand before the fuzzer: each crashed with a TypeError
  for (const text of [
    '{"v":2,"links":[null]}',
    '{"v":2,"addrs":[{"addr_info":[null]}]}',
    '{"v":2,"addrs":[{"ifname":"x","addr_info":[{"family":"inet6","local":5}]}]}',
    '{"v":2,"routes":[null]}',
    '{"v":2,"proxies":[null]}',
    '{"v":2,"pings":[null]}',
    '{"v":2,"docker":{"containers":[null]}}',
    '{"v":2,"docker":{"containers":[{"ns":{"links":[null]}}]}}',
    '{"v":2,"docker":{"containers":[{"id":' + '['.repeat(50000) + ']'.repeat(50000) + '}]}}',
    '{"v":' + '{"a":'.repeat(50000) + '1' + '}'.repeat(50000) + '}',
  ]) checkParse(text);
  // type confusion in the script's own fields is refused by the schema, naming the field (it used to come through
  // as a default value)
  const real = JSON.parse(FRESH);
  for (const [field, value, named] of [
    ['tools', 'abc', /snapshot\.tools is string "abc", not an object/],
    ['sysctl', { 'all.forwarding': '1' }, /snapshot\.sysctl\.all\.forwarding is string "1", not an integer/],
    ['sysctl', JSON.parse('{"__proto__":{"x":1}}'), /snapshot\.sysctl key is string "__proto__"/],
    ['networkd', 'ab', /snapshot\.networkd is string "ab", not an object/],
    ['uid', '0', /snapshot\.uid is string "0", not an integer/],
    ['agent', { ...real.agent, sha256: 5 }, /snapshot\.agent\.sha256 is number 5, not a string/],
    ['radvd', { ...real.radvd, pids: [1, 'x'] }, /snapshot\.radvd\.pids\[1\] is string "x", not an integer/],
  ] as [string, unknown, RegExp][]) {
    const text = JSON.stringify({ ...real, [field]: value });
    assert.throws(() => parseSnapshot(text), (e: Error) => e instanceof SnapshotError && named.test(e.message), field);
  }
  // what other tools print is read item by item: a link without an index is skipped, not an error
  assert.deepEqual(parseSnapshot(JSON.stringify({ ...real, links: [{ ifname: 'a' }, ...real.links] })).links.length, real.links.length);
  assert.throws(() => parseSnapshot('{"v":3}'), /format version 3/);
  assert.throws(() => parseSnapshot('\u001b]0;owned\u0007'), (e: Error) => e instanceof SnapshotError && e.message.includes('\\x1b]0;owned\\x07'));
});

// ---- 4. radvd.conf

interface RadvdCase {
  /** the user's text, without our block */
  user: string;
  /** the user's stanzas, as a correct parser sees them */
  stanzas: { name: string; advertises: boolean; text: string }[];
  /** the whole file: user's text with our block somewhere (END maybe lost) */
  text: string;
  ours?: string;
  lostEnd: boolean;
  /** our block was edited after its END got lost: nobody can tell where it stops */
  broken: boolean;
}

function radvdCase(r: Rng): RadvdCase {
  const ws = () => r.pick([' ', '\n', '\t', '\n\n  ', '  ']);
  const comment = () => `# ${r.string('abc {};#AdvSendAdvert on interface x', 0, 30)}\n`;
  const names = new Set<string>();
  const stanzas: RadvdCase['stanzas'] = [];
  const parts: string[] = [];
  for (let n = r.int(0, 5); n > 0; n--) {
    if (r.chance(0.3)) parts.push(comment());
    if (r.chance(0.2)) parts.push('\n');
    let name: string;
    do name = r.chance(0.3) ? r.pick(['docker0', 'br0', 'eth1', 'dmz0']) : r.string('abcxyz019_.-', 1, 15);
    while (names.has(name));
    names.add(name);
    const adv = r.pick(['on', 'off', undefined]);
    const opts: string[] = [];
    if (adv) opts.push(`AdvSendAdvert${ws()}${adv};`);
    for (let k = r.int(0, 3); k > 0; k--) {
      opts.push(
        r.pick([
          'MinRtrAdvInterval 3;',
          `prefix 2001:db8:${r.int(0, 99)}::/64${ws()}{${ws()}AdvOnLink on;${ws()}AdvSendAdvert on;${ws()}};`,
          `route ::/0 {${ws()}AdvRoutePreference high;${ws()}};`,
          `clients {${ws()}fe80::1;${ws()}fe80::2;${ws()}};`,
          `prefix ::/64 { Base6Interface x { AdvSendAdvert on; }; };`,
          comment(),
        ]),
      );
    }
    r.shuffle(opts);
    const text = `interface${ws()}${name}${r.pick([' ', '\n', ''])}{${ws()}${opts.join(ws())}${ws()}};\n`;
    stanzas.push({ name, advertises: adv === 'on', text });
    parts.push(text);
  }
  if (r.chance(0.2) && parts.length) parts[parts.length - 1] = parts[parts.length - 1].replace(/\n$/, ''); // no final newline
  const user = parts.join('');
  const lostEnd = r.chance(0.3);
  const broken = lostEnd && r.chance(0.3);
  let ours: string | undefined;
  let text = user;
  if (r.chance(0.6)) {
    ours = r.pick(['docker0', 'br-x', ...names]);
    let block = managedStanza(ours);
    if (lostEnd) block = block.replace(`${MANAGED_END}\n`, '');
    if (broken) block = block.replace('AdvSendAdvert on;', 'AdvSendAdvert on;\n  MaxRtrAdvInterval 30;');
    // between two of the user's parts (never inside a stanza)
    const at = r.int(0, parts.length);
    const before = parts.slice(0, at).join('');
    // a newline in front of our block, when the text before it did not end in one, was added with it and stays
    const sep = before === '' || before.endsWith('\n') ? '' : '\n';
    text = before + sep + block + parts.slice(at).join('');
    return { user: before + sep + parts.slice(at).join(''), stanzas, text, ours, lostEnd, broken };
  }
  return { user, stanzas, text, lostEnd: false, broken: false };
}

test('fuzz radvd.conf: other stanzas kept byte for byte, the result parses, applying twice equals applying once', () => {
  forAll('radvd', 2500, radvdCase, (k, r) => {
    // the parser, against the generator's own account of the user's stanzas
    assert.deepEqual(parseRadvdConf(k.user), k.stanzas.map((s) => ({ name: s.name, advertises: s.advertises, managed: false })));
    const bridge = r.pick(['docker0', 'br-new', ...k.stanzas.map((s) => s.name)]);
    const d = desiredRadvdConf(k.text, bridge);
    const own = k.stanzas.find((s) => s.name === bridge);
    if (k.broken && d.conflict) {
      assert.equal(d.text, k.text, 'a conflict changes nothing');
      return;
    }
    assert.ok(!k.broken || !k.lostEnd, 'an edited block without its END must be a conflict');
    if (own && !own.advertises) {
      assert.match(d.conflict ?? '', /without "AdvSendAdvert on"/);
      assert.equal(d.text, k.text);
      return;
    }
    assert.equal(d.conflict, undefined);
    const sep = k.user === '' || k.user.endsWith('\n') ? '' : '\n';
    assert.equal(d.text, own ? k.user : k.user + sep + managedStanza(bridge));
    for (const s of k.stanzas) assert.ok(d.text.includes(s.text.replace(/\n$/, '')), `stanza ${s.name} lost`);
    assert.deepEqual(
      parseRadvdConf(d.text),
      [...k.stanzas.map((s) => ({ name: s.name, advertises: s.advertises, managed: false })), ...(own ? [] : [{ name: bridge, advertises: true, managed: true }])],
    );
    assert.deepEqual(desiredRadvdConf(d.text, bridge), { text: d.text }, 'idempotent');
  });
});

test('fuzz radvd.conf: prepares with changing bridges, while the user adds stanzas, never delete a user stanza', () => {
  forAll('radvd-sequence', 600, radvdCase, (k, r) => {
    let text = k.text;
    const kept = k.stanzas.map((s) => s.text.replace(/\n$/, ''));
    for (let step = 0; step < 4; step++) {
      const d = desiredRadvdConf(text, r.pick(['docker0', 'br-a', 'br-b']));
      if (d.conflict) {
        assert.equal(d.text, text);
        break;
      }
      text = d.text;
      if (r.chance(0.5)) {
        const extra = `interface u${step}${r.int(0, 999)} {\n  AdvSendAdvert ${r.pick(['on', 'off'])};\n};\n`;
        text += extra;
        kept.push(extra);
      }
      if (r.chance(0.3)) text = text.replace(`${MANAGED_END}\n`, ''); // the END line lost again
      let at = 0;
      for (const s of kept) {
        const i = text.indexOf(s, at);
        assert.ok(i >= 0, `user stanza deleted at step ${step}:\n${s}\n--- file:\n${text}`);
        at = i + s.length;
      }
    }
  });
});

test('radvd.conf: a managed block whose END is lost does not make later prepares delete the user stanzas', () => {
  const user = 'interface eth1 {\n  AdvSendAdvert on;\n};\n';
  // what an older conoha-ipv6 did: the orphaned BEGIN paired with the END of the next block, and all between went
  let text = managedStanza('docker0').replace(`${MANAGED_END}\n`, '') + user;
  text = desiredRadvdConf(text, 'br-a').text;
  text = desiredRadvdConf(text + 'interface eth2 {\n  AdvSendAdvert off;\n};\n', 'br-b').text;
  assert.ok(text.includes(user) && text.includes('interface eth2'), text);
  assert.equal(text.split('# BEGIN conoha-ipv6').length, 2);
  // our own stanza, unedited, is recovered; an edited one is a conflict that names the lost END
  assert.equal(desiredRadvdConf(managedStanza('docker0').replace(`${MANAGED_END}\n`, '') + user, 'docker0').text, user + managedStanza('docker0'));
  const edited = managedStanza('docker0').replace(`${MANAGED_END}\n`, '').replace('on;', 'on;\n  MaxRtrAdvInterval 9;') + user;
  const d = desiredRadvdConf(edited, 'docker0');
  assert.equal(d.text, edited);
  assert.match(d.conflict ?? '', /without its "# END conoha-ipv6" line/);
  // a BEGIN that pairs with somebody else's END around the user's stanzas is a conflict too
  const around = `${managedStanza('docker0').replace(`${MANAGED_END}\n`, '')}${user}${MANAGED_END}\n`;
  assert.match(desiredRadvdConf(around, 'docker0').conflict ?? '', /2 interface stanzas/);
});

// ---- 5. host specs

test('fuzz host specs: any string is a HostSpec or an InputError; formatted specs round-trip', () => {
  const alphabet = [...'abcxyzABC019-._@@::[[]]%/ ', ...BYTES.filter((_, i) => i % 5 === 0), ...UNICODE];
  forAll('hostspec-any', 4000, (r) => (r.chance(0.5) ? r.string(alphabet, 0, 40) : `${r.string('ab_.-1', 0, 6)}@[${ipv6Text(r, randomHextets(r))}]${r.pick(['', ':22', ':0', ':65536', ':x', ']'])}`), (text) => {
    const h = onlyThrows([InputError], () => parseHostSpec(text));
    if (!(h instanceof Error)) {
      assert.ok(Number.isInteger(h.port) && h.port >= 1 && h.port <= 65535);
      assert.deepEqual(parseHostSpec(formatHostSpec(h)), h);
    }
  });
  forAll(
    'hostspec-roundtrip',
    3000,
    (r): HostSpec => {
      const label = () => r.pick('abcxyz019') + (r.chance(0.5) ? r.string('abc019-', 0, 10) + r.pick('abz09') : '');
      const host = r.pick([
        () => Array.from({ length: r.int(1, 4) }, label).join('.'),
        () => Array.from({ length: 4 }, () => r.int(0, 255)).join('.'),
        () => ipv6Text(r, randomHextets(r)),
      ])();
      return { user: r.pick('abcdefghijklmnopqrstuvwxyzABC_') + r.string('abcXYZ019_.-', 0, 31), host, port: r.chance(0.3) ? 22 : r.int(1, 65535) };
    },
    (h) => assert.deepEqual(parseHostSpec(formatHostSpec(h)), h, formatHostSpec(h)),
  );
});
