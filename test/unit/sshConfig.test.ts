import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSshConfig } from '../../src/core/sshConfig';

test('Host aliases with their options; wildcards and Match blocks are not offered', () => {
  const text = `
# personal
Host vps1 vps1-alt
    HostName 157.7.235.12
    User deploy
    Port 2222
    IdentityFile ~/.ssh/conoha_ed25519

Host *.internal !bastion
    User nobody

Host=vps2
  Hostname=2400:8500:1301:814:157:7:235:12
  User root
  User ignored-second-value

Match host foo
  User matched
`;
  assert.deepEqual(parseSshConfig(text, () => []), [
    { alias: 'vps1', hostName: '157.7.235.12', user: 'deploy', port: 2222, identityFile: '~/.ssh/conoha_ed25519' },
    { alias: 'vps1-alt', hostName: '157.7.235.12', user: 'deploy', port: 2222, identityFile: '~/.ssh/conoha_ed25519' },
    { alias: 'vps2', hostName: '2400:8500:1301:814:157:7:235:12', user: 'root' },
  ]);
});

test('Include is followed (several files, nested), with a depth limit against loops', () => {
  const files: Record<string, string> = {
    'conf.d/*': '',
    'conf.d/a': 'Host a\n  HostName 10.0.0.1\nInclude more',
    more: 'Host b\n  User bee\nInclude more',
  };
  const read = (pattern: string) =>
    pattern === 'conf.d/*' ? [{ path: 'conf.d/a', text: files['conf.d/a'] }] : pattern === 'more' ? [{ path: 'more', text: files.more }] : [];
  const hosts = parseSshConfig('Host top\nInclude conf.d/*\n', read);
  assert.deepEqual(hosts.map((h) => h.alias), ['top', 'a', 'b']);
  assert.equal(hosts.find((h) => h.alias === 'b')!.user, 'bee');
});
