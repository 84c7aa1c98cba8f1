// How a host resolves through the ssh config (the npm package ssh-config evaluates it; Include is spliced in by
// core/sshConfig.ts): Include inside and outside blocks, Match host on the HostName, first value wins, IdentityFile
// lists with tokens, IdentitiesOnly, IdentityAgent, ProxyJump lists (and a first hop's own ProxyJump), and that
// nothing in a config runs a program.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Environment, IncludeReader, loadSshConfig, parseJumpList, resolveSshHost } from '../../src/core/sshConfig';
import { parseHostTarget } from '../../src/core/hostSpec';
import { InputError } from '../../src/core/errors';
import { resolveConnection } from '../../src/host/sshConfigFile';
import { authPlan } from '../../src/host/sshKeys';

const ENV: Environment = { home: '/home/me', localUser: 'me', env: { SOCK_DIR: '/run/me' } };
const files = (map: Record<string, string>): IncludeReader => (pattern) =>
  Object.keys(map)
    .filter((k) => (pattern.endsWith('*') ? k.startsWith(pattern.slice(0, -1)) : k === pattern))
    .sort()
    .map((k) => ({ path: k, text: map[k] }));
const resolve = (text: string, alias: string, read: IncludeReader = () => [], user?: string) => resolveSshHost(loadSshConfig(text, read), alias, ENV, user);

test('first value wins across Host blocks; Host * after the alias fills in what it left unset', () => {
  const r = resolve('Host vps\n  HostName 2400:8500::12\n  User deploy\nHost *\n  User nobody\n  Port 2222\n', 'vps');
  assert.equal(r.hostName, '2400:8500::12');
  assert.equal(r.user, 'deploy');
  assert.equal(r.port, 2222);
  const other = resolve('Host vps\n  HostName 2400:8500::12\nHost *\n  User nobody\n', 'elsewhere');
  assert.equal(other.hostName, 'elsewhere');
  assert.equal(other.user, 'nobody');
});

test('keywords in any case, key=value syntax, quoted values', () => {
  const r = resolve('host=vps\n  HOSTNAME=10.0.0.5\n  user "deploy"\n  identityfile "~/.ssh/my key"\n', 'vps');
  assert.equal(r.hostName, '10.0.0.5');
  assert.equal(r.user, 'deploy');
  assert.deepEqual(r.identityFiles, ['/home/me/.ssh/my key']);
});

test('Match host matches the HostName the alias resolved to', () => {
  const text = 'Host vps\n  HostName 10.0.0.5\nMatch host 10.0.0.*\n  User matched\n  ProxyJump bastion\nMatch host 192.168.*\n  User wrong\n';
  const r = resolve(text, 'vps');
  assert.equal(r.user, 'matched');
  assert.deepEqual(r.proxyJump, [{ user: undefined, host: 'bastion', port: undefined }]);
  assert.equal(resolve(text, 'other').user, undefined);
});

test('a user given on the command line counts for Match user and wins over User', () => {
  const text = 'Host vps\n  User deploy\nMatch user admin\n  IdentityFile ~/.ssh/admin\n';
  const r = resolve(text, 'vps', () => [], 'admin');
  assert.deepEqual(r.identityFiles, ['/home/me/.ssh/admin']);
  assert.equal(resolve(text, 'vps').identityFiles.length, 0);
});

test('Include at the top: files in name order, their Host blocks, nested Includes, a loop stops at depth 16', () => {
  const read = files({
    'conf.d/10-vps': 'Host vps\n  HostName 10.0.0.5\n  Include common\n',
    'conf.d/20-other': 'Host other\n  User other\n',
    common: '  User fromcommon\n',
    loop: 'Include loop\nHost looped\n  User l\n',
  });
  const text = 'Include conf.d/*\nInclude loop\nHost *\n  User fallback\n';
  const r = resolve(text, 'vps', read);
  assert.equal(r.hostName, '10.0.0.5');
  assert.equal(r.user, 'fromcommon');
  assert.equal(resolve(text, 'other', read).user, 'other');
  assert.equal(resolve(text, 'looped', read).user, 'l');
  assert.equal(resolve(text, 'nobody', read).user, 'fallback');
});

test('Include inside a Host block: its leading lines belong to the block, its own Host blocks stand alone, the block goes on after it', () => {
  const read = files({ inc: '  Port 2200\nHost inner\n  User innerUser\n' });
  const text = 'Host vps\n  Include inc\n  User afterInclude\nHost *\n  User star\n';
  const vps = resolve(text, 'vps', read);
  assert.equal(vps.port, 2200);
  assert.equal(vps.user, 'afterInclude', 'the line after the Include is still in Host vps');
  const inner = resolve(text, 'inner', read);
  assert.equal(inner.user, 'innerUser');
  assert.equal(inner.port, undefined, 'the Include\'s leading lines are only for Host vps');
});

test('IdentityFile lines in order, with ~ and %d %u %h %r %n %% expanded; IdentitiesOnly', () => {
  const r = resolve('Host vps\n  HostName h.example\n  User root\n  IdentitiesOnly yes\n  IdentityFile ~/.ssh/%r@%h\n  IdentityFile %d/keys/%u-%n-100%%\n', 'vps');
  assert.equal(r.identitiesOnly, true);
  assert.deepEqual(r.identityFiles, ['/home/me/.ssh/root@h.example', '/home/me/keys/me-vps-100%']);
  assert.equal(resolve('Host vps\n  IdentitiesOnly no\n', 'vps').identitiesOnly, false);
});

test('IdentityAgent: none, SSH_AUTH_SOCK (the default), a path with ~, ${VAR} and $VAR', () => {
  assert.equal(resolve('Host *\n  IdentityAgent none\n', 'x').identityAgent, 'none');
  assert.equal(resolve('Host *\n  IdentityAgent SSH_AUTH_SOCK\n', 'x').identityAgent, undefined);
  assert.equal(resolve('Host *\n  IdentityAgent ~/.agent.sock\n', 'x').identityAgent, '/home/me/.agent.sock');
  assert.equal(resolve('Host *\n  IdentityAgent ${SOCK_DIR}/agent\n', 'x').identityAgent, '/run/me/agent');
  assert.equal(resolve('Host *\n  IdentityAgent $SOCK_DIR\n', 'x').identityAgent, '/run/me');
  assert.equal(resolve('Host *\n  IdentityAgent $UNSET_VAR\n', 'x').identityAgent, 'none');
});

test('nothing in a config runs a program: Match exec never matches, CanonicalizeHostName is dropped', () => {
  const dir = mkdtempSync(join(tmpdir(), 'civ6-sshcfg-'));
  try {
    const marker = join(dir, 'ran');
    const text = `CanonicalizeHostName yes\nCanonicalDomains example.com\nMatch exec "touch ${marker}"\n  User executed\nHost *\n  User safe\n`;
    assert.equal(resolve(text, 'vps').user, 'safe');
    assert.equal(existsSync(marker), false, 'Match exec ran a command');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('ProxyJump lists as ssh -J writes them', () => {
  assert.deepEqual(parseJumpList('bastion'), [{ user: undefined, host: 'bastion', port: undefined }]);
  assert.deepEqual(parseJumpList('jump@b1.example:2222, ops@[2001:db8::1]:22'), [
    { user: 'jump', host: 'b1.example', port: 2222 },
    { user: 'ops', host: '2001:db8::1', port: 22 },
  ]);
  assert.deepEqual(parseJumpList('ssh://u@h.example:2200'), [{ user: 'u', host: 'h.example', port: 2200 }]);
  assert.deepEqual(parseJumpList('none'), []);
  assert.throws(() => parseJumpList('a,,b'), InputError);
  assert.throws(() => parseJumpList('-oProxyCommand=sh'), InputError);
  assert.throws(() => parseJumpList('a b'), InputError);
  assert.throws(() => parseJumpList('u@h:99999'), InputError);
});

test('parseHostTarget leaves out what was not written (the ssh config may fill it in)', () => {
  assert.deepEqual(parseHostTarget('vps'), { user: undefined, host: 'vps', port: undefined });
  assert.deepEqual(parseHostTarget('root@[2001:db8::2]:2222'), { user: 'root', host: '2001:db8::2', port: 2222 });
});

test('resolveConnection: the config\'s ProxyJump, --jump replacing it, a first hop\'s own ProxyJump in front, per-hop settings', () => {
  const config = loadSshConfig(
    [
      'Host vps',
      '  HostName 2400:8500::12',
      '  ProxyJump inner',
      'Host inner',
      '  HostName 10.1.0.1',
      '  User ops',
      '  IdentityFile /keys/inner',
      '  IdentitiesOnly yes',
      '  IdentityAgent none',
      '  ProxyJump outer:2222',
      'Host outer',
      '  HostName outer.example',
      '',
    ].join('\n'),
    () => [],
  );
  const c = resolveConnection({ host: 'vps' }, { config });
  assert.deepEqual(c.target.spec, { user: 'root', host: '2400:8500::12', port: 22 });
  assert.deepEqual(c.jumps.map((j) => j.alias), ['outer', 'inner']);
  assert.deepEqual(c.jumps[0].spec.host, 'outer.example');
  assert.equal(c.jumps[0].spec.port, 2222);
  assert.deepEqual(c.jumps[1].spec, { user: 'ops', host: '10.1.0.1', port: 22 });
  assert.deepEqual(c.jumps[1].identityFiles, ['/keys/inner']);
  assert.equal(c.jumps[1].identitiesOnly, true);
  assert.equal(c.jumps[1].agent, '', 'IdentityAgent none: no agent');
  // --jump replaces the config's ProxyJump for the target
  const j = resolveConnection({ user: 'admin', host: 'vps', port: 2200 }, { config, jump: parseJumpList('me@[2001:db8::9]') });
  assert.deepEqual(j.target.spec, { user: 'admin', host: '2400:8500::12', port: 2200 });
  assert.deepEqual(j.jumps.map((h) => h.spec), [{ user: 'me', host: '2001:db8::9', port: 22 }]);
  // a ProxyJump loop stops
  const loop = loadSshConfig('Host a\n  ProxyJump b\nHost b\n  ProxyJump a\n', () => []);
  assert.throws(() => resolveConnection({ host: 'a' }, { config: loop }), /more than 8 ProxyJump hops/);
  // a HostName that would read as an option is refused
  assert.throws(() => resolveConnection({ host: 'x' }, { config: loadSshConfig('Host x\n  HostName -oProxyCommand=sh\n', () => []) }), InputError);
});

test('IdentitiesOnly: with key files named, the agent is not offered', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'civ6-agent-'));
  try {
    const agent = join(dir, 'agent.sock');
    writeFileSync(agent, ''); // stands for the socket: authPlan only checks it exists
    const offered = async (identitiesOnly: boolean) => {
      const methods: string[] = [];
      const plan = authPlan({ username: 'u', agent, identityFiles: [join(dir, 'missing')], identitiesOnly, secrets: {}, tried: [], log: () => undefined, pauseTimer: () => undefined, armTimer: () => undefined });
      for await (const m of plan) methods.push(m.type);
      return methods;
    };
    assert.deepEqual(await offered(true), []);
    assert.deepEqual(await offered(false), ['agent']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an ssh config alias may hold "_" (Host my_vps), never start with "-"', () => {
  assert.deepEqual(parseHostTarget('deploy@my_vps'), { user: 'deploy', host: 'my_vps', port: undefined });
  assert.throws(() => parseHostTarget('-oProxyCommand=sh'), InputError);
  assert.throws(() => parseHostTarget('root@-vps'), InputError);
});

test('a config the parser cannot read is an InputError naming the file (an Include too)', () => {
  assert.throws(() => loadSshConfig('Host "unterminated\n', () => [], '/home/me/.ssh/config'), (e: unknown) => e instanceof InputError && /\/home\/me\/\.ssh\/config cannot be read/.test(e.message));
  assert.throws(() => loadSshConfig('Include bad\n', files({ bad: 'Match host\n' })), (e: unknown) => e instanceof InputError && /^bad cannot be read/.test(e.message));
});

test('host names match without regard to case, as in ssh', () => {
  const text = 'Host VPS.Example.COM\n  User one\nHost OTHER\n  HostName 10.0.0.7\nMatch Host 10.0.0.*\n  Port 2222\n';
  assert.equal(resolve(text, 'vps.example.com').user, 'one');
  assert.equal(resolve(text, 'VPS.example.com').user, 'one');
  assert.equal(resolve(text, 'Other').port, 2222);
  assert.equal(resolve(text, 'Other').hostName, '10.0.0.7');
});
