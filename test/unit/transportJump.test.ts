// ProxyJump and keyboard-interactive in the SSH transport, against two real ssh2 Servers in this process: a bastion
// that forwards direct-tcpip channels (and may want a one-time code after the key), and a target behind it. Every
// hop's host key is checked; nothing reaches the target before the bastion is trusted and logged into.
import { keygen as makeKey, KeyFiles } from './sshKeygen';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect, AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Server, utils } from 'ssh2';
import type { Connection } from 'ssh2';
import { connectSsh, KeyboardInteractiveQuestion, SshTransportOptions } from '../../src/host/sshTransport';
import { TransportError } from '../../src/host/transport';

let dir: string;
let bastionKey: KeyFiles;
let targetKey: KeyFiles;
let userKey: KeyFiles;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'transport-jump-'));
  mkdirSync(join(dir, 'keys'));
  bastionKey = makeKey(join(dir, 'keys'), 'bastion', ['-t', 'ed25519']);
  targetKey = makeKey(join(dir, 'keys'), 'target', ['-t', 'ed25519']);
  userKey = makeKey(join(dir, 'keys'), 'user', ['-t', 'ed25519']);
});
after(() => rmSync(dir, { recursive: true, force: true }));

interface TestServer {
  port: number;
  connections: number;
  forwards: number;
  live: Set<Connection>;
  close(): Promise<void>;
}

/** an ssh2 Server: publickey for userKey (then a one-time code when `code` is set), direct-tcpip forwarding, exec answers "on <name>" */
async function server(name: string, hostKey: KeyFiles, code?: string): Promise<TestServer> {
  const live = new Set<Connection>();
  const s: TestServer = { port: 0, connections: 0, forwards: 0, live, close: () => Promise.resolve() };
  const srv = new Server({ hostKeys: [readFileSync(hostKey.file)] }, (conn) => {
    s.connections++;
    live.add(conn);
    conn.on('error', () => undefined);
    conn.on('close', () => live.delete(conn));
    let keyDone = false;
    conn.on('authentication', (ctx) => {
      if (ctx.method === 'publickey' && ctx.key.data.equals(userKey.blob)) {
        if (!ctx.signature) { ctx.accept(); return; }
        const pub = utils.parseKey(userKey.blob);
        if (pub instanceof Error || !ctx.blob || !pub.verify(ctx.blob, ctx.signature, ctx.hashAlgo)) { ctx.reject(['publickey']); return; }
        if (!code) { ctx.accept(); return; }
        keyDone = true;
        ctx.reject(['keyboard-interactive'], true); return; // partial success: now the code
      }
      if (ctx.method === 'keyboard-interactive' && code && keyDone) {
        ctx.prompt([{ prompt: 'One-time code: ', echo: false }], 'Two-factor', 'Type the code from your token', (answers) => {
          if (answers[0] === code) ctx.accept();
          else ctx.reject(['keyboard-interactive']);
        });
        return;
      }
      ctx.reject(keyDone ? ['keyboard-interactive'] : ['publickey']);
    });
    conn.on('ready', () => {
      conn.on('tcpip', (accept, reject, info) => {
        s.forwards++;
        const sock = tcpConnect(info.destPort, info.destIP);
        sock.once('error', () => reject());
        sock.once('connect', () => {
          const ch = accept();
          ch.pipe(sock).pipe(ch);
          ch.on('close', () => sock.destroy());
          sock.on('close', () => ch.close());
        });
      });
      conn.on('session', (acceptSession) => {
        acceptSession().on('exec', (acceptExec) => {
          const ch = acceptExec();
          ch.on('data', () => undefined);
          ch.on('end', () => {
            ch.write(`on ${name}\n`);
            ch.exit(0);
            ch.end();
          });
        });
      });
    });
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', () => resolve()));
  s.port = (srv.address() as AddressInfo).port;
  s.close = async () => {
    for (const c of live) c.end();
    await new Promise<void>((resolve) => srv.close(() => resolve()));
  };
  return s;
}

const line = (port: number, k: KeyFiles) => `[127.0.0.1]:${port} ${k.type} ${k.base64}\n`;

async function setup(t: { after: (fn: () => Promise<void>) => void }, o: { code?: string; knownBastion?: KeyFiles | null } = {}) {
  const bastion = await server('bastion', bastionKey, o.code);
  const target = await server('target', targetKey);
  t.after(() => bastion.close());
  t.after(() => target.close());
  const kh = join(mkdtempSync(join(dir, 'case-')), 'known_hosts');
  const bk = o.knownBastion === undefined ? bastionKey : o.knownBastion;
  writeFileSync(kh, (bk ? line(bastion.port, bk) : '') + line(target.port, targetKey));
  const logs: string[] = [];
  const options = (extra: Partial<SshTransportOptions> = {}): SshTransportOptions => ({
    spec: { user: 'root', host: '127.0.0.1', port: target.port },
    knownHostsFile: kh,
    globalKnownHostsFiles: [],
    identityFile: userKey.file,
    agent: '',
    readyTimeoutMs: 5000,
    jumps: [{ spec: { user: 'jump', host: '127.0.0.1', port: bastion.port }, knownHostsFile: kh, globalKnownHostsFiles: [], identityFile: userKey.file, agent: '' }],
    log: (l) => logs.push(l),
    ...extra,
  });
  return { bastion, target, kh, logs, options };
}

test('jump: the target is reached through the bastion, both host keys matched; close() ends both connections', async (t) => {
  const { bastion, target, logs, options } = await setup(t);
  const tr = await connectSsh(options());
  assert.equal((await tr.run('hostname')).stdout, 'on target\n');
  assert.match(tr.description, /via jump@127\.0\.0\.1:\d+/);
  assert.equal(bastion.forwards, 1);
  assert.equal(target.connections, 1);
  assert.equal(logs.filter((l) => /host key ssh-ed25519 \S+ matches/.test(l)).length, 2, logs.join('\n'));
  await tr.close();
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(bastion.live.size, 0, 'the bastion connection is closed too');
});

test('jump: a changed bastion key is refused and nothing is forwarded to the target', async (t) => {
  const { bastion, target, options } = await setup(t, { knownBastion: targetKey });
  await assert.rejects(connectSsh(options()), (e: unknown) => e instanceof TransportError && e.kind === 'host-key-changed' && /REMOTE HOST IDENTIFICATION HAS CHANGED for \[127\.0\.0\.1\]:\d+/.test(e.message));
  assert.equal(bastion.forwards, 0);
  assert.equal(target.connections, 0);
});

test('jump: an unknown bastion key is asked about (naming the bastion); a no refuses before the target', async (t) => {
  const { bastion, target, options } = await setup(t, { knownBastion: null });
  const asked: string[] = [];
  await assert.rejects(
    connectSsh(options({ onUnknownHostKey: (info) => {
      asked.push(info.hostName);
      return Promise.resolve(false);
    } })),
    (e: unknown) => e instanceof TransportError && e.kind === 'host-key-unknown',
  );
  assert.deepEqual(asked, [`[127.0.0.1]:${bastion.port}`]);
  assert.equal(target.connections, 0);
});

test('jump: the bastion cannot reach the next hop: a connect error that names both', async (t) => {
  const { target, options } = await setup(t);
  const o = options();
  await target.close();
  await assert.rejects(connectSsh(o), (e: unknown) => e instanceof TransportError && e.kind === 'connect' && /jump host jump@127\.0\.0\.1:\d+ could not connect to 127\.0\.0\.1 port \d+/.test(e.message));
});

test('keyboard-interactive after the key: answered, refused when wrong (asked again, at most 3 times), refused clearly with nobody to ask', async (t) => {
  const { target, options } = await setup(t, { code: '424242' });
  const questions: KeyboardInteractiveQuestion[] = [];
  const answer = (code: string) => (q: KeyboardInteractiveQuestion) => {
    questions.push(q);
    return Promise.resolve([code]);
  };
  const tr = await connectSsh(options({ onKeyboardInteractive: answer('424242') }));
  assert.equal((await tr.run('x')).stdout, 'on target\n');
  await tr.close();
  assert.equal(questions.length, 1);
  assert.deepEqual(questions[0].prompts, [{ prompt: 'One-time code: ', echo: false }]);
  assert.equal(questions[0].name, 'Two-factor');
  assert.match(questions[0].who, /^jump@127\.0\.0\.1:\d+$/);

  questions.length = 0;
  const before = target.connections;
  await assert.rejects(connectSsh(options({ onKeyboardInteractive: answer('000000') })), (e: unknown) => e instanceof TransportError && e.kind === 'auth' && /keyboard-interactive/.test(e.message));
  assert.equal(questions.length, 3);
  await assert.rejects(connectSsh(options()), (e: unknown) => e instanceof TransportError && e.kind === 'auth' && /keyboard-interactive .*nobody to ask/.test(e.message));
  assert.equal(target.connections, before, 'the target saw none of these');
});
