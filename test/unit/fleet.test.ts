// Several hosts in one CLI call (src/core/fleet.ts): --all from a file or an ssh config pattern, the table, the exit code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FleetRow, fleetExitCode, fleetTable, hostsOfAll } from '../../src/core/fleet';

test('--all: a file of hosts (comments, blanks and repeats dropped) or a Host pattern over the ssh config', () => {
  assert.deepEqual(hostsOfAll('hosts.txt', '# fleet\nroot@[2001:db8::2]\n\nvps-a  # the first\nvps-a\n', []), ['root@[2001:db8::2]', 'vps-a']);
  const aliases = ['vps-a', 'vps-b', 'vps-old', 'web1', 'web10', 'bastion'];
  assert.deepEqual(hostsOfAll('vps-*', undefined, aliases), ['vps-a', 'vps-b', 'vps-old']);
  assert.deepEqual(hostsOfAll('vps-*,!vps-old', undefined, aliases), ['vps-a', 'vps-b']);
  assert.deepEqual(hostsOfAll('web?', undefined, aliases), ['web1']);
  assert.deepEqual(hostsOfAll('a.b', undefined, ['a.b', 'axb']), ['a.b'], 'a dot is a dot, not any character');
  assert.throws(() => hostsOfAll('db-*', undefined, aliases), /no Host alias of the ssh config matches/);
  assert.throws(() => hostsOfAll('nosuchfile', undefined, aliases), /give a file of hosts, or a pattern/);
  assert.throws(() => hostsOfAll('empty.txt', '# nothing\n', aliases), /lists no host/);
});

test('one table, a line per host in order, a summary; the exit code is the worst host\'s', () => {
  const rows: FleetRow[] = [
    { host: 'vps-a', exitCode: 0, state: 'ready', bound: '2/16', checks: '31/31' },
    { host: 'vps-b', exitCode: 1, state: '1 problem', bound: '0/16', checks: '30/31', detail: 'proxy entry missing for 2001:db8::5' },
    { host: 'dead', exitCode: 3, state: 'unreachable', detail: 'connect timed out' },
  ];
  assert.equal(
    fleetTable(rows),
    [
      'HOST   STATE        BOUND  CHECKS  DETAIL',
      'vps-a  ready        2/16   31/31',
      'vps-b  1 problem    0/16   30/31   proxy entry missing for 2001:db8::5',
      'dead   unreachable  -      -       connect timed out',
      '2 of 3 hosts failed',
    ].join('\n'),
  );
  assert.equal(fleetExitCode(rows), 3);
  assert.equal(fleetExitCode(rows.slice(0, 2)), 1);
  assert.equal(fleetExitCode(rows.slice(0, 1)), 0);
  assert.match(fleetTable(rows.slice(0, 1)), /\nthe host passes$/);
  assert.match(fleetTable(rows.slice(0, 2)), /\n1 of 2 hosts failed$/);
});
