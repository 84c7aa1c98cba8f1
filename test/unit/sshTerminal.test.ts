// Open SSH Terminal's ssh arguments (src/vscode/sshTerminal.ts): the entry's user, port and key, the IPv6 literal
// without brackets, `--` before the destination, and nothing from a hostile entry read as an ssh option.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sshTerminalArgs, sshTerminalName } from '../../src/vscode/sshTerminal';
import { InputError } from '../../src/core/errors';

test('user, port and key file, the destination after --; an IPv6 literal without brackets', () => {
  assert.deepEqual(sshTerminalArgs({ user: 'deploy', host: '2001:db8::2', port: 2222 }, '/home/me/.ssh/id_ed25519'), [
    '-p', '2222', '-i', '/home/me/.ssh/id_ed25519', '-l', 'deploy', '--', '2001:db8::2',
  ]);
  assert.deepEqual(sshTerminalArgs({ user: 'root', host: 'vps.example', port: 22 }), ['-p', '22', '-l', 'root', '--', 'vps.example']);
  assert.deepEqual(sshTerminalArgs({ user: 'root', host: '203.0.113.7', port: 22 }), ['-p', '22', '-l', 'root', '--', '203.0.113.7']);
  assert.equal(sshTerminalName('vps1'), 'SSH vps1');
});

test('a hostile host, user or port is refused; a key file that looks like an option stays -i\'s value', () => {
  const bad: Array<[string, string, number]> = [
    ['root', '-oProxyCommand=touch /tmp/pwned', 22],
    ['root', 'vps.example -oProxyCommand=x', 22],
    ['root', '[2001:db8::2]', 22],
    ['root', 'vps.example:2222', 22],
    ['root', 'a@b', 22],
    ['-oProxyCommand=x', 'vps.example', 22],
    ['root x', 'vps.example', 22],
    ['root', 'vps.example', 0],
    ['root', 'vps.example', 70000],
    ['root', 'vps.example', Number.NaN],
    ['root', '', 22],
  ];
  for (const [user, host, port] of bad) assert.throws(() => sshTerminalArgs({ user, host, port }), /cannot open ssh/, `${user} ${host} ${port}`);
  // the key is the value of -i (getopt takes the next argument whatever it starts with), before --
  const args = sshTerminalArgs({ user: 'root', host: 'vps.example', port: 22 }, '-oProxyCommand=x');
  assert.deepEqual(args.slice(2, 4), ['-i', '-oProxyCommand=x']);
  assert.equal(args.indexOf('--'), args.length - 2);
  assert.throws(() => sshTerminalArgs({ user: 'root', host: 'vps.example', port: 22 }, 'key\n-oX'), /not a key file/);
  assert.throws(() => sshTerminalArgs({ user: 'root', host: 'vps.example', port: 22 }, ''), /not a key file/);
});

test('the known_hosts setting reaches ssh as one quoted UserKnownHostsFile, % doubled; a path ssh cannot take is refused', () => {
  const spec = { user: 'root', host: 'vps.example', port: 22 };
  assert.deepEqual(sshTerminalArgs(spec, undefined, { knownHostsFile: '/home/me/my hosts/known_hosts' }), [
    '-p', '22', '-o', 'UserKnownHostsFile="/home/me/my hosts/known_hosts"', '-l', 'root', '--', 'vps.example',
  ]);
  assert.deepEqual(sshTerminalArgs(spec, undefined, { knownHostsFile: '/k/100%d' }).slice(2, 4), ['-o', 'UserKnownHostsFile="/k/100%%d"']);
  for (const bad of ['known_hosts', '/k/"x', '/k/a\nb', '/k/a\0b', '']) {
    assert.throws(() => sshTerminalArgs(spec, undefined, { knownHostsFile: bad }), /cannot be given to ssh/, JSON.stringify(bad));
  }
});

test('the proxyJump setting becomes -J, parsed and written back; one that reads as an option is refused', () => {
  assert.deepEqual(sshTerminalArgs({ user: 'root', host: '2001:db8::2', port: 22 }, undefined, { proxyJump: 'jump@[2001:db8::1]:2222, bastion', knownHostsFile: '/k/kh' }), [
    '-p', '22', '-J', 'jump@[2001:db8::1]:2222,bastion', '-o', 'UserKnownHostsFile="/k/kh"', '-l', 'root', '--', '2001:db8::2',
  ]);
  assert.throws(() => sshTerminalArgs({ user: 'root', host: 'vps.example', port: 22 }, undefined, { proxyJump: '-oProxyCommand=sh' }), InputError);
});
