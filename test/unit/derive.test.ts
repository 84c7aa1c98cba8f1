import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deriveConohaAddresses, parseAddressList, normalizeAddress } from '../../src/core/derive';
import { InputError } from '../../src/core/hostSpec';

test('the example host of the 2014 post gives ...:a157:7:235:120 .. 12f', () => {
  const set = deriveConohaAddresses('2400:8500:1301:814:157:7:235:12');
  assert.equal(set.prefix, '2400:8500:1301:814:a157:7:235:120/124');
  assert.equal(set.addresses.length, 16);
  assert.equal(set.addresses[0], '2400:8500:1301:814:a157:7:235:120');
  assert.equal(set.addresses[10], '2400:8500:1301:814:a157:7:235:12a');
  assert.equal(set.addresses[15], '2400:8500:1301:814:a157:7:235:12f');
});

test('real ConoHa hosts: 133.130.115.230 and 157.7.154.23', () => {
  const a = deriveConohaAddresses('2400:8500:1301:747:133:130:115:230');
  assert.equal(a.addresses[15], '2400:8500:1301:747:a133:130:115:230f');
  const b = deriveConohaAddresses('2400:8500:1301:1052:157:7:154:23/64');
  assert.equal(b.addresses[15], '2400:8500:1301:1052:a157:7:154:23f');
  assert.equal(b.prefix, '2400:8500:1301:1052:a157:7:154:230/124');
});

test('zero-compressed and zero-padded forms parse to the same digits', () => {
  // hextet 5 is 0 (IPv4 0.7.235.12 would be odd, but the rule still applies textually)
  const a = deriveConohaAddresses('2400:8500:1301:814::7:235:12');
  assert.equal(a.addresses[0], '2400:8500:1301:814:a0:7:235:120');
  const b = deriveConohaAddresses('2400:8500:1301:0814:0157:0007:0235:0012');
  assert.deepEqual(b.addresses, deriveConohaAddresses('2400:8500:1301:814:157:7:235:12').addresses);
  // compression in the middle of the prefix
  const c = deriveConohaAddresses('2400:8500::814:157:7:235:12');
  assert.equal(c.addresses[1], '2400:8500:0:814:a157:7:235:121');
  // uppercase input
  assert.equal(deriveConohaAddresses('2400:8500:1301:814:157:7:235:12'.toUpperCase()).addresses[0], '2400:8500:1301:814:a157:7:235:120');
});

test('1-, 2- and 3-digit octets', () => {
  assert.equal(deriveConohaAddresses('2001:db8:1:2:1:2:3:4').addresses[0], '2001:db8:1:2:a1:2:3:40');
  assert.equal(deriveConohaAddresses('2001:db8:1:2:22:2:3:44').addresses[15], '2001:db8:1:2:a22:2:3:44f');
  assert.equal(deriveConohaAddresses('2001:db8:1:2:255:255:255:255').addresses[3], '2001:db8:1:2:a255:255:255:2553');
});

test('misfits are refused with the action to name the addresses (no CLI flag in the message)', () => {
  for (const bad of [
    '2400:8500:1301:814:1157:7:235:12', // hextet 5 has 4 digits
    '2400:8500:1301:814:157:7:235:1234', // hextet 8 has 4 digits
    '2400:8500:1301:814:15a:7:235:12', // hextet 5 has a letter
    '2400:8500:1301:814:157:7:235:c', // hextet 8 has a letter
    '2400:8500:1301:814:ab00::1', // SLAAC-like
  ]) {
    assert.throws(() => deriveConohaAddresses(bad), (e: unknown) => {
      assert.ok(e instanceof InputError && /does not fit the ConoHa rule/.test(e.message) && !/--/.test(e.message) && e.actions.some((x) => x.id === 'set-host-setting' && x.setting === 'addresses'), bad);
      assert.equal(e.exitCode, 2, bad);
      assert.equal(e.changed, 'nothing', bad);
      return true;
    }, bad);
  }
});

test('malformed addresses are refused', () => {
  for (const bad of ['', 'zz', '2400::1::2', '157.7.235.12', '2400:8500:1301:814:157:7:235:12:1', 'fe80::1%eth0', '2400::1; rm -rf /']) {
    assert.throws(() => deriveConohaAddresses(bad), InputError, bad);
  }
});

test('--addresses: a /124 gives its 16 addresses, must be aligned', () => {
  const s = parseAddressList('2001:db8:0:1::10/124');
  assert.equal(s.addresses.length, 16);
  assert.equal(s.addresses[0], '2001:db8:0:1::10');
  assert.equal(s.addresses[15], '2001:db8:0:1::1f');
  assert.equal(s.prefix, '2001:db8:0:1::10/124');
  assert.throws(() => parseAddressList('2001:db8:0:1::11/124'), /not aligned.*2001:db8:0:1::10\/124/);
  assert.throws(() => parseAddressList('2001:db8:0:1::/64'), /only a \/124/);
});

test('--addresses: a list, normalized, without duplicates', () => {
  const s = parseAddressList('2001:DB8::5, 2001:db8:0:0::6 2001:db8::7/128');
  assert.deepEqual(s.addresses, ['2001:db8::5', '2001:db8::6', '2001:db8::7']);
  assert.equal(s.prefix, undefined);
  assert.throws(() => parseAddressList('2001:db8::5,2001:db8:0::5'), /twice/);
  assert.throws(() => parseAddressList('2001:db8::5,$(reboot)'), InputError);
  assert.throws(() => parseAddressList(' '), /empty/);
});

test('normalizeAddress', () => {
  assert.equal(normalizeAddress('2001:0db8:0000::0001'), '2001:db8::1');
  assert.throws(() => normalizeAddress('2001:db8::1/64'), InputError);
});
