// package.json's context menus of the Hosts view against the contextValues the tree gives its items: every
// viewItem pattern (and every alternative in it) matches something the tree produces, and the binding commands
// are offered where a user looks for them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONTEXT_VALUES } from '../../src/vscode/tree/contextValues';

const ROOT = join(__dirname, '..', '..', '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const itemMenus: Array<{ command: string; when: string; group?: string }> = pkg.contributes.menus['view/item/context'];

/** the viewItem conditions of a when clause, as regexes (`viewItem == x` becomes /^x$/) */
function viewItemPatterns(when: string): RegExp[] {
  const found: RegExp[] = [];
  for (const m of when.matchAll(/viewItem\s*=~\s*\/((?:\\.|[^/\\])*)\/([a-z]*)/g)) found.push(new RegExp(m[1], m[2]));
  for (const m of when.matchAll(/viewItem\s*==\s*'?([\w.-]+)'?/g)) found.push(new RegExp(`^${m[1].replace(/\./g, '\\.')}$`));
  return found;
}

/** ^(a|b|c)$ → ^a$, ^b$, ^c$ (so a dead alternative shows); other patterns stay whole */
function alternatives(re: RegExp): RegExp[] {
  const m = /^\^\(([^()]*)\)(\$?)$/.exec(re.source);
  if (!m) return [re];
  return m[1].split('|').map((alt) => new RegExp(`^${alt}${m[2]}`, re.flags));
}

const matching = (re: RegExp) => CONTEXT_VALUES.filter((v) => re.test(v));

test('the contextValues list is exactly what items.ts assigns, each assignment checked against it by tsc', () => {
  const items = readFileSync(join(ROOT, 'src/vscode/tree/items.ts'), 'utf8');
  const assignments = [...items.matchAll(/\.contextValue\s*=\s*([^;]*);/g)].map((m) => m[1]);
  assert.ok(assignments.length >= 6, `found ${assignments.length} contextValue assignments in items.ts`);
  for (const a of assignments) assert.match(a, /satisfies ContextValue$/, `not checked against ContextValue: ${a}`);
  const produced = new Set(assignments.flatMap((a) => [...a.matchAll(/'([^']+)'/g)].map((m) => m[1])));
  assert.deepEqual([...produced].sort(), [...CONTEXT_VALUES].sort());
});

test('every item menu pattern, and every alternative in it, matches a contextValue the tree produces', () => {
  assert.ok(itemMenus.length > 0);
  const dead: string[] = [];
  for (const menu of itemMenus) {
    const patterns = viewItemPatterns(menu.when);
    assert.ok(patterns.length > 0, `${menu.command}: no viewItem condition in "${menu.when}"`);
    for (const re of patterns) {
      for (const alt of alternatives(re)) if (matching(alt).length === 0) dead.push(`${menu.command}: ${alt} (in ${re})`);
    }
  }
  assert.deepEqual(dead, []);
});

/** the contextValues each item menu entry of `command` is offered on (one list per entry) */
const offeredOn = (command: string) =>
  itemMenus.filter((m) => m.command === command).map((m) => CONTEXT_VALUES.filter((v) => viewItemPatterns(m.when).every((re) => re.test(v))));

test('Release is offered on a bound address and a container holding one, Assign on a free address and a running container without one (with or without a repair)', () => {
  assert.deepEqual(offeredOn('conohaIpv6.releaseAddress'), [['address.bound', 'address.bound.repair', 'container.bound']]);
  assert.deepEqual(offeredOn('conohaIpv6.assignAddress'), [['address.free', 'address.free.repair', 'container.free']]);
});

test('Repair Host is offered, inline and on right-click, on exactly the rows with a failing check that prepare fixes', () => {
  const repairable = CONTEXT_VALUES.filter((v) => v.endsWith('.repair'));
  assert.deepEqual(repairable, ['host.connected.repair', 'check.fail.repair', 'address.bound.repair', 'address.free.repair']);
  assert.deepEqual(offeredOn('conohaIpv6.repairHost'), [repairable, repairable]);
  assert.deepEqual(itemMenus.filter((m) => m.command === 'conohaIpv6.repairHost').map((m) => m.group?.split('@')[0]), ['inline', '2_host']);
  // a host with problems still offers what a connected host offers
  for (const c of ['conohaIpv6.prepareHost', 'conohaIpv6.verify', 'conohaIpv6.disconnect']) assert.ok(offeredOn(c)[0].includes('host.connected.repair'), c);
});

test('every item menu command is a contributed command', () => {
  const commands = new Set(pkg.contributes.commands.map((c: { command: string }) => c.command));
  assert.deepEqual(itemMenus.map((m) => m.command).filter((c) => !commands.has(c)), []);
});

test('Copy Address is offered, inline and on right-click, on every address row (free or bound, with or without a repair) and a container holding one', () => {
  const addresses = CONTEXT_VALUES.filter((v) => v.startsWith('address.') || v === 'container.bound');
  assert.deepEqual(offeredOn('conohaIpv6.copyAddress'), [addresses, addresses]);
  assert.deepEqual(itemMenus.filter((m) => m.command === 'conohaIpv6.copyAddress').map((m) => m.group?.split('@')[0]), ['inline', '0_copy']);
  // it needs an address: not in the palette (programmatic calls give { host, address })
  assert.ok(pkg.contributes.menus.commandPalette.some((m: { command: string; when: string }) => m.command === 'conohaIpv6.copyAddress' && m.when === 'false'));
});

test('Open SSH Terminal is offered on every host row, connected or not', () => {
  assert.deepEqual(offeredOn('conohaIpv6.openSshTerminal'), [CONTEXT_VALUES.filter((v) => v.startsWith('host.'))]);
});

test('a stopped container without an address offers no binding command (nothing to assign to, nothing to release or copy)', () => {
  const binding = itemMenus.filter((m) => viewItemPatterns(m.when).every((re) => re.test('container.stopped')));
  assert.deepEqual(binding.map((m) => m.command), []);
});
