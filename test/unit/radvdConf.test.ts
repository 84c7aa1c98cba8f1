import { test } from 'node:test';
import assert from 'node:assert/strict';
import { desiredRadvdConf, parseRadvdConf, MANAGED_BEGIN } from '../../src/core/radvdConf';

const existing = `# provider LAN
interface dmz0 {
  AdvSendAdvert on;
  prefix 2001:db8:1::/64 { AdvOnLink on; AdvAutonomous on; };
  route 2001:db8:2::/48 { AdvRoutePreference high; };
};

interface eth1
{
  AdvSendAdvert off; # not yet
};
`;

test('parses interface stanzas, with nested blocks and comments', () => {
  assert.deepEqual(parseRadvdConf(existing), [
    { name: 'dmz0', advertises: true, managed: false },
    { name: 'eth1', advertises: false, managed: false },
  ]);
});

test('adds our block and keeps every other stanza byte for byte', () => {
  const d = desiredRadvdConf(existing, 'docker0');
  assert.equal(d.conflict, undefined);
  assert.ok(d.text.startsWith(existing));
  assert.ok(d.text.includes(MANAGED_BEGIN));
  assert.deepEqual(parseRadvdConf(d.text).map((i) => [i.name, i.advertises, i.managed]), [
    ['dmz0', true, false],
    ['eth1', false, false],
    ['docker0', true, true],
  ]);
  // idempotent: applying again changes nothing
  assert.equal(desiredRadvdConf(d.text, 'docker0').text, d.text);
});

test('a missing file gets only our block', () => {
  const d = desiredRadvdConf(undefined, 'docker0');
  assert.match(d.text, /^# BEGIN conoha-ipv6[^\n]*\ninterface docker0 \{\n  AdvSendAdvert on;\n\};\n# END conoha-ipv6\n$/);
});

test('our old block for another bridge is replaced, not duplicated', () => {
  const old = desiredRadvdConf(existing, 'br-old').text;
  const d = desiredRadvdConf(old, 'docker0');
  const names = parseRadvdConf(d.text).map((i) => i.name);
  assert.deepEqual(names, ['dmz0', 'eth1', 'docker0']);
  assert.equal(d.text.split(MANAGED_BEGIN).length, 2);
});

test("the user's own advertising stanza for the bridge is left alone", () => {
  const own = existing + 'interface docker0 { AdvSendAdvert on; MaxRtrAdvInterval 30; };\n';
  assert.deepEqual(desiredRadvdConf(own, 'docker0'), { text: own });
});

test("the user's own stanza that does not advertise is a conflict, not an edit", () => {
  const own = existing + 'interface docker0 { AdvSendAdvert off; };\n';
  const d = desiredRadvdConf(own, 'docker0');
  assert.equal(d.text, own);
  assert.match(d.conflict ?? '', /already has a stanza for docker0/);
});
