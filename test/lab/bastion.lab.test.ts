// ProxyJump on a real lab: lab.sh with LAB_BASTION=1 puts a jump host (its own netns, sshd, host key, /etc and PAM)
// in front of the VPS, whose sshd then listens only on the bastion's link. The CLI reaches the VPS through it as
// ssh -J would: from the ssh config (ProxyJump, per-hop User and IdentityFile, IdentitiesOnly) or from --jump; the
// bastion's host key is checked against known_hosts like the VPS's; a one-time code (keyboard-interactive, asked by
// the bastion's PAM) is answered programmatically through the transport, and refused by the CLI off a terminal.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, Lab, cli, cleanupHome, labDown, labUp } from './labHarness';
import { connectSsh, KeyboardInteractiveQuestion } from '../../src/host/sshTransport';
import { TransportError } from '../../src/host/transport';

const env: NodeJS.ProcessEnv = {
  LAB_PREFIX: process.env.CIV6_TEST_LAB_PREFIX ?? 'cv6bst',
  LAB_BASTION: '1',
};

describe('ProxyJump through a bastion on the lab (CLI and transport over real sshd)', () => {
  let L: Lab;
  let tmp: string;
  let config: string;
  /** bytes of the VPS's sshd log (LogLevel VERBOSE: one line per connection) */
  const vpsLogSize = () => statSync(L.LAB_SSHD_LOG).size;
  const vpsLogSince = (size: number) => readFileSync(L.LAB_SSHD_LOG, 'utf8').slice(size);

  before(() => {
    L = labUp(env);
    tmp = mkdtempSync(join(tmpdir(), 'civ6-bastion-'));
    config = join(tmp, 'ssh_config');
    writeFileSync(
      config,
      [
        'Host vps',
        `  HostName ${L.LAB_VPS_INTERNAL6}`,
        '  User root',
        `  IdentityFile ${L.LAB_KEY_ROOT}`,
        '  IdentitiesOnly yes',
        '  ProxyJump bastion',
        'Host bastion',
        `  HostName ${L.LAB_BASTION_SSH6}`,
        `  User ${L.LAB_BASTION_USER}`,
        `  IdentityFile ${L.LAB_KEY_USER}`,
        '  IdentitiesOnly yes',
        `Match host ${L.LAB_BASTION_SSH6}`,
        '  IdentityAgent none',
        '',
      ].join('\n'),
    );
  });
  after(() => {
    try {
      labDown(env);
    } finally {
      cleanupHome();
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('status through the ProxyJump of the ssh config (per-hop user and key), every host key checked', () => {
    const t0 = performance.now();
    const r = cli(['status', '--json', '--ssh-config', config, '--host', 'vps', '--known-hosts', L.LAB_KNOWN_HOSTS], { CONOHA_IPV6_DEBUG: '1' });
    const ms = Math.round(performance.now() - t0);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.snapshot.hostname, `${L.LAB_PREFIX}-vps`);
    assert.match(j.host, new RegExp(`via ${L.LAB_BASTION_USER}@\\[${L.LAB_BASTION_SSH6}\\]:22`));
    // both hops' keys matched known_hosts
    assert.match(r.stderr, new RegExp(`host key ssh-ed25519 \\S+ matches .* line 4`), 'the bastion (4th line of the lab known_hosts)');
    assert.match(r.stderr, new RegExp(`host key ssh-ed25519 \\S+ matches .* line 3`), 'the VPS at its internal address');
    assert.match(r.stderr, /IdentitiesOnly: not offering the keys in ssh-agent|authenticated as jump/);
    process.stdout.write(`# status through the bastion: ${ms} ms (CLI start to exit)\n`);
  });

  it('--host ALIAS resolves through ~/.ssh/config and the files it Includes', () => {
    const home = join(tmp, 'home');
    mkdirSync(join(home, '.ssh', 'conf.d'), { recursive: true });
    // the aliases live in an included file; the bastion's key comes from a Match host block on its address
    writeFileSync(join(home, '.ssh', 'config'), 'Include conf.d/*.conf\nHost *\n  IdentitiesOnly yes\n');
    writeFileSync(
      join(home, '.ssh', 'conf.d', 'lab.conf'),
      [
        'Host labvps',
        `  HostName ${L.LAB_VPS_INTERNAL6}`,
        `  IdentityFile ${L.LAB_KEY_ROOT}`,
        `  ProxyJump ${L.LAB_BASTION_USER}@labbastion`,
        'Host labbastion',
        `  HostName ${L.LAB_BASTION_SSH6}`,
        `Match host ${L.LAB_BASTION_SSH6}`,
        `  IdentityFile ${L.LAB_KEY_USER}`,
        '',
      ].join('\n'),
    );
    const r = cli(['status', '--json', '--host', 'labvps', '--known-hosts', L.LAB_KNOWN_HOSTS], { HOME: home });
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.snapshot.hostname, `${L.LAB_PREFIX}-vps`);
    assert.match(j.host, new RegExp(`^ssh root@\\[${L.LAB_VPS_INTERNAL6}\\]:22 \\(via jump@\\[${L.LAB_BASTION_SSH6}\\]:22\\)$`));
  });

  it('--jump on the command line (the hop logs in with a key from ssh-agent), repeated --jump hops accepted', async () => {
    const sock = join(tmp, 'agent.sock');
    const agent: ChildProcess = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 50 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
      const add = spawnSync('ssh-add', [L.LAB_KEY_USER], { env: { ...process.env, SSH_AUTH_SOCK: sock }, encoding: 'utf8' });
      assert.equal(add.status, 0, add.stderr);
      const target = ['--host', `root@[${L.LAB_VPS_INTERNAL6}]`, '--identity', L.LAB_KEY_ROOT, '--known-hosts', L.LAB_KNOWN_HOSTS];
      const r = cli(['status', '--json', '--jump', `${L.LAB_BASTION_USER}@[${L.LAB_BASTION_SSH6}]:22`, ...target], { SSH_AUTH_SOCK: sock, CONOHA_IPV6_DEBUG: '1' });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(JSON.parse(r.stdout).snapshot.hostname, `${L.LAB_PREFIX}-vps`);
      assert.match(r.stderr, /trying the keys in ssh-agent/);
      // two hops: the bastion twice (it can reach itself on its own address): parsed and used in order
      const twice = cli(['status', '--json', '--jump', `${L.LAB_BASTION_USER}@[${L.LAB_BASTION_SSH6}]`, '--jump', `${L.LAB_BASTION_USER}@[${L.LAB_BASTION_SSH6}]`, ...target], { SSH_AUTH_SOCK: sock });
      assert.equal(twice.code, 0, twice.stderr);
      assert.match(JSON.parse(twice.stdout).host, /via jump@\S+, jump@/);
    } finally {
      agent.kill();
    }
  });

  it('a wrong bastion host key is refused the OpenSSH way, and nothing reaches the VPS', () => {
    const kh = join(tmp, 'known_hosts.wrong');
    // the bastion's address recorded with another key (the VPS's), the VPS's own entry right
    const vpsKey = readFileSync(L.LAB_HOST_KEY_PUB, 'utf8').split(' ').slice(0, 2).join(' ');
    writeFileSync(kh, `${L.LAB_BASTION_SSH6} ${vpsKey}\n${L.LAB_VPS_INTERNAL6} ${vpsKey}\n`);
    const before = readFileSync(kh, 'utf8');
    const size = vpsLogSize();
    const r = cli(['status', '--ssh-config', config, '--host', 'vps', '--known-hosts', kh]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, new RegExp(`WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED for ${L.LAB_BASTION_SSH6}!`));
    assert.match(r.stderr, /ssh-keygen -R/);
    assert.equal(readFileSync(kh, 'utf8'), before, 'known_hosts left as it was');
    assert.doesNotMatch(vpsLogSince(size), /Connection from/, 'the VPS saw no connection');
  });

  it('an unknown bastion key is refused (with its fingerprint) unless --accept-new, which records it', () => {
    const kh = join(tmp, 'known_hosts.vps-only');
    const vpsKey = readFileSync(L.LAB_HOST_KEY_PUB, 'utf8').split(' ').slice(0, 2).join(' ');
    writeFileSync(kh, `${L.LAB_VPS_INTERNAL6} ${vpsKey}\n`);
    const size = vpsLogSize();
    const r = cli(['status', '--ssh-config', config, '--host', 'vps', '--known-hosts', kh]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, new RegExp(`authenticity of ${L.LAB_BASTION_SSH6} can't be established`));
    assert.doesNotMatch(vpsLogSince(size), /Connection from/, 'the VPS saw no connection');
    const ok = cli(['status', '--ssh-config', config, '--host', 'vps', '--known-hosts', kh, '--accept-new']);
    assert.equal(ok.code, 0, ok.stderr);
    const bastionKey = readFileSync(L.LAB_BASTION_HOST_KEY_PUB, 'utf8').split(' ')[1];
    assert.ok(readFileSync(kh, 'utf8').includes(bastionKey), 'the bastion key was recorded');
  });

  it('the VPS cannot be reached directly: the jump is what gets through', () => {
    const direct = cli(['status', '--host', `root@[${L.LAB_SSH6}]`, '--identity', L.LAB_KEY_ROOT, '--known-hosts', L.LAB_KNOWN_HOSTS]);
    assert.equal(direct.code, 3, direct.stderr);
    assert.match(direct.stderr, /connection refused/);
    const internal = cli(['status', '--host', `root@[${L.LAB_VPS_INTERNAL6}]`, '--identity', L.LAB_KEY_ROOT, '--known-hosts', L.LAB_KNOWN_HOSTS]);
    assert.equal(internal.code, 3, internal.stderr);
    assert.match(internal.stderr, /no route|unreachable|timed out|ENETUNREACH/i);
  });

  it('keyboard-interactive: the bastion asks user otp for a one-time code after the key; answered, the VPS is reached', async () => {
    const code = readFileSync(L.LAB_BASTION_OTP_FILE, 'utf8').trim();
    const asked: KeyboardInteractiveQuestion[] = [];
    const log: string[] = [];
    const open = (answer: string) =>
      connectSsh({
        spec: { user: 'root', host: L.LAB_VPS_INTERNAL6, port: 22 },
        knownHostsFile: L.LAB_KNOWN_HOSTS,
        identityFile: L.LAB_KEY_ROOT,
        agent: '',
        jumps: [{ spec: { user: L.LAB_BASTION_OTP_USER, host: L.LAB_BASTION_SSH6, port: 22 }, knownHostsFile: L.LAB_KNOWN_HOSTS, identityFile: L.LAB_KEY_USER, agent: '' }],
        onKeyboardInteractive: (q) => {
          asked.push(q);
          return Promise.resolve(q.prompts.map(() => answer));
        },
        log: (l) => log.push(l),
      });
    const t0 = performance.now();
    const t = await open(code);
    const ms = Math.round(performance.now() - t0);
    try {
      const r = await t.run('hostname');
      assert.equal(r.stdout.trim(), `${L.LAB_PREFIX}-vps`);
    } finally {
      await t.close();
    }
    assert.equal(asked.length, 1);
    assert.match(asked[0].who, new RegExp(`^otp@\\[${L.LAB_BASTION_SSH6}\\]:22$`));
    assert.equal(asked[0].prompts.length, 1);
    assert.equal(asked[0].prompts[0].echo, false, 'a code is asked without echo');
    process.stdout.write(`# one-time code through the bastion: connected in ${ms} ms; asked: ${JSON.stringify(asked[0].prompts[0].prompt)}\n`);

    // a wrong code: refused, asked again (as ssh does), never reaching the VPS
    asked.length = 0;
    const size = vpsLogSize();
    await assert.rejects(open('000000x'), (e: unknown) => e instanceof TransportError && e.kind === 'auth' && /keyboard-interactive/.test(e.message));
    assert.ok(asked.length >= 1 && asked.length <= 3, `asked ${asked.length} times`);
    assert.doesNotMatch(vpsLogSince(size), /Connection from/);
  });

  it('the CLI refuses a one-time-code question clearly when it is not on a terminal', () => {
    writeFileSync(join(tmp, 'otp_config'), readFileSync(config, 'utf8').replace(`User ${L.LAB_BASTION_USER}`, `User ${L.LAB_BASTION_OTP_USER}`));
    const r = cli(['status', '--ssh-config', join(tmp, 'otp_config'), '--host', 'vps', '--known-hosts', L.LAB_KNOWN_HOSTS]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /keyboard-interactive.*not a terminal/);
  });

  it('on a terminal the CLI asks the one-time code (not echoed) and goes on through the bastion', async () => {
    const code = readFileSync(L.LAB_BASTION_OTP_FILE, 'utf8').trim();
    const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    const command = [process.execPath, CLI, 'status', '--ssh-config', join(tmp, 'otp_config'), '--host', 'vps', '--known-hosts', L.LAB_KNOWN_HOSTS].map(q).join(' ');
    // script(1) runs the CLI on a pseudo-terminal; the code is typed when the prompt shows
    const p = spawn('script', ['-qec', command, '/dev/null'], { env: { ...process.env, HOME: tmp, SSH_AUTH_SOCK: '' } });
    let out = '';
    let typed = false;
    const t0 = performance.now();
    const code_ = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => p.kill(), 30_000);
      p.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        if (!typed && /Password: ?$/.test(out)) {
          typed = true;
          p.stdin.write(`${code}\r`);
        }
      });
      p.on('close', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    assert.equal(code_, 0, out);
    assert.ok(typed, out);
    assert.match(out, /\(otp@\[\S+\]:22 asks\)/);
    assert.match(out, new RegExp(`${L.LAB_PREFIX}-vps \\(debian`));
    assert.ok(!out.includes(code), 'the code is not echoed');
    process.stdout.write(`# CLI on a terminal with a one-time code: ${Math.round(performance.now() - t0)} ms\n`);
  });
});
