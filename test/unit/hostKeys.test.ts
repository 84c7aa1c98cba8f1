// The host-key decision (verifyHostKey) and private key reading (readKey), on keys made by ssh-keygen and
// known_hosts text as OpenSSH writes it; fingerprints are cross-checked with ssh-keygen -lf.
import { KeyFiles as Key, keygen as makeKey } from './sshKeygen';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostKeyDecision, HostKeyFacts, verifyHostKey } from '../../src/host/knownHostsPolicy';
import { hostKeyName } from '../../src/host/knownHosts';
import { readKey } from '../../src/host/sshKeys';
import { TransportError, TransportErrorKind } from '../../src/host/transport';


let dir: string;
let ed1: Key;
let ed2: Key;
let rsa: Key;
let enc: Key;
const PASSPHRASE = 'correct horse battery staple';

const keygen = (name: string, args: string[], passphrase = ''): Key => makeKey(dir, name, args, passphrase);

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'hostkeys-test-'));
  ed1 = keygen('ed1', ['-t', 'ed25519']);
  ed2 = keygen('ed2', ['-t', 'ed25519']);
  rsa = keygen('rsa', ['-t', 'rsa', '-b', '2048']);
  enc = keygen('enc', ['-t', 'ed25519'], PASSPHRASE);
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

// ---------- verifyHostKey ----------

const USER_FILE = '/home/me/.ssh/known_hosts';
const GLOBAL_FILE = '/etc/ssh/ssh_known_hosts';
const spec = { user: 'root', host: '2001:db8::2', port: 22 };

/** the facts for 2001:db8::2 port 22 with these known_hosts lines (user file) and global lines */
function facts(userLines: string[], more: Partial<HostKeyFacts> = {}, globalLines: string[] = []): HostKeyFacts {
  return {
    spec,
    name: hostKeyName(spec.host, spec.port, more.hostKeyAlias),
    sources: [
      { file: USER_FILE, text: userLines.map((l) => `${l}\n`).join('') },
      { file: GLOBAL_FILE, text: globalLines.map((l) => `${l}\n`).join('') },
    ],
    canAsk: false,
    ...more,
  };
}
const entry = (hosts: string, k: Key) => `${hosts} ${k.type} ${k.base64}`;

function refused(d: HostKeyDecision, kind: TransportErrorKind): TransportError {
  assert.equal(d.action, 'refuse', JSON.stringify(d));
  const reason = d.reason;
  assert.ok(reason instanceof TransportError);
  assert.equal(reason.kind, kind, reason.message);
  return reason;
}

test('verifyHostKey: a known key is accepted, not recorded again, and the log names the file and line', () => {
  const d = verifyHostKey(facts(['other.example ssh-ed25519 AAAA', entry('2001:db8::2', ed1)]), ed1.blob);
  assert.equal(d.action, 'accept');
  assert.ok(!d.record);
  assert.equal(d.note, `ssh: host key ssh-ed25519 ${ed1.fingerprint} matches ${USER_FILE} line 2`);
  // a key known only in the global file
  const g = verifyHostKey(facts([], {}, [entry('2001:db8::2', rsa)]), rsa.blob);
  assert.ok(g.action === 'accept' && !g.record && g.note?.includes(`${GLOBAL_FILE} line 1`), JSON.stringify(g));
});

test('verifyHostKey: an unknown key with accept-new is accepted and recorded; without it, asked about or refused', () => {
  const d = verifyHostKey(facts([entry('other.example', ed2)], { acceptNew: true }), ed1.blob);
  assert.ok(d.action === 'accept' && d.record, JSON.stringify(d));
  assert.match(d.note ?? '', /is new; accepting its ssh-ed25519 key .*accept-new/);

  const asked = verifyHostKey(facts([], { canAsk: true }), ed1.blob);
  assert.equal(asked.action, 'ask');
  assert.deepEqual(asked.info, { fingerprint: ed1.fingerprint, keyType: 'ssh-ed25519', hostName: '2001:db8::2', knownKeys: [] });
  const no = asked.refusal();
  assert.equal(no.kind, 'host-key-unknown');
  assert.match(no.message, /can't be established/);
  assert.ok(no.message.includes(`>> ${USER_FILE}`), no.message); // where to add it: the first user file
  assert.equal(asked.refusal('the prompt was closed').message.split('\n').at(-2), '(the prompt was closed)');

  const r = refused(verifyHostKey(facts([]), ed1.blob), 'host-key-unknown');
  assert.ok(r.message.includes(ed1.fingerprint) && !r.message.includes('--accept-new') && r.actions.some((x) => x.id === 'trust-host-key') && r.message.includes('ssh-keyscan -t ed25519 -p 22 2001:db8::2'), r.message);
  assert.ok(r.message.includes(`${USER_FILE}, ${GLOBAL_FILE}`), r.message);
});

test('verifyHostKey: a changed key is refused whatever the options say, naming the line and how to remove it', () => {
  for (const more of [{}, { acceptNew: true }, { canAsk: true, acceptNew: true }]) {
    const r = refused(verifyHostKey(facts([entry('2001:db8::2', ed1)], more), ed2.blob), 'host-key-changed');
    assert.match(r.message, /^WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED for 2001:db8::2!/);
    assert.ok(r.message.includes(ed2.fingerprint) && r.message.includes(`${USER_FILE} line 1`), r.message);
    assert.ok(r.message.includes(`ssh-keygen -R '2001:db8::2' -f ${USER_FILE}`), r.message);
  }
});

test('verifyHostKey: a revoked key is refused even where it also matches, and with accept-new', () => {
  const lines = [entry('2001:db8::2', ed1), `@revoked * ${ed1.type} ${ed1.base64}`];
  const r = refused(verifyHostKey(facts(lines, { acceptNew: true, canAsk: true }), ed1.blob), 'host-key-revoked');
  assert.ok(r.message.includes(`${USER_FILE} line 2 marks @revoked`), r.message);
  // revoked in the global file counts too
  refused(verifyHostKey(facts([entry('2001:db8::2', ed1)], {}, [`@revoked * ${ed1.type} ${ed1.base64}`]), ed1.blob), 'host-key-revoked');
});

test('verifyHostKey: a host known by another key type is no first contact: accept-new does not record it, asking shows the known key', () => {
  const lines = [entry('2001:db8::2', ed1)];
  const r = refused(verifyHostKey(facts(lines, { acceptNew: true }), rsa.blob), 'host-key-other-type');
  assert.ok(r.message.includes(`ssh-ed25519 key ${ed1.fingerprint} in ${USER_FILE} line 1`), r.message);
  const asked = verifyHostKey(facts(lines, { acceptNew: true, canAsk: true }), rsa.blob);
  assert.ok(asked.action === 'ask', JSON.stringify(asked));
  assert.deepEqual(asked.info.knownKeys, [{ keyType: 'ssh-ed25519', fingerprint: ed1.fingerprint, file: USER_FILE, line: 1 }]);
  assert.equal(asked.refusal().kind, 'host-key-other-type');
});

test('verifyHostKey: at a rekey only the key accepted at connect goes, whatever the files say', () => {
  const same = verifyHostKey(facts([], { accepted: ed1.blob }), ed1.blob);
  assert.deepEqual(same, { action: 'accept', record: false });
  const r = refused(verifyHostKey(facts([entry('2001:db8::2', ed2)], { accepted: ed1.blob, acceptNew: true, canAsk: true }), ed2.blob), 'host-key-changed');
  assert.match(r.message, /another host key at a rekey/);
  assert.ok(r.message.includes(ed2.fingerprint) && r.message.includes(ed1.fingerprint), r.message);
});

test('verifyHostKey: with a HostKeyAlias the key is looked up under the alias, not the address', () => {
  const lines = [entry('vps-osaka', ed1)];
  const d = verifyHostKey(facts(lines, { hostKeyAlias: 'vps-osaka' }), ed1.blob);
  assert.ok(d.action === 'accept' && !d.record, JSON.stringify(d));
  refused(verifyHostKey(facts(lines), ed1.blob), 'host-key-unknown'); // the address itself is not known
  const r = refused(verifyHostKey(facts([], { hostKeyAlias: 'vps-osaka' }), ed1.blob), 'host-key-unknown');
  assert.ok(r.message.includes(`| sed 's/^[^ ]*/vps-osaka/'`), r.message);
});

// ---------- readKey ----------

async function readKeyFails(p: Promise<unknown>, kind: TransportErrorKind): Promise<TransportError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof TransportError, String(e));
    assert.equal(e.kind, kind, e.message);
    return e;
  }
  assert.fail(`expected a ${kind} TransportError`);
}

test('readKey: an unencrypted key is the private key of its .pub, no passphrase asked', async () => {
  let asked = 0;
  const { key, passphrase } = await readKey(ed1.file, { ask: () => Promise.resolve((asked++, 'x')) });
  assert.equal(key.type, 'ssh-ed25519');
  assert.ok(key.isPrivateKey());
  assert.ok(key.getPublicSSH().equals(ed1.blob));
  assert.equal(passphrase, undefined);
  assert.equal(asked, 0);
  const r = await readKey(rsa.file);
  assert.ok(r.key.getPublicSSH().equals(rsa.blob));
});

test('readKey: an encrypted key opens with its passphrase, known or asked once, and says which one did it', async () => {
  const known = await readKey(enc.file, { known: PASSPHRASE, ask: () => assert.fail('asked although known') });
  assert.ok(known.key.isPrivateKey() && known.key.getPublicSSH().equals(enc.blob));
  assert.equal(known.passphrase, PASSPHRASE);
  let asked = 0;
  const viaAsk = await readKey(enc.file, { ask: () => Promise.resolve((asked++, PASSPHRASE)) });
  assert.ok(viaAsk.key.getPublicSSH().equals(enc.blob));
  assert.equal(viaAsk.passphrase, PASSPHRASE);
  assert.equal(asked, 1);
});

test('readKey: a wrong passphrase is a passphrase error; none at all, or a failed question, is an auth error', async () => {
  const wrong = await readKeyFails(readKey(enc.file, { known: 'wrong' }), 'passphrase');
  assert.equal(wrong.message, `wrong passphrase for the key ${enc.file}: it could not be decrypted (nothing was sent to the host)`);
  await readKeyFails(readKey(enc.file, { ask: () => Promise.resolve('wrong') }), 'passphrase');
  const none = await readKeyFails(readKey(enc.file), 'auth');
  assert.ok(none.message.includes(`the key ${enc.file} is encrypted`) && none.message.includes(`ssh-add ${enc.file}`), none.message);
  const cancelled = await readKeyFails(readKey(enc.file, { ask: () => Promise.reject(new Error('cancelled')) }), 'auth');
  assert.equal(cancelled.message, `no passphrase for the encrypted key ${enc.file} (cancelled)`);
  assert.ok(!wrong.message.includes(PASSPHRASE));
});

test('readKey: a missing file, a public key and a file that is no key are clear errors naming the file', async () => {
  const missing = join(dir, 'no-such-key');
  const m = await readKeyFails(readKey(missing), 'auth');
  assert.match(m.message, new RegExp(`^cannot read the identity file ${missing}: ENOENT`));
  const pub = await readKeyFails(readKey(ed1.file + '.pub'), 'auth');
  assert.equal(pub.message, `${ed1.file}.pub holds a public key; give the private key file (without .pub)`);
  const junk = join(dir, 'junk');
  writeFileSync(junk, 'not a key\n');
  const j = await readKeyFails(readKey(junk), 'auth');
  assert.ok(j.message.startsWith(`${junk} is not a private key this tool can use`), j.message);
});
