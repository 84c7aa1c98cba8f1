// known_hosts checking against the real OpenSSH tools: keys from ssh-keygen, hashed entries from `ssh-keygen -H`,
// fingerprints cross-checked with `ssh-keygen -lf`, and host pattern matching cross-checked with `ssh-keygen -F`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  HostKeyCheck,
  appendKnownHost,
  checkHostKey,
  fingerprintSha256,
  formatKnownHostsLine,
  hostMatches,
  keyTypeOfBlob,
  knownKeyTypes,
  hostKeyName,
  isHashedOnly,
  parseKnownHosts,
} from '../../src/host/knownHosts';
import { sshHostKeySettings } from '../../src/host/sshConfigHostKeys';

interface PublicKey {
  type: string;
  base64: string;
  blob: Buffer;
  pubFile: string;
}

let dir: string;
let ed1: PublicKey;
let ed2: PublicKey;
let ecdsa: PublicKey;
let rsa: PublicKey;

function keygen(name: string, args: string[]): PublicKey {
  const file = join(dir, name);
  execFileSync('ssh-keygen', ['-q', ...args, '-N', '', '-C', `test-${name}`, '-f', file]);
  const [type, base64] = readFileSync(file + '.pub', 'utf8').trim().split(' ');
  return { type, base64, blob: Buffer.from(base64, 'base64'), pubFile: file + '.pub' };
}

const line = (hosts: string, k: PublicKey) => `${hosts} ${k.type} ${k.base64}`;
const check = (text: string, host: string, port: number, blob: Buffer) => checkHostKey(text, hostKeyName(host, port), blob);
/** the parts of a check the older assertions compare */
const brief = (c: HostKeyCheck) => ({ status: c.status, knownTypes: c.knownTypes, ...(c.entry ? { line: c.entry.line } : {}) });

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'knownhosts-test-'));
  ed1 = keygen('ed1', ['-t', 'ed25519']);
  ed2 = keygen('ed2', ['-t', 'ed25519']);
  ecdsa = keygen('ecdsa', ['-t', 'ecdsa', '-b', '256']);
  rsa = keygen('rsa', ['-t', 'rsa', '-b', '2048']);
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

test('fingerprintSha256 prints what ssh-keygen -lf prints', () => {
  for (const k of [ed1, ecdsa, rsa]) {
    const printed = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', k.pubFile], { encoding: 'utf8' });
    const theirs = printed.split(' ')[1];
    assert.match(theirs, /^SHA256:[A-Za-z0-9+/]{43}$/);
    assert.equal(fingerprintSha256(k.blob), theirs);
  }
});

test('keyTypeOfBlob reads the type from the blob itself', () => {
  assert.equal(keyTypeOfBlob(ed1.blob), 'ssh-ed25519');
  assert.equal(keyTypeOfBlob(ecdsa.blob), 'ecdsa-sha2-nistp256');
  assert.equal(keyTypeOfBlob(rsa.blob), 'ssh-rsa');
  assert.equal(keyTypeOfBlob(Buffer.from([0, 0])), undefined);
  assert.equal(keyTypeOfBlob(Buffer.from([0, 0, 0, 200, 65])), undefined);
});

test('plain entries: match, mismatch of the same type, unknown, and the known types', () => {
  const text = [
    '# a comment',
    '',
    line('example.com', ed1),
    '   ',
    line('other.example', ed2),
    line('example.com', rsa),
  ].join('\n');
  assert.deepEqual(brief(check(text, 'example.com', 22, ed1.blob)), {
    status: 'match',
    knownTypes: ['ssh-ed25519', 'ssh-rsa'],
    line: 3,
  });
  // another ed25519 key for the same host: the identification has changed
  assert.deepEqual(brief(check(text, 'example.com', 22, ed2.blob)), {
    status: 'mismatch',
    knownTypes: ['ssh-ed25519', 'ssh-rsa'],
    line: 3,
  });
  // a key type the file does not record for it, while it records others: not changed, and not a first contact either
  assert.equal(check(text, 'example.com', 22, ecdsa.blob).status, 'other-type');
  assert.deepEqual(brief(check(text, 'nowhere.example', 22, ed1.blob)), { status: 'unknown', knownTypes: [] });
  // host names compare case-insensitively, like ssh (which lowercases the name)
  assert.equal(check(text, 'EXAMPLE.com', 22, ed1.blob).status, 'match');
  assert.deepEqual(knownKeyTypes(text, hostKeyName('example.com', 22)), ['ssh-ed25519', 'ssh-rsa']);
});

test('a match anywhere wins over a conflicting entry elsewhere in the file', () => {
  const text = [line('example.com', ed2), line('example.com,alias', ed1)].join('\n');
  assert.equal(check(text, 'example.com', 22, ed1.blob).status, 'match');
});

test('[host]:port entries name only that port, plain names only port 22', () => {
  const text = [line('[example.com]:2222', ed1), line('example.com', ed2), line('[2001:db8::2]:2222', ecdsa)].join('\n');
  assert.equal(check(text, 'example.com', 2222, ed1.blob).status, 'match');
  assert.equal(check(text, 'example.com', 22, ed1.blob).status, 'mismatch');
  assert.equal(check(text, 'example.com', 22, ed2.blob).status, 'match');
  assert.equal(check(text, 'example.com', 2223, ed1.blob).status, 'unknown');
  assert.equal(check(text, '2001:db8::2', 2222, ecdsa.blob).status, 'match');
  assert.equal(check(text, '2001:db8::2', 22, ecdsa.blob).status, 'unknown');
});

test('hashed entries written by ssh-keygen -H', () => {
  const file = join(dir, 'hashed_known_hosts');
  writeFileSync(file, [line('example.com', ed1), line('[10.0.0.1]:2222', ecdsa), line('2001:db8::2', rsa)].join('\n') + '\n');
  execFileSync('ssh-keygen', ['-q', '-H', '-f', file], { stdio: 'ignore' });
  const text = readFileSync(file, 'utf8');
  const hashed = text.trim().split('\n');
  assert.equal(hashed.length, 3);
  for (const l of hashed) assert.match(l, /^\|1\|[A-Za-z0-9+/=]+\|[A-Za-z0-9+/=]+ /);
  assert.ok(!text.includes('example.com') && !text.includes('10.0.0.1'));

  assert.equal(check(text, 'example.com', 22, ed1.blob).status, 'match');
  assert.equal(check(text, 'example.com', 22, ed2.blob).status, 'mismatch');
  assert.equal(check(text, '10.0.0.1', 2222, ecdsa.blob).status, 'match');
  assert.equal(check(text, '10.0.0.1', 22, ecdsa.blob).status, 'unknown');
  assert.equal(check(text, '2001:db8::2', 22, rsa.blob).status, 'match');
  assert.equal(check(text, 'example.org', 22, ed1.blob).status, 'unknown');
  assert.deepEqual(knownKeyTypes(text, hostKeyName('10.0.0.1', 2222)), ['ecdsa-sha2-nistp256']);
  // a damaged hash never matches
  const damaged = hashed[0].replace(/\|([^|]+) /, '|AAAA$1 ');
  assert.equal(check(damaged, 'example.com', 22, ed1.blob).status, 'unknown');
});

test('wildcards and negation, cross-checked with ssh-keygen -F', () => {
  const cases: Array<[string, string, number, boolean]> = [
    ['*.example.com', 'a.example.com', 22, true],
    ['*.example.com', 'example.com', 22, false],
    ['*.example.com', 'a.b.example.com', 22, true],
    ['host?.lab', 'host1.lab', 22, true],
    ['host?.lab', 'host12.lab', 22, false],
    ['host?.lab', 'host.lab', 22, false],
    ['*', 'anything', 22, true],
    ['*.example.com,!bad.example.com', 'good.example.com', 22, true],
    ['*.example.com,!bad.example.com', 'bad.example.com', 22, false],
    ['!bad.example.com,*.example.com', 'bad.example.com', 22, false],
    ['!bad.example.com', 'good.example.com', 22, false],
    ['a.example.com,b.example.com', 'b.example.com', 22, true],
    ['[*.example.com]:2222', 'x.example.com', 2222, true],
    ['[*.example.com]:2222', 'x.example.com', 22, false],
    ['[x.example.com]:*', 'x.example.com', 2200, true],
    ['*.example.com', 'x.example.com', 2222, false], // the name looked up is "[x.example.com]:2222"
    ['2001:db8::*', '2001:db8::2', 22, true],
    ['[2001:db8::2]:2222', '2001:db8::2', 2222, true],
    ['Example.COM', 'example.com', 22, true],
    ['10.0.0.?', '10.0.0.1', 22, true],
    ['10.0.0.?', '10.0.0.12', 22, false],
  ];
  const file = join(dir, 'patterns');
  for (const [hosts, host, port, expected] of cases) {
    assert.equal(hostMatches(hosts, host, port), expected, `${hosts} vs ${host}:${port}`);
    writeFileSync(file, line(hosts, ed1) + '\n');
    const name = port === 22 ? host : `[${host}]:${port}`;
    const found = spawnSync('ssh-keygen', ['-F', name, '-f', file], { stdio: 'ignore' }).status === 0;
    assert.equal(found, expected, `ssh-keygen -F ${name} with ${hosts}`);
  }
});

test('@revoked refuses the key for any host, even where it would match; revoked entries are not known types', () => {
  const text = [line('example.com', ed1), '@revoked ' + line('unrelated.example', ed1), line('example.com', rsa)].join('\n');
  assert.deepEqual(brief(check(text, 'example.com', 22, ed1.blob)), {
    status: 'revoked',
    knownTypes: ['ssh-ed25519', 'ssh-rsa'],
    line: 2,
  });
  assert.equal(check(text, 'example.com', 22, rsa.blob).status, 'match');
  const onlyRevoked = '@revoked * ' + `${ecdsa.type} ${ecdsa.base64}`;
  assert.deepEqual(brief(check(onlyRevoked, 'example.com', 22, ecdsa.blob)), {
    status: 'revoked',
    knownTypes: [],
    line: 1,
  });
});

test('@cert-authority lines, malformed lines and CRLF endings', () => {
  const text = [
    '@cert-authority * ' + `${ed1.type} ${ed1.base64}`,
    'example.com ssh-ed25519',
    'example.com ssh-ed25519 !!!notbase64!!!',
    '@unknown-marker example.com ' + `${ed2.type} ${ed2.base64}`,
    line('\texample.com', ecdsa) + ' a comment with spaces',
  ].join('\r\n');
  // only the ecdsa line counts for example.com
  assert.equal(check(text, 'example.com', 22, ed1.blob).status, 'other-type');
  assert.equal(check(text, 'example.com', 22, ed2.blob).status, 'other-type');
  assert.equal(check(text, 'example.com', 22, ecdsa.blob).status, 'match');
  const entries = parseKnownHosts(text);
  assert.equal(entries.length, 1);
  assert.equal(entries[0].line, 5);
});

test('formatKnownHostsLine + appendKnownHost: file 600 in a new 700 directory, found by ssh-keygen -F', () => {
  const file = join(dir, 'new', '.ssh', 'known_hosts');
  appendKnownHost(file, formatKnownHostsLine(hostKeyName('2001:DB8::2', 2222), ed1.blob));
  appendKnownHost(file, formatKnownHostsLine(hostKeyName('example.com', 22), rsa.blob));
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(statSync(join(dir, 'new', '.ssh')).mode & 0o777, 0o700);
  const text = readFileSync(file, 'utf8');
  assert.equal(text, `[2001:db8::2]:2222 ${ed1.type} ${ed1.base64}\nexample.com ${rsa.type} ${rsa.base64}\n`);
  const found = execFileSync('ssh-keygen', ['-F', '[2001:db8::2]:2222', '-f', file], { encoding: 'utf8' });
  assert.match(found, /found: line 1/);
  assert.equal(spawnSync('ssh-keygen', ['-F', 'example.com', '-f', file]).status, 0);
  assert.equal(check(text, '2001:db8::2', 2222, ed1.blob).status, 'match');
});

test('appendKnownHost starts a new line when the file does not end with one', () => {
  const file = join(dir, 'no_newline');
  writeFileSync(file, line('example.com', ed1));
  appendKnownHost(file, formatKnownHostsLine(hostKeyName('other.example', 22), ed2.blob));
  const text = readFileSync(file, 'utf8');
  assert.equal(text.split('\n').length, 3);
  assert.equal(check(text, 'example.com', 22, ed1.blob).status, 'match');
  assert.equal(check(text, 'other.example', 22, ed2.blob).status, 'match');
});

test('formatKnownHostsLine hashed: |1|salt|hash with a fresh salt each time, found by ssh-keygen -F, plain name absent', () => {
  const file = join(dir, 'hashed_written');
  const a = formatKnownHostsLine(hostKeyName('2001:DB8::2', 2222), ed1.blob, { hash: true });
  const b = formatKnownHostsLine(hostKeyName('2001:db8::2', 2222), ed1.blob, { hash: true });
  assert.match(a, /^\|1\|[A-Za-z0-9+/]{27}=\|[A-Za-z0-9+/]{27}= ssh-ed25519 [A-Za-z0-9+/=]+$/);
  assert.notEqual(a.split(' ')[0], b.split(' ')[0]);
  appendKnownHost(file, a);
  appendKnownHost(file, formatKnownHostsLine('example.com', rsa.blob, { hash: true }));
  const text = readFileSync(file, 'utf8');
  assert.ok(!text.includes('2001') && !text.includes('example'), text);
  assert.match(execFileSync('ssh-keygen', ['-F', '[2001:db8::2]:2222', '-f', file], { encoding: 'utf8' }), /found: line 1/);
  assert.match(execFileSync('ssh-keygen', ['-F', 'example.com', '-f', file], { encoding: 'utf8' }), /found: line 2/);
  assert.equal(checkHostKey(text, hostKeyName('2001:db8::2', 2222), ed1.blob).status, 'match');
  assert.equal(isHashedOnly(text), true);
  assert.equal(isHashedOnly(text + line('plain.example', ed2) + '\n'), false);
  assert.equal(isHashedOnly('# nothing yet\n'), false);
});

test('several files: revoked anywhere wins, a match anywhere wins over a mismatch elsewhere, the deciding file and line are named', () => {
  const user = { file: '/home/u/.ssh/known_hosts', text: `# mine\n${line('example.com', ed2)}\n` };
  const global = { file: '/etc/ssh/ssh_known_hosts', text: `${line('other.example', ed2)}\n${line('example.com', ed1)}\n` };
  const match = checkHostKey([user, global], 'example.com', ed1.blob);
  assert.deepEqual([match.status, match.entry?.file, match.entry?.line], ['match', global.file, 2]);
  const changed = checkHostKey([user, global], 'example.com', ecdsa.blob);
  assert.equal(changed.status, 'other-type');
  const mismatch = checkHostKey([global, user], 'example.org', ed1.blob);
  assert.equal(mismatch.status, 'unknown');
  const revokedGlobally = { file: '/etc/ssh/ssh_known_hosts', text: `@revoked * ${ed2.type} ${ed2.base64}\n` };
  const revoked = checkHostKey([user, revokedGlobally], 'example.com', ed2.blob);
  assert.deepEqual([revoked.status, revoked.entry?.file, revoked.entry?.line], ['revoked', revokedGlobally.file, 1]);
});

test('a key type not recorded for a host that has other types is "other-type", naming the known entries', () => {
  const text = [line('example.com', ed1), line('example.com', rsa)].join('\n');
  const c = checkHostKey(text, 'example.com', ecdsa.blob);
  assert.equal(c.status, 'other-type');
  assert.deepEqual(c.known.map((e) => [e.keyType, e.line]), [['ssh-ed25519', 1], ['ssh-rsa', 2]]);
  assert.equal(checkHostKey(text, 'nowhere.example', ecdsa.blob).status, 'unknown');
});

test('hostKeyName: [host]:port off port 22, lowercased; a HostKeyAlias replaces name and port, lowercased like ssh does', () => {
  assert.equal(hostKeyName('Example.COM', 22), 'example.com');
  assert.equal(hostKeyName('2001:DB8::2', 2222), '[2001:db8::2]:2222');
  assert.equal(hostKeyName('2001:db8::2', 2222, 'VPS-Tokyo'), 'vps-tokyo');
});

test('sshHostKeySettings: what ssh -G makes of a config (alias lowercased, ~ and %h expanded), or undefined without ssh', async () => {
  const config = join(dir, 'ssh_config');
  writeFileSync(config, [
    'Host vps',
    '  HostName 127.0.0.1',
    '  HostKeyAlias VPS-Tokyo',
    '  UserKnownHostsFile ~/kh1 /tmp/%h.kh',
    '  GlobalKnownHostsFile none',
    '  HashKnownHosts yes',
    'Host *',
    '  HashKnownHosts no',
    '',
  ].join('\n'));
  const vps = await sshHostKeySettings('vps', 2222, 'root', { configFile: config });
  assert.ok(vps, 'ssh -G failed');
  assert.match(vps.knownHostsFiles![0], /^\/.*\/kh1$/);
  assert.deepEqual({ ...vps, knownHostsFiles: vps.knownHostsFiles!.slice(1) }, {
    knownHostsFiles: ['/tmp/127.0.0.1.kh'],
    globalKnownHostsFiles: [],
    hostKeyAlias: 'vps-tokyo',
    hashKnownHosts: true,
  });
  const other = await sshHostKeySettings('2001:db8::2', 22, 'root', { configFile: config });
  assert.deepEqual({ ...other, knownHostsFiles: other?.knownHostsFiles?.map((f) => f.replace(/^.*\//, '')) }, {
    knownHostsFiles: ['known_hosts', 'known_hosts2'],
    globalKnownHostsFiles: ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'],
    hashKnownHosts: false,
  });
  assert.equal(await sshHostKeySettings('vps', 22, 'root', { ssh: join(dir, 'no-ssh-here') }), undefined);
  assert.equal(await sshHostKeySettings('-oProxyCommand=x', 22, 'root'), undefined);
});
