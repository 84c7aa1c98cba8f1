// Add Host's typed item, key choices and default name, and Edit Host's fields (src/vscode/hostInput.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EDIT_FIELDS, defaultName, fieldProblem, fieldValue, keyChoices, typedHostItem, withField } from '../../src/vscode/hostInput';

test('a typed host becomes "Add user@host"; a bad one carries the parser\'s message and no spec', () => {
  assert.deepEqual(typedHostItem('deploy@[2001:db8::2]'), { label: 'Add deploy@[2001:db8::2]', spec: { user: 'deploy', host: '2001:db8::2', port: 22 } });
  assert.equal(typedHostItem('root@vps.example:2222')?.label, 'Add root@vps.example:2222');
  assert.equal(typedHostItem('vps.example')?.label, 'Add root@vps.example');
  assert.equal(typedHostItem('  '), undefined);
  const bad = typedHostItem('root@[2001:db8::2');
  assert.equal(bad?.spec, undefined);
  assert.match(bad?.detail ?? '', /missing "\]"/);
  assert.match(typedHostItem('root@host:99999')?.detail ?? '', /not a port/);
});

test('key choices: ~/.ssh/id_* private keys, the agent only with SSH_AUTH_SOCK, then Browse…', () => {
  const home = mkdtempSync(join(tmpdir(), 'civ6-keys-'));
  try {
    assert.deepEqual(keyChoices(home, {}).map((k) => k.label), ['Browse…']);
    mkdirSync(join(home, '.ssh'));
    writeFileSync(join(home, '.ssh', 'id_ed25519'), '-----BEGIN OPENSSH PRIVATE KEY-----\n');
    writeFileSync(join(home, '.ssh', 'id_ed25519.pub'), 'ssh-ed25519 AAAA\n');
    writeFileSync(join(home, '.ssh', 'id_rsa'), '-----BEGIN RSA PRIVATE KEY-----\n');
    writeFileSync(join(home, '.ssh', 'id_notes'), 'not a key\n');
    writeFileSync(join(home, '.ssh', 'known_hosts'), '');
    const k = keyChoices(home, { SSH_AUTH_SOCK: '/tmp/agent.sock' });
    assert.deepEqual(k.map((x) => x.label), ['~/.ssh/id_ed25519', '~/.ssh/id_rsa', 'Use the SSH agent', 'Browse…']);
    assert.equal(k[0].identityFile, '~/.ssh/id_ed25519');
    assert.equal(k[2].identityFile, undefined);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('the default name: the first label of a host name, an address as is, unique', () => {
  assert.equal(defaultName({ user: 'root', host: 'vps.example', port: 2222 }, []), 'vps');
  assert.equal(defaultName({ user: 'root', host: '2001:db8::2', port: 22 }, []), '2001:db8::2');
  assert.equal(defaultName({ user: 'root', host: '157.7.235.12', port: 22 }, []), '157.7.235.12');
  assert.equal(defaultName({ user: 'root', host: 'vps.example', port: 22 }, ['vps', 'vps-2']), 'vps-3');
});

test('Edit Host fields: validated like the settings, empty takes an optional one out', () => {
  const e = { name: 'vps1', host: '2001:db8::2', user: 'deploy', interface: 'ens3' };
  assert.equal(fieldProblem(e, 'interface', 'eth0', []), undefined);
  assert.match(fieldProblem(e, 'interface', 'eth0; reboot', []) ?? '', /not a network interface name/);
  assert.match(fieldProblem(e, 'gateway', 'fe80::1/64', []) ?? '', /not an IPv6 address/);
  assert.match(fieldProblem(e, 'mode', 'native', []) ?? '', /is not a mode/);
  assert.equal(fieldProblem(e, 'mode', 'docker', []), undefined);
  assert.equal(fieldProblem(e, 'gateway', 'fe80::1', []), undefined);
  assert.match(fieldProblem(e, 'name', 'vps2', ['vps2']) ?? '', /already in the list/);
  assert.match(fieldProblem(e, 'host', 'root@[x', []) ?? '', /missing "\]"/);
  assert.match(fieldProblem(e, 'addresses', '2001:db8::/64', []) ?? '', /./);
  assert.deepEqual(withField(e, 'interface', ''), { name: 'vps1', host: '2001:db8::2', user: 'deploy' });
  assert.deepEqual(withField(e, 'host', 'root@vps.example:2222'), { name: 'vps1', host: 'vps.example', port: 2222, interface: 'ens3' });
  assert.deepEqual(withField(e, 'identity', '~/.ssh/id_rsa'), { ...e, identityFile: '~/.ssh/id_rsa' });
  // every field reads back what was set, and '' takes each optional one out again
  const values = { host: 'deploy@[2001:db8::9]:2222', identity: '/k/id', proxyJump: 'jump@bastion:2222', mode: 'docker', name: 'web', interface: 'eth0', gateway: 'fe80::1', bridge: 'br0', addresses: '2001:db8::/124' };
  for (const f of EDIT_FIELDS) {
    const set = withField(e, f, values[f]);
    assert.equal(fieldValue(set, f), values[f], f);
    if (f !== 'host' && f !== 'name') assert.deepEqual(withField(set, f, ''), f === 'interface' ? { name: 'vps1', host: '2001:db8::2', user: 'deploy' } : e, f);
  }
});
