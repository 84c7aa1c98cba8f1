import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { parseHostSpec, knownHostsName, formatHostSpec, InputError } from '../../src/core/hostSpec';
import { shq, validateContainerName, validateInterfaceName } from '../../src/core/shell';
import { parsePort, parseProbe } from '../../src/core/probe';

test('--host: user, host, port, IPv6 literals', () => {
  assert.deepEqual(parseHostSpec('vps.example.jp'), { user: 'root', host: 'vps.example.jp', port: 22 });
  assert.deepEqual(parseHostSpec('deploy@157.7.235.12:2222'), { user: 'deploy', host: '157.7.235.12', port: 2222 });
  assert.deepEqual(parseHostSpec('[2001:db8::2]:22'), { user: 'root', host: '2001:db8::2', port: 22 });
  assert.deepEqual(parseHostSpec('me@[2001:db8::2]:2200'), { user: 'me', host: '2001:db8::2', port: 2200 });
  assert.deepEqual(parseHostSpec('2001:db8::2'), { user: 'root', host: '2001:db8::2', port: 22 });
  assert.deepEqual(parseHostSpec('[fd00:c6:1::2]'), { user: 'root', host: 'fd00:c6:1::2', port: 22 });
});

test('--host: bad input is refused with the expected form', () => {
  for (const bad of ['', 'a b', 'host:0', 'host:65536', 'host:22x', '[2001:db8::2', '[nothost]:22', 'x;reboot', '$(id)@host', 'user@', '[2001:db8::2]x', '-oProxyCommand=x']) {
    assert.throws(() => parseHostSpec(bad), (e: Error) => e instanceof InputError && /\[user@\]host\[:port\]/.test(e.message), bad);
  }
});

test('known_hosts names follow OpenSSH', () => {
  assert.equal(knownHostsName('157.7.235.12', 22), '157.7.235.12');
  assert.equal(knownHostsName('2001:db8::2', 2222), '[2001:db8::2]:2222');
  assert.equal(formatHostSpec({ user: 'root', host: '2001:db8::2', port: 2222 }), 'root@[2001:db8::2]:2222');
});

test('shq survives a real shell, whatever the text', () => {
  for (const s of ["it's", '$(touch /tmp/civ6-pwned)', '`id`', 'a"b', '\\', 'new\nline', ';|&<>*?[]{}~', '']) {
    const outText = execFileSync('bash', ['-c', `printf %s ${shq(s)}`], { encoding: 'utf8' });
    assert.equal(outText, s);
  }
});

test('container and interface names: shell metacharacters are refused', () => {
  assert.equal(validateContainerName('/web_1.prod-a'), 'web_1.prod-a');
  assert.equal(validateContainerName('4f2c9a1b7d3e'), '4f2c9a1b7d3e');
  for (const bad of ['c1;rm -rf /', '$(id)', 'a b', '-rm', '', '.hidden', 'x'.repeat(129)]) {
    assert.throws(() => validateContainerName(bad), InputError, bad);
  }
  assert.equal(validateInterfaceName('ens3', '--interface'), 'ens3');
  for (const bad of ['eth0;id', 'averyveryverylongname', '..', 'a/b', '']) {
    assert.throws(() => validateInterfaceName(bad, '--interface'), /--interface/, bad);
  }
});

test('verify --port and --probe: a port 1-65535, an address or [address]:port; anything else is refused', () => {
  assert.equal(parsePort('8080', '--port'), 8080);
  assert.equal(parsePort(443, 'verifyPort'), 443);
  for (const bad of ['0', '65536', '-1', '80x', '', '1e3', ' 80']) assert.throws(() => parsePort(bad, '--port'), /--port .* is not a TCP port/, bad);
  assert.deepEqual(parseProbe('[2001:DB8::53]:53', '--probe'), { address: '2001:db8::53', port: 53 });
  assert.deepEqual(parseProbe('2001:db8::0:53', '--probe'), { address: '2001:db8::53' });
  for (const bad of ['2001:db8::53:53]', '[2001:db8::53]', '[2001:db8::53]:0', 'example.com', '$(id)', '[::1];id:53', 'ff02::1', '::1']) {
    assert.throws(() => parseProbe(bad, '--probe'), InputError, bad);
  }
});
