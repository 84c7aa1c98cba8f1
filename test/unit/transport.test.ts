// The SSH transport against a real ssh2 Server in this process that runs each exec request with a real bash
// (so the LAUNCHER and the script on stdin run for real), and the local transport. Keys come from ssh-keygen.
import { KeyFiles, keygen as makeKey } from './sshKeygen';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, AddressInfo, Server as NetServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Server, utils } from 'ssh2';
import type { Connection, ServerChannel } from 'ssh2';
import { connectSsh, SshTransportOptions, UnknownHostKeyInfo } from '../../src/host/sshTransport';
import { localTransport } from '../../src/host/localTransport';
import { Transport, TransportError, TransportErrorKind } from '../../src/host/transport';

const execFileAsync = promisify(execFile);

// ---------- keys ----------


let dir: string;
let hostEd: KeyFiles;
let hostEd2: KeyFiles;
let hostRsa: KeyFiles;
let userKey: KeyFiles;
let userEnc: KeyFiles;
let userOther: KeyFiles;
let userEcdsa: KeyFiles;
const PASSPHRASE = 'correct horse battery staple';

const keygen = (name: string, args: string[], passphrase = ''): KeyFiles => makeKey(join(dir, 'keys'), name, args, passphrase);

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'transport-test-'));
  mkdirSync(join(dir, 'keys'));
  hostEd = keygen('host_ed25519', ['-t', 'ed25519']);
  hostEd2 = keygen('host2_ed25519', ['-t', 'ed25519']);
  hostRsa = keygen('host_rsa', ['-t', 'rsa', '-b', '2048']);
  userKey = keygen('user_ed25519', ['-t', 'ed25519']);
  userEnc = keygen('user_encrypted', ['-t', 'ed25519'], PASSPHRASE);
  userOther = keygen('user_other', ['-t', 'ed25519']);
  userEcdsa = keygen('user_ecdsa', ['-t', 'ecdsa', '-b', '256']);
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

let caseNo = 0;
/** a fresh directory for one test, removed with the rest at the end */
function caseDir(): string {
  const d = join(dir, `case${++caseNo}`);
  mkdirSync(d);
  return d;
}

// ---------- a real SSH server running bash ----------

interface TestServer {
  host: string;
  port: number;
  /** TCP connections accepted */
  connections: number;
  /** authentication requests seen (0 means the client gave up before authenticating) */
  authAttempts: number;
  /** end every open connection from the server side and wait until they are closed */
  dropAll(): Promise<void>;
  /** a key re-exchange on every open connection, started by the server: how each one ended (within 3 s) */
  rekeyAll(): Promise<Array<'rekeyed' | 'closed' | 'stalled'>>;
  /** from now on (next key exchange, next connection) the server signs with this ed25519 key instead */
  swapEd25519HostKey(k: KeyFiles): void;
  close(): Promise<void>;
}

type ExecHandler = (stream: ServerChannel, command: string) => void;

async function startServer(o: { hostKeys: KeyFiles[]; authorized: KeyFiles[]; listenHost?: string; exec?: ExecHandler }): Promise<TestServer> {
  const live = new Set<Connection>();
  const state = { connections: 0, authAttempts: 0 };
  const server = new Server({ hostKeys: o.hostKeys.map((k) => readFileSync(k.file)) }, (conn) => {
    state.connections++;
    live.add(conn);
    // like the client side: no Nagle delays on small messages (ssh2 has this method; @types/ssh2 lacks it)
    (conn as unknown as { setNoDelay(on: boolean): void }).setNoDelay(true);
    conn.on('error', () => undefined);
    conn.on('close', () => live.delete(conn));
    conn.on('authentication', (ctx) => {
      state.authAttempts++;
      if (ctx.method !== 'publickey') {
        ctx.reject(['publickey']);
        return;
      }
      const known = o.authorized.find((k) => k.blob.equals(ctx.key.data));
      if (!known) {
        ctx.reject(['publickey']);
        return;
      }
      if (!ctx.signature || !ctx.blob) {
        ctx.accept(); // the client asks whether this key would do
        return;
      }
      const pub = utils.parseKey(known.blob);
      if (pub instanceof Error) {
        ctx.reject(['publickey']);
        return;
      }
      if (pub.verify(ctx.blob, ctx.signature, ctx.hashAlgo)) ctx.accept();
      else ctx.reject(['publickey']);
    });
    conn.on('ready', () => {
      conn.on('session', (acceptSession) => {
        const session = acceptSession();
        session.on('exec', (acceptExec, _reject, info) => (o.exec ?? runWithBash)(acceptExec(), info.command));
      });
    });
  });
  const listenHost = o.listenHost ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, listenHost, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const dropAll = async () => {
    await Promise.all([...live].map((c) => new Promise<void>((resolve) => {
      c.once('close', () => resolve());
      c.end();
    })));
  };
  return {
    host: listenHost,
    port,
    get connections() {
      return state.connections;
    },
    get authAttempts() {
      return state.authAttempts;
    },
    dropAll,
    rekeyAll: () => Promise.all([...live].map((c) => new Promise<'rekeyed' | 'closed' | 'stalled'>((resolve) => {
      const timer = setTimeout(() => resolve('stalled'), 3000);
      c.once('close', () => {
        clearTimeout(timer);
        resolve('closed');
      });
      c.rekey(() => {
        clearTimeout(timer);
        resolve('rekeyed');
      });
    }))),
    swapEd25519HostKey(k: KeyFiles) {
      // ssh2 keeps the server's host keys in one object that every connection's protocol shares: a hostile server
      // (or a man in the middle that took over) offering another key at the next key exchange
      const conn = [...live][0] as unknown as { _protocol: { _hostKeys: Record<string, unknown> } };
      const parsed = utils.parseKey(readFileSync(k.file));
      if (parsed instanceof Error) throw parsed;
      conn._protocol._hostKeys['ssh-ed25519'] = parsed;
    },
    async close() {
      await dropAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** What sshd does for `ssh host COMMAND`: run it with the shell, stdin/stdout/stderr on the channel, exit status back. */
function runWithBash(stream: ServerChannel, command: string): void {
  const child = spawn('bash', ['-c', command], { stdio: 'pipe', detached: true });
  child.stdin.on('error', () => undefined);
  stream.pipe(child.stdin);
  child.stdout.on('data', (d: Buffer) => stream.write(d));
  child.stderr.on('data', (d: Buffer) => stream.stderr.write(d));
  child.on('close', (code, signal) => {
    if (code !== null) stream.exit(code);
    else stream.exit(signal ?? 'KILL', false, '');
    stream.end();
  });
  stream.on('close', () => {
    try {
      process.kill(-child.pid!, 'SIGKILL'); // the client closed the channel: end the script and what it started
    } catch {
      // already gone
    }
  });
}

// ---------- helpers ----------

function knownHostsLine(host: string, port: number, k: KeyFiles): string {
  return `${port === 22 ? host : `[${host}]:${port}`} ${k.type} ${k.base64}\n`;
}

function options(server: TestServer, knownHostsFile: string, extra: Partial<SshTransportOptions> = {}): SshTransportOptions & { logs: string[] } {
  const logs: string[] = [];
  return {
    spec: { user: 'root', host: server.host, port: server.port },
    knownHostsFile,
    identityFile: userKey.file,
    agent: '', // no ssh-agent of the machine running the tests
    globalKnownHostsFiles: [], // not the /etc/ssh/ssh_known_hosts of the machine running the tests
    readyTimeoutMs: 5000,
    log: (l) => logs.push(l),
    logs,
    ...extra,
  };
}

async function rejectsWith(promise: Promise<unknown>, kind: TransportErrorKind): Promise<TransportError> {
  const err = await promise.then(
    () => assert.fail(`expected a TransportError '${kind}', but it succeeded`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof TransportError, `expected a TransportError '${kind}', got ${String(err)}`);
  assert.equal(err.kind, kind, err.message);
  return err;
}

/** a known server with a known host key, the usual setup */
async function knownServer(t: { after: (fn: () => Promise<void> | void) => void }, extra: { authorized?: KeyFiles[] } = {}) {
  const server = await startServer({ hostKeys: [hostEd], authorized: extra.authorized ?? [userKey] });
  t.after(() => server.close());
  const kh = join(caseDir(), 'known_hosts');
  writeFileSync(kh, knownHostsLine('127.0.0.1', server.port, hostEd));
  return { server, kh };
}

async function connected(t: { after: (fn: () => Promise<void> | void) => void }, o: SshTransportOptions): Promise<Transport> {
  const transport = await connectSsh(o);
  t.after(() => transport.close());
  return transport;
}

// ---------- host keys ----------

test('ssh: known host key, key file auth, a script runs as root with bash', async (t) => {
  const { server, kh } = await knownServer(t);
  const o = options(server, kh);
  const transport = await connected(t, o);
  assert.equal(transport.description, `ssh root@127.0.0.1:${server.port}`);
  assert.equal(transport.roundTrips, 0);
  const r = await transport.run('echo "uid=$(id -u) bash=${BASH_VERSION:+yes}"');
  assert.equal(r.stdout, 'uid=0 bash=yes\n');
  assert.equal(r.code, 0);
  assert.ok(r.ms >= 0 && r.ms < 5000);
  assert.equal(transport.roundTrips, 1);
  assert.ok(o.logs.some((l) => l.includes(hostEd.fingerprint) && l.includes('matches')), o.logs.join('\n'));
});

test('ssh: known_hosts hashed by OpenSSH (ssh-keyscan -H against the server) matches', async (t) => {
  const server = await startServer({ hostKeys: [hostEd], authorized: [userKey] });
  t.after(() => server.close());
  // asynchronously: the server answering ssh-keyscan lives in this process
  const { stdout: scanned } = await execFileAsync('ssh-keyscan', ['-H', '-T', '3', '-p', String(server.port), '127.0.0.1'], { encoding: 'utf8' });
  assert.match(scanned, /^\|1\|\S+ ssh-ed25519 /m);
  const kh = join(caseDir(), 'known_hosts');
  writeFileSync(kh, scanned);
  const transport = await connected(t, options(server, kh));
  assert.equal((await transport.run('echo ok')).stdout, 'ok\n');
});

test('ssh: a host known by its RSA key is asked for RSA first, not reported unknown for offering ed25519', async (t) => {
  const server = await startServer({ hostKeys: [hostEd, hostRsa], authorized: [userKey] });
  t.after(() => server.close());
  const kh = join(caseDir(), 'known_hosts');
  writeFileSync(kh, knownHostsLine('127.0.0.1', server.port, hostRsa));
  const o = options(server, kh);
  const transport = await connected(t, o);
  assert.equal((await transport.run('echo ok')).stdout, 'ok\n');
  assert.ok(o.logs.some((l) => l.includes(hostRsa.fingerprint)), o.logs.join('\n'));
  assert.equal(readFileSync(kh, 'utf8'), knownHostsLine('127.0.0.1', server.port, hostRsa));
});

test('ssh: unknown host key is refused, nothing written, nothing authenticated', async (t) => {
  const server = await startServer({ hostKeys: [hostEd], authorized: [userKey] });
  t.after(() => server.close());
  const kh = join(caseDir(), 'sub', 'known_hosts');
  const err = await rejectsWith(connectSsh(options(server, kh)), 'host-key-unknown');
  assert.ok(err.message.includes(hostEd.fingerprint), err.message);
  assert.ok(err.actions.some((x) => x.id === 'trust-host-key') && !err.message.includes('--accept') && err.message.includes('ssh-keyscan'), err.message);
  assert.ok(err.message.includes(`[127.0.0.1]:${server.port}`), err.message);
  assert.equal(existsSync(kh), false);
  assert.equal(server.authAttempts, 0);
});

test('ssh: accept-new records the key where ssh-keygen -F finds it; the next connection matches', async (t) => {
  const server = await startServer({ hostKeys: [hostEd], authorized: [userKey] });
  t.after(() => server.close());
  const kh = join(caseDir(), 'new', '.ssh', 'known_hosts');
  const first = await connectSsh(options(server, kh, { acceptNew: true }));
  assert.equal((await first.run('echo one')).stdout, 'one\n');
  await first.close();
  const found = execFileSync('ssh-keygen', ['-F', `[127.0.0.1]:${server.port}`, '-f', kh], { encoding: 'utf8' });
  assert.ok(found.includes(hostEd.base64), found);
  const again = options(server, kh); // no acceptNew: must match now
  const second = await connected(t, again);
  assert.equal((await second.run('echo two')).stdout, 'two\n');
  assert.equal(readFileSync(kh, 'utf8').trim().split('\n').length, 1);
});

test('ssh: onUnknownHostKey decides: true records the key, false refuses', async (t) => {
  const server = await startServer({ hostKeys: [hostEd], authorized: [userKey] });
  t.after(() => server.close());
  const kh = join(caseDir(), 'known_hosts');
  const asked: UnknownHostKeyInfo[] = [];
  await rejectsWith(connectSsh(options(server, kh, {
    onUnknownHostKey: (info) => {
      asked.push(info);
      return Promise.resolve(false);
    },
  })), 'host-key-unknown');
  assert.equal(existsSync(kh), false);
  const transport = await connected(t, options(server, kh, {
    readyTimeoutMs: 250,
    onUnknownHostKey: async (info) => {
      asked.push(info);
      await new Promise((r) => setTimeout(r, 400)); // a user thinking: longer than readyTimeoutMs, not counted
      return true;
    },
  }));
  assert.deepEqual(asked.map((a) => a.fingerprint), [hostEd.fingerprint, hostEd.fingerprint]);
  assert.deepEqual(asked[0], { fingerprint: hostEd.fingerprint, keyType: 'ssh-ed25519', hostName: `[127.0.0.1]:${server.port}`, knownKeys: [] });
  assert.equal(readFileSync(kh, 'utf8'), knownHostsLine('127.0.0.1', server.port, hostEd));
  assert.equal((await transport.run('echo ok')).stdout, 'ok\n');
});

test('ssh: a changed host key is refused even with acceptNew, and known_hosts stays as it was', async (t) => {
  const server = await startServer({ hostKeys: [hostEd2], authorized: [userKey] });
  t.after(() => server.close());
  const kh = join(caseDir(), 'known_hosts');
  const text = `# mine\n${knownHostsLine('127.0.0.1', server.port, hostEd)}`;
  writeFileSync(kh, text);
  const err = await rejectsWith(connectSsh(options(server, kh, { acceptNew: true })), 'host-key-changed');
  assert.equal(readFileSync(kh, 'utf8'), text);
  assert.match(err.message, /REMOTE HOST IDENTIFICATION HAS CHANGED/);
  assert.ok(err.message.includes(hostEd2.fingerprint), err.message);
  assert.ok(err.message.includes(`${kh} line 2`), err.message);
  assert.ok(err.message.includes(`ssh-keygen -R '[127.0.0.1]:${server.port}' -f ${kh}`), err.message);
  assert.equal(server.authAttempts, 0);
});

test('ssh: a revoked host key is refused', async (t) => {
  const server = await startServer({ hostKeys: [hostEd], authorized: [userKey] });
  t.after(() => server.close());
  const kh = join(caseDir(), 'known_hosts');
  writeFileSync(kh, knownHostsLine('127.0.0.1', server.port, hostEd) + `@revoked * ${hostEd.type} ${hostEd.base64}\n`);
  const err = await rejectsWith(connectSsh(options(server, kh, { acceptNew: true })), 'host-key-revoked');
  assert.ok(err.message.includes(hostEd.fingerprint), err.message);
});

test('ssh: a rekey with the accepted host key neither asks again nor records it twice', async (t) => {
  const server = await startServer({ hostKeys: [hostEd], authorized: [userKey] });
  t.after(() => server.close());
  const kh = join(caseDir(), 'known_hosts');
  let asked = 0;
  const transport = await connected(t, options(server, kh, {
    onUnknownHostKey: () => {
      asked++;
      return Promise.resolve(true);
    },
  }));
  assert.equal((await transport.run('echo before')).stdout, 'before\n');
  assert.deepEqual(await server.rekeyAll(), ['rekeyed']);
  assert.equal((await transport.run('echo after')).stdout, 'after\n');
  assert.equal(asked, 1);
  assert.equal(readFileSync(kh, 'utf8'), knownHostsLine('127.0.0.1', server.port, hostEd));
  // accept-new: one line, however often the keys are re-exchanged
  const kh2 = join(caseDir(), 'known_hosts');
  const again = await connected(t, options(server, kh2, { acceptNew: true }));
  assert.deepEqual(await server.rekeyAll(), ['rekeyed', 'rekeyed']);
  assert.deepEqual(await server.rekeyAll(), ['rekeyed', 'rekeyed']);
  assert.equal((await again.run('echo after')).stdout, 'after\n');
  assert.equal(readFileSync(kh2, 'utf8'), knownHostsLine('127.0.0.1', server.port, hostEd));
});

test('ssh: another host key at a rekey aborts the connection; the next connection reports the change', async (t) => {
  const server = await startServer({ hostKeys: [hostEd], authorized: [userKey] });
  t.after(() => server.close());
  const kh = join(caseDir(), 'known_hosts');
  const o = options(server, kh, { acceptNew: true });
  const transport = await connected(t, o);
  assert.equal((await transport.run('echo first')).stdout, 'first\n');
  server.swapEd25519HostKey(hostEd2);
  assert.deepEqual(await server.rekeyAll(), ['closed']);
  assert.equal(readFileSync(kh, 'utf8'), knownHostsLine('127.0.0.1', server.port, hostEd));
  assert.ok(o.logs.some((l) => /another host key at a rekey/.test(l) && l.includes(hostEd2.fingerprint)), o.logs.join('\n'));
  await rejectsWith(transport.run('echo second'), 'host-key-changed');
});

test('ssh: a host known by ed25519 that offers RSA is not a first contact: refused, also by accept-new; asking names the known key', async (t) => {
  const server = await startServer({ hostKeys: [hostRsa], authorized: [userKey] });
  t.after(() => server.close());
  const kh = join(caseDir(), 'known_hosts');
  const text = `# mine\n${knownHostsLine('127.0.0.1', server.port, hostEd)}`;
  writeFileSync(kh, text);
  for (const extra of [{ acceptNew: true }, {}]) {
    const err = await rejectsWith(connectSsh(options(server, kh, extra)), 'host-key-other-type');
    assert.match(err.message, /known with a different key type/);
    assert.ok(err.message.includes(`ssh-ed25519 key ${hostEd.fingerprint} in ${kh} line 2`), err.message);
    assert.ok(err.message.includes(`ssh-rsa key ${hostRsa.fingerprint}`), err.message);
  }
  const asked: UnknownHostKeyInfo[] = [];
  await rejectsWith(connectSsh(options(server, kh, {
    onUnknownHostKey: (info) => {
      asked.push(info);
      return Promise.resolve(false);
    },
  })), 'host-key-other-type');
  assert.equal(asked.length, 1);
  assert.deepEqual(asked[0].knownKeys, [{ keyType: 'ssh-ed25519', fingerprint: hostEd.fingerprint, file: kh, line: 2 }]);
  assert.equal(readFileSync(kh, 'utf8'), text);
  assert.equal(server.authAttempts, 0);
});

test('ssh: accept-new writes a hashed entry when told to (HashKnownHosts) or when the file holds only hashed entries', async (t) => {
  const server = await startServer({ hostKeys: [hostEd], authorized: [userKey] });
  t.after(() => server.close());
  const name = `[127.0.0.1]:${server.port}`;
  const kh = join(caseDir(), 'known_hosts');
  await (await connectSsh(options(server, kh, { acceptNew: true, hashKnownHosts: true }))).close();
  const text = readFileSync(kh, 'utf8');
  assert.match(text, /^\|1\|[A-Za-z0-9+/]{27}=\|[A-Za-z0-9+/]{27}= ssh-ed25519 \S+\n$/);
  assert.ok(!text.includes('127.0.0.1'), text);
  assert.ok(execFileSync('ssh-keygen', ['-F', name, '-f', kh], { encoding: 'utf8' }).includes(hostEd.base64));
  assert.equal((await (await connected(t, options(server, kh))).run('echo ok')).stdout, 'ok\n');

  // a file hashed by ssh-keygen -H gets hashed entries without being told
  const d = caseDir();
  const hashed = join(d, 'known_hosts');
  writeFileSync(hashed, knownHostsLine('other.example', 22, hostEd2));
  execFileSync('ssh-keygen', ['-q', '-H', '-f', hashed], { stdio: 'ignore' });
  await (await connectSsh(options(server, hashed, { acceptNew: true }))).close();
  const lines = readFileSync(hashed, 'utf8').trim().split('\n');
  assert.equal(lines.length, 2);
  assert.match(lines[1], /^\|1\|\S+ ssh-ed25519 /);
  assert.ok(execFileSync('ssh-keygen', ['-F', name, '-f', hashed], { encoding: 'utf8' }).includes(hostEd.base64));

  // a plain file stays plain
  const plain = join(caseDir(), 'known_hosts');
  writeFileSync(plain, knownHostsLine('other.example', 22, hostEd2));
  await (await connectSsh(options(server, plain, { acceptNew: true }))).close();
  assert.equal(readFileSync(plain, 'utf8'), knownHostsLine('other.example', 22, hostEd2) + knownHostsLine('127.0.0.1', server.port, hostEd));
});

test('ssh: keys are read from every user file and the global files; a new key is written to the first user file only', async (t) => {
  const server = await startServer({ hostKeys: [hostEd], authorized: [userKey] });
  t.after(() => server.close());
  const d = caseDir();
  const first = join(d, 'known_hosts');
  const second = join(d, 'known_hosts2');
  const global = join(d, 'ssh_known_hosts');
  writeFileSync(global, `# the system's\n${knownHostsLine('127.0.0.1', server.port, hostEd)}`);
  const o = options(server, first, { knownHostsFiles: [first, second], globalKnownHostsFiles: [join(d, 'missing'), global] });
  const viaGlobal = await connected(t, o);
  assert.equal((await viaGlobal.run('echo global')).stdout, 'global\n');
  assert.ok(o.logs.some((l) => l.includes(`matches ${global} line 2`)), o.logs.join('\n'));
  assert.equal(existsSync(first), false);

  rmSync(global);
  writeFileSync(second, knownHostsLine('127.0.0.1', server.port, hostEd));
  const viaSecond = await connected(t, options(server, first, { knownHostsFiles: [first, second] }));
  assert.equal((await viaSecond.run('echo second')).stdout, 'second\n');
  assert.equal(existsSync(first), false);

  // a changed key in the global file is refused like one in the user's file
  writeFileSync(global, knownHostsLine('127.0.0.1', server.port, hostEd2));
  const err = await rejectsWith(connectSsh(options(server, first, { knownHostsFiles: [first], globalKnownHostsFiles: [global], acceptNew: true })), 'host-key-changed');
  assert.ok(err.message.includes(`${global} line 1`), err.message);

  rmSync(second);
  rmSync(global);
  const added = await connected(t, options(server, first, { knownHostsFiles: [first, second], globalKnownHostsFiles: [global], acceptNew: true }));
  assert.equal((await added.run('echo added')).stdout, 'added\n');
  assert.equal(readFileSync(first, 'utf8'), knownHostsLine('127.0.0.1', server.port, hostEd));
  assert.equal(existsSync(second), false);
  assert.equal(existsSync(global), false);
});

test('ssh: HostKeyAlias: the key is looked up and recorded under the alias, not the address', async (t) => {
  const server = await startServer({ hostKeys: [hostEd], authorized: [userKey] });
  t.after(() => server.close());
  const kh = join(caseDir(), 'known_hosts');
  writeFileSync(kh, `vps-tokyo ${hostEd.type} ${hostEd.base64}\n`);
  const known = await connected(t, options(server, kh, { hostKeyAlias: 'VPS-Tokyo' }));
  assert.equal((await known.run('echo alias')).stdout, 'alias\n');
  await rejectsWith(connectSsh(options(server, kh)), 'host-key-unknown'); // the address itself is not known

  const kh2 = join(caseDir(), 'known_hosts');
  await (await connectSsh(options(server, kh2, { hostKeyAlias: 'vps-osaka', acceptNew: true }))).close();
  assert.equal(readFileSync(kh2, 'utf8'), `vps-osaka ${hostEd.type} ${hostEd.base64}\n`);
  assert.equal(spawnSync('ssh-keygen', ['-F', 'vps-osaka', '-f', kh2]).status, 0);
  writeFileSync(kh2, `vps-osaka ${hostEd2.type} ${hostEd2.base64}\n`);
  const err = await rejectsWith(connectSsh(options(server, kh2, { hostKeyAlias: 'vps-osaka', acceptNew: true })), 'host-key-changed');
  assert.ok(err.message.includes(`ssh-keygen -R 'vps-osaka'`), err.message);
});

// ---------- authentication ----------

test('ssh: encrypted key: the passphrase function is called once, also across a reconnect, and never logged', async (t) => {
  const { server, kh } = await knownServer(t, { authorized: [userEnc] });
  let calls = 0;
  const o = options(server, kh, {
    identityFile: userEnc.file,
    passphrase: () => {
      calls++;
      return Promise.resolve(PASSPHRASE);
    },
  });
  const transport = await connected(t, o);
  assert.equal((await transport.run('echo ok')).stdout, 'ok\n');
  await server.dropAll();
  assert.equal((await transport.run('echo again')).stdout, 'again\n');
  assert.equal(server.connections, 2);
  assert.equal(calls, 1);
  assert.ok(!o.logs.join('\n').includes(PASSPHRASE));
  assert.ok(!o.logs.join('\n').includes(readFileSync(userEnc.file, 'utf8').split('\n')[1]));
});

test('ssh: a wrong passphrase is a clear passphrase error', async (t) => {
  const { server, kh } = await knownServer(t, { authorized: [userEnc] });
  const err = await rejectsWith(connectSsh(options(server, kh, { identityFile: userEnc.file, passphrase: () => Promise.resolve('wrong') })), 'passphrase');
  assert.match(err.message, /wrong passphrase/);
  assert.ok(err.message.includes(userEnc.file));
  const noPass = await rejectsWith(connectSsh(options(server, kh, { identityFile: userEnc.file })), 'auth');
  assert.match(noPass.message, /encrypted/);
});

test('ssh: only a passphrase that cannot decrypt the key is a passphrase error; a refused key or a lost network is not', async (t) => {
  const { server, kh } = await knownServer(t, { authorized: [userKey] }); // the encrypted key is not authorized there
  const wrong = await rejectsWith(connectSsh(options(server, kh, { identityFile: userEnc.file, passphrase: () => Promise.resolve('wrong') })), 'passphrase');
  assert.match(wrong.message, /wrong passphrase/);
  const refused = await rejectsWith(connectSsh(options(server, kh, { identityFile: userEnc.file, passphrase: () => Promise.resolve(PASSPHRASE) })), 'auth');
  assert.match(refused.message, /refused every key/);
  const asString = await rejectsWith(connectSsh(options(server, kh, { identityFile: userEnc.file, passphrase: PASSPHRASE })), 'auth');
  assert.match(asString.message, /refused every key/);
  const port = await freePort();
  await rejectsWith(connectSsh({ ...options(server, kh, { identityFile: userEnc.file, passphrase: () => Promise.resolve(PASSPHRASE) }), spec: { user: 'root', host: '127.0.0.1', port } }), 'connect');
});

test('ssh: a key the host does not accept: auth error naming what was tried', async (t) => {
  const { server, kh } = await knownServer(t);
  const err = await rejectsWith(connectSsh(options(server, kh, { identityFile: userOther.file })), 'auth');
  assert.match(err.message, /refused/);
  assert.ok(err.message.includes(userOther.file) && err.actions.some((x) => x.id === 'set-host-setting' && x.setting === 'identity'), err.message);
  const missing = await rejectsWith(connectSsh(options(server, kh, { identityFile: join(dir, 'no-such-key') })), 'auth');
  assert.match(missing.message, /cannot read/);
});

test('ssh: default keys in ~/.ssh: an encrypted one is skipped, the next one is used', async (t) => {
  const { server, kh } = await knownServer(t, { authorized: [userEcdsa] });
  const home = caseDir();
  mkdirSync(join(home, '.ssh'), { mode: 0o700 });
  writeFileSync(join(home, '.ssh', 'id_ed25519'), readFileSync(userEnc.file), { mode: 0o600 });
  writeFileSync(join(home, '.ssh', 'id_ecdsa'), readFileSync(userEcdsa.file), { mode: 0o600 });
  const savedHome = process.env.HOME;
  process.env.HOME = home;
  t.after(() => {
    process.env.HOME = savedHome;
  });
  const o = options(server, kh, { identityFile: undefined });
  const transport = await connected(t, o);
  assert.equal((await transport.run('echo ok')).stdout, 'ok\n');
  assert.ok(o.logs.some((l) => l.includes('skipping') && l.includes('id_ed25519')), o.logs.join('\n'));
  rmSync(join(home, '.ssh', 'id_ecdsa'));
  const err = await rejectsWith(connectSsh(options(server, kh, { identityFile: undefined })), 'auth');
  assert.match(err.message, /refused/);
});

test('ssh: keys from a real ssh-agent', async (t) => {
  const { server, kh } = await knownServer(t);
  const sock = join(caseDir(), 'agent.sock');
  const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
  t.after(() => {
    agent.kill();
  });
  for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 20));
  execFileSync('ssh-add', ['-q', userKey.file], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
  const o = options(server, kh, { agent: sock, identityFile: join(dir, 'not-needed') });
  const transport = await connected(t, o);
  assert.equal((await transport.run('echo agent')).stdout, 'agent\n');
  assert.ok(o.logs.some((l) => l.includes('ssh-agent')), o.logs.join('\n'));
});

// ---------- running scripts ----------

test('ssh: exit codes, stdout, stderr and UTF-8 pass through; launcher exits become TransportErrors', async (t) => {
  const { server, kh } = await knownServer(t);
  const transport = await connected(t, options(server, kh));
  const r = await transport.run('echo out; printf "h\\303\\251llo \\342\\234\\223\\n"; echo err >&2; exit 7');
  assert.deepEqual({ stdout: r.stdout, stderr: r.stderr, code: r.code }, { stdout: 'out\nhéllo ✓\n', stderr: 'err\n', code: 7 });
  assert.equal((await transport.run('true')).code, 0);
  await rejectsWith(transport.run('exit 97'), 'no-sudo');
  await rejectsWith(transport.run('exit 98'), 'sudo-password');
  const parallel = await Promise.all([1, 2, 3, 4, 5].map((n) => transport.run(`echo ${n}`)));
  assert.deepEqual(parallel.map((p) => p.stdout), ['1\n', '2\n', '3\n', '4\n', '5\n']);
  assert.equal(transport.roundTrips, 9);
});

test('ssh: a script larger than 1 MiB arrives intact', async (t) => {
  const { server, kh } = await knownServer(t);
  const transport = await connected(t, options(server, kh));
  const payload = randomBytes(900 * 1024).toString('base64').replace(/.{76}/g, '$&\n'); // ~1.2 MiB of text
  const script = `sha256sum <<'PAYLOAD_END'\n${payload}\nPAYLOAD_END\n`;
  assert.ok(Buffer.byteLength(script) > 1024 * 1024);
  const r = await transport.run(script);
  const expected = createHash('sha256').update(payload + '\n').digest('hex');
  assert.equal(r.stdout.split(' ')[0], expected);
  assert.equal(r.code, 0);
});

test('ssh: a script that runs too long times out, and the transport goes on working', async (t) => {
  const { server, kh } = await knownServer(t);
  const transport = await connected(t, options(server, kh));
  const started = Date.now();
  await rejectsWith(transport.run('sleep 10', { timeoutMs: 300 }), 'timeout');
  assert.ok(Date.now() - started < 2000);
  assert.equal((await transport.run('echo after')).stdout, 'after\n');
});

test('ssh: reconnects once after the server dropped the connection', async (t) => {
  const { server, kh } = await knownServer(t);
  const o = options(server, kh);
  const transport = await connected(t, o);
  assert.equal((await transport.run('echo 1')).stdout, '1\n');
  await server.dropAll();
  await new Promise((r) => setTimeout(r, 50));
  assert.equal((await transport.run('echo 2')).stdout, '2\n');
  assert.equal(server.connections, 2);
  // dropped and immediately used: the channel cannot open, so it reconnects and sends the script then
  await server.dropAll();
  assert.equal((await transport.run('echo 3')).stdout, '3\n');
  assert.equal(server.connections, 3);
  assert.equal(transport.roundTrips, 3);
  // the server is gone for good: the reconnect fails with a connect error
  await server.close();
  await new Promise((r) => setTimeout(r, 50));
  await rejectsWith(transport.run('echo 4'), 'connect');
});

test('ssh: a connection lost while a script runs is a connect error (never re-sent), then it reconnects', async (t) => {
  const { server, kh } = await knownServer(t);
  const transport = await connected(t, options(server, kh));
  const marker = join(caseDir(), 'ran');
  const running = transport.run(`echo x >> ${marker}; sleep 5`);
  for (let i = 0; i < 100 && !existsSync(marker); i++) await new Promise((r) => setTimeout(r, 10));
  await server.dropAll();
  const err = await rejectsWith(running, 'connect');
  assert.match(err.message, /lost while the script was running/);
  assert.equal((await transport.run('echo next')).stdout, 'next\n');
  assert.equal(readFileSync(marker, 'utf8'), 'x\n');
});

// ---------- connection errors ----------

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

test('ssh: connection refused on a closed port', async () => {
  const port = await freePort();
  const err = await rejectsWith(connectSsh({
    spec: { user: 'root', host: '127.0.0.1', port },
    knownHostsFile: join(caseDir(), 'known_hosts'),
    identityFile: userKey.file,
    agent: '',
  }), 'connect');
  assert.ok(err.message.includes('127.0.0.1') && err.message.includes(String(port)), err.message);
  assert.match(err.message, /refused/);
});

test('ssh: a server that never speaks SSH times out', async (t) => {
  const sockets = new Set<Socket>();
  const silent: NetServer = createServer((s) => sockets.add(s));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
  t.after(() => {
    for (const s of sockets) s.destroy();
    silent.close();
  });
  const port = (silent.address() as AddressInfo).port;
  const started = Date.now();
  const err = await rejectsWith(connectSsh({
    spec: { user: 'root', host: '127.0.0.1', port },
    knownHostsFile: join(caseDir(), 'known_hosts'),
    identityFile: userKey.file,
    agent: '',
    readyTimeoutMs: 300,
  }), 'timeout');
  assert.ok(Date.now() - started < 2000);
  assert.ok(err.message.includes(String(port)), err.message);
});

test('ssh: IPv6 literal host (::1)', async (t) => {
  let server: TestServer;
  try {
    server = await startServer({ hostKeys: [hostEd], authorized: [userKey], listenHost: '::1' });
  } catch (e) {
    t.skip(`no IPv6 loopback here: ${(e as Error).message}`);
    return;
  }
  t.after(() => server.close());
  const kh = join(caseDir(), 'known_hosts');
  const transport = await connected(t, options(server, kh, { acceptNew: true }));
  assert.equal(transport.description, `ssh root@[::1]:${server.port}`);
  assert.equal((await transport.run('echo v6')).stdout, 'v6\n');
  assert.equal(spawnSync('ssh-keygen', ['-F', `[::1]:${server.port}`, '-f', kh]).status, 0);
});

// ---------- a hostile host ----------

const MiB = 1024 * 1024;

/**
 * An exec handler that sends `total` bytes on stdout or stderr as fast as the client takes them (with
 * backpressure, so this process's server side holds only a window's worth) and stops once the client closes the channel.
 */
function flood(which: 'stdout' | 'stderr', total: number, sent: { bytes: number }): ExecHandler {
  return (stream) => {
    const target = which === 'stdout' ? stream : stream.stderr;
    const chunk = Buffer.alloc(256 * 1024, 0x78);
    let closed = false;
    stream.on('close', () => {
      closed = true;
    });
    stream.on('data', () => undefined); // the script on stdin: read and ignored
    const pump = () => {
      while (!closed && sent.bytes < total) {
        sent.bytes += chunk.length;
        if (!target.write(chunk)) {
          target.once('drain', pump);
          return;
        }
      }
      if (!closed) {
        stream.exit(0);
        stream.end();
      }
    };
    pump();
  };
}

/** How `work` settled, and how far the RSS of this process rose above where it was (sampled every 5 ms), in MiB. */
async function withPeakRss<T>(work: () => Promise<T>): Promise<{ settled: PromiseSettledResult<T>; growthMiB: number }> {
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  const [settled] = await Promise.allSettled([work()]);
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  return { settled, growthMiB: Math.round((peak - before) / MiB) };
}

function assertTooMuchOutput(settled: PromiseSettledResult<unknown>, stream: string): void {
  assert.equal(settled.status, 'rejected', 'the run succeeded');
  const err = settled.reason;
  assert.ok(err instanceof TransportError, String(err));
  assert.equal(err.kind, 'output-too-large', err.message);
  assert.match(err.message, new RegExp(`sent more than 32 MiB on ${stream}.*refusing`));
}

test('ssh: a host that floods stdout or stderr is cut off at 32 MiB: a clear error, no crash, bounded memory', async (t) => {
  let mode: 'bash' | 'stdout' | 'stderr' = 'bash';
  const sent = { bytes: 0 };
  const server = await startServer({
    hostKeys: [hostEd],
    authorized: [userKey],
    exec: (stream, command) => (mode === 'bash' ? runWithBash(stream, command) : flood(mode, 200 * 1000 * 1000, sent)(stream, command)),
  });
  t.after(() => server.close());
  const kh = join(caseDir(), 'known_hosts');
  writeFileSync(kh, knownHostsLine('127.0.0.1', server.port, hostEd));
  const transport = await connected(t, options(server, kh));
  const uncaught: unknown[] = [];
  const onUncaught = (e: unknown) => uncaught.push(e);
  process.on('uncaughtException', onUncaught);
  t.after(() => {
    process.off('uncaughtException', onUncaught);
  });
  for (const stream of ['stdout', 'stderr'] as const) {
    mode = stream;
    sent.bytes = 0;
    const { settled, growthMiB } = await withPeakRss(() => transport.run('true'));
    await new Promise((r) => setTimeout(r, 200)); // let the server see the channel close
    t.diagnostic(`${stream}: RSS rose by ${growthMiB} MiB; the server got ${Math.round(sent.bytes / MiB)} MiB out before the channel closed`);
    assertTooMuchOutput(settled, stream);
    assert.ok(growthMiB < 300, `RSS rose by ${growthMiB} MiB`);
    assert.ok(sent.bytes < 64 * MiB, `the server could send ${sent.bytes} bytes`);
  }
  mode = 'bash';
  assert.equal((await transport.run('echo still-usable')).stdout, 'still-usable\n');
  assert.deepEqual(uncaught, []);
});

// ---------- local transport ----------

test('local: runs a script with bash, exit code and output', async () => {
  const local = localTransport();
  assert.equal(local.description, 'local');
  const r = await local.run('echo "uid=$(id -u) ${BASH_VERSION:+bash}"; echo err >&2; exit 3');
  assert.deepEqual({ stdout: r.stdout, stderr: r.stderr, code: r.code }, { stdout: 'uid=0 bash\n', stderr: 'err\n', code: 3 });
  await rejectsWith(local.run('exit 98'), 'sudo-password');
  assert.equal(local.roundTrips, 2);
  await local.close();
});

test('local: a script larger than 1 MiB arrives intact on stdin', async () => {
  const local = localTransport();
  const payload = randomBytes(900 * 1024).toString('base64').replace(/.{76}/g, '$&\n');
  const r = await local.run(`sha256sum <<'PAYLOAD_END'\n${payload}\nPAYLOAD_END\n`);
  assert.equal(r.stdout.split(' ')[0], createHash('sha256').update(payload + '\n').digest('hex'));
});

test('local: timeout kills the script and what it started', async () => {
  const local = localTransport();
  const marker = join(caseDir(), 'survived');
  const started = Date.now();
  await rejectsWith(local.run(`(sleep 0.5; touch ${marker}) & sleep 10`, { timeoutMs: 200 }), 'timeout');
  assert.ok(Date.now() - started < 450);
  await new Promise((r) => setTimeout(r, 700));
  assert.equal(existsSync(marker), false, 'the background job outlived the timeout');
});

test('local: a prefix command runs the launcher (here env), a missing one is a connect error', async () => {
  const local = localTransport({ prefix: ['env', 'CONOHA_TEST=inside'] });
  assert.equal(local.description, 'local (env CONOHA_TEST=inside)');
  assert.equal((await local.run('echo $CONOHA_TEST')).stdout, 'inside\n');
  await rejectsWith(localTransport({ prefix: ['/nonexistent/nsenter'] }).run('true'), 'connect');
});

test('local: a script that floods stdout or stderr is killed at 32 MiB: a clear error, bounded memory', async (t) => {
  const local = localTransport();
  for (const [stream, script] of [['stdout', 'head -c 200000000 /dev/zero'], ['stderr', 'head -c 200000000 /dev/zero >&2']] as const) {
    const { settled, growthMiB } = await withPeakRss(() => local.run(script));
    t.diagnostic(`local ${stream}: RSS rose by ${growthMiB} MiB`);
    assertTooMuchOutput(settled, stream);
    assert.ok(growthMiB < 300, `RSS rose by ${growthMiB} MiB`);
  }
  assert.equal((await local.run('echo still-usable')).stdout, 'still-usable\n');
  await local.close();
});
