// Runs inside the real extension host (code-server's, or desktop VS Code's with npm run test:desktop),
// against the lab host the driver brought up: the commands change the lab for real.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import * as vscode from 'vscode';
import type { ConohaIpv6Api } from '../../../src/vscode/extension';
import type { TreeNode } from '../../../src/vscode/tree/nodes';
import { test } from './runner';

const HOST = process.env.CIV6_TEST_HOST ?? 'lab';
const ROOT = process.env.CIV6_ROOT ?? '';
const vps = (...a: string[]) => spawnSync('bash', [join(ROOT, 'test/lab/lab.sh'), 'vps', ...a], { encoding: 'utf8' });
const labPing = (address: string) => spawnSync('bash', [join(ROOT, 'test/lab/lab.sh'), 'ping', address], { encoding: 'utf8' }).status === 0;

let api: ConohaIpv6Api;
const manifest = () => vscode.extensions.getExtension('conoha-ipv6.conoha-ipv6')!.packageJSON;

/** a node's children as the view gets them (a host's come at once, also while it connects) */
function children(node?: TreeNode): Promise<TreeNode[]> {
  return Promise.resolve(api.tree.getChildren(node));
}
async function until(what: string, ok: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
async function hostNode(): Promise<TreeNode> {
  const h = (await children()).find((n) => n.kind === 'host' && n.session.name === HOST);
  assert.ok(h, `host ${HOST} in the tree`);
  return h;
}
async function section(name: 'checks' | 'addresses' | 'containers' | 'all'): Promise<TreeNode[]> {
  const sec = (await children(await hostNode())).find((n) => n.kind === 'section' && n.section === name);
  assert.ok(sec, `section ${name}`);
  return children(sec);
}
const label = (n: TreeNode) => api.tree.getTreeItem(n);
const labelText = (n: TreeNode) => {
  const l = label(n).label;
  return typeof l === 'string' ? l : l?.label ?? '';
};

test('activates, lazily, and registers every command of the manifest', async () => {
  const ext = vscode.extensions.getExtension<ConohaIpv6Api>('conoha-ipv6.conoha-ipv6');
  assert.ok(ext, 'extension conoha-ipv6.conoha-ipv6 is installed');
  assert.deepEqual(ext.packageJSON.activationEvents, [], 'no eager activation events: views and commands imply them');
  const wasActive = ext.isActive;
  const t0 = Date.now();
  api = await ext.activate();
  console.log(`    [info] VS Code ${vscode.version}, node ${process.versions.node}; activation: ${wasActive ? 'already active' : `${Date.now() - t0} ms`} (loading the bundle and activate()), activate() itself ${api.activationMs} ms`);
  const all = await vscode.commands.getCommands(true);
  for (const c of manifest().contributes.commands) assert.ok(all.includes(c.command), c.command);
});

test('the tree shows the configured host, not connected, with its address', async () => {
  const h = await hostNode();
  const item = label(h);
  assert.equal(item.contextValue, 'host.disconnected');
  assert.equal(item.collapsibleState, vscode.TreeItemCollapsibleState.Collapsed);
  assert.match(String(item.description), /labuser@\[fd00:c6:[0-9a-f]+::2\] · not connected/);
});

test('Connect, then the full tree: setup checks, the 16 addresses (all free), the running containers', async () => {
  const t0 = Date.now();
  assert.equal(await vscode.commands.executeCommand('conohaIpv6.connect', { host: HOST }), true);
  const addresses = await section('addresses');
  const ms = Date.now() - t0;
  console.log(`    [info] Connect -> full tree: ${ms} ms`);
  assert.equal(addresses.length, 16);
  assert.equal(label(addresses[0]).label, '2001:db8:1301:814:a157:7:235:120');
  assert.ok(addresses.every((a) => label(a).contextValue === 'address.free.repair'), 'no route or proxy entry yet: Repair Host is offered');
  const containers = (await section('containers')).map((n) => label(n).label).sort();
  assert.deepEqual(containers, ['c1', 'c2']);
  // All containers: every container, c3 (created, never started) too, none with an address yet
  const all = Object.fromEntries((await section('all')).map((n) => [labelText(n), String(label(n).description)]));
  // each with its networks (Docker's default network is named "bridge")
  assert.deepEqual(all, { c1: 'no address · bridge', c2: 'no address · bridge', c3: 'no address · created · bridge' });
  const checks = await section('checks');
  assert.ok(checks.some((n) => label(n).label === 'forwarding' && label(n).contextValue === 'check.fail.repair'), 'forwarding fails before prepare');
  // not prepared: the host row counts every failing check and offers Repair Host
  const host = label(await hostNode());
  assert.equal(host.contextValue, 'host.connected.repair');
  const failing = api.hosts.get(HOST)!.checks.filter((k) => !k.ok).length;
  assert.ok(failing > 1);
  assert.match(String(host.description), new RegExp(` · ${failing} problems$`));
  // the status bar counts the same: no address bound yet, every failing check, a warning
  const bar = api.statusBar.current!;
  assert.equal(bar.text, `$(warning) IPv6 0/16 · ${failing} problems`);
  assert.equal(bar.severity, 'warning');
  assert.match(bar.tooltip, new RegExp(`^${HOST}: 0/16 addresses bound, ${failing} problems \\(read at \\d\\d:\\d\\d:\\d\\d\\)$`, 'm'));
});

test('Show Plan opens a read-only dry-run document (rendered), and nothing changes', async () => {
  const text = await vscode.commands.executeCommand<string>('conohaIpv6.showPlan', { host: HOST });
  assert.match(text, /dry run: nothing was changed/);
  assert.match(text, /turn on IPv6 forwarding/);
  assert.match(text, /\*Why:\*/);
  assert.doesNotMatch(text, /civ6_/);
  // the Markdown preview of the document, or the document itself when the preview could not open
  assert.ok(vscode.workspace.textDocuments.some((d) => d.uri.scheme === 'conoha-ipv6-plan'), 'the plan document is open');
  const after = await section('checks');
  assert.ok(after.some((n) => label(n).label === 'forwarding' && label(n).contextValue === 'check.fail.repair'), 'still not prepared');
});

test('Prepare Host (confirm: false) prepares the lab for real: every setup check passes', async () => {
  const r = await vscode.commands.executeCommand<any>('conohaIpv6.prepareHost', { host: HOST, confirm: false });
  assert.ok(r.outcome?.ok, 'all steps applied');
  assert.ok(r.plan.steps.length >= 10);
  const checks = await section('checks');
  assert.deepEqual(checks.filter((n) => label(n).contextValue !== 'check.ok').map((n) => label(n).label), []);
});

test('Assign IPv6 to Container: c1 gets the first free address, the provider router reaches it, the tree shows it', async () => {
  const r = await vscode.commands.executeCommand<any>('conohaIpv6.assignAddress', { host: HOST, container: 'c1', confirm: false });
  assert.equal(r.address, '2001:db8:1301:814:a157:7:235:120');
  assert.ok(labPing(r.address), 'router -> container through proxy NDP');
  const row = (await section('addresses')).find((n) => label(n).label === r.address)!;
  assert.equal(label(row).contextValue, 'address.bound');
  assert.match(String(label(row).description), /→ c1/);
  assert.deepEqual((await section('containers')).map((n) => label(n).label), ['c2']);
});

test('Assign with an explicit address: c2 gets the last one', async () => {
  const c2 = (await section('containers')).find((n) => label(n).label === 'c2')!;
  assert.equal(label(c2).contextValue, 'container.free', 'c2 offers "Assign IPv6 to Container" on right-click');
  const r = await vscode.commands.executeCommand<any>('conohaIpv6.assignAddress', { host: HOST, container: 'c2', address: '2001:db8:1301:814:a157:7:235:12f' });
  assert.equal(r.address, '2001:db8:1301:814:a157:7:235:12f');
  assert.ok(labPing(r.address));
  // prepared, two addresses bound: the status bar says so, with a pass icon
  assert.equal(api.statusBar.current!.text, '$(pass) IPv6 2/16');
  assert.equal(api.statusBar.current!.severity, undefined);
});

test('All containers lists c1..c3 with their addresses (c3 stopped, none); the bound ones offer Copy Address and Release', async () => {
  const rows = await section('all');
  const all = Object.fromEntries(rows.map((n) => [labelText(n), [String(label(n).description), label(n).contextValue]]));
  assert.deepEqual(all, {
    c1: ['2001:db8:1301:814:a157:7:235:120 · bridge', 'container.bound'],
    c2: ['2001:db8:1301:814:a157:7:235:12f · bridge', 'container.bound'],
    c3: ['no address · created · bridge', 'container.stopped'],
  });
  const sec = (await children(await hostNode())).find((n) => n.kind === 'section' && n.section === 'all')!;
  assert.equal(label(sec).description, '3 · 2 with an address');
  // the bound containers have left Containers without an address (the list of what Assign can take)
  assert.deepEqual(await section('containers'), []);
  await vscode.commands.executeCommand('conohaIpv6.copyAddress', rows.find((n) => labelText(n) === 'c2'));
  assert.equal(await vscode.env.clipboard.readText(), '2001:db8:1301:814:a157:7:235:12f');
});

test('Copy Address puts the address on the clipboard: from its row, and programmatically ({ host, address })', async () => {
  const row = (await section('addresses')).find((n) => labelText(n) === '2001:db8:1301:814:a157:7:235:120')!;
  await vscode.env.clipboard.writeText('');
  assert.equal(await vscode.commands.executeCommand('conohaIpv6.copyAddress', row), '2001:db8:1301:814:a157:7:235:120');
  assert.equal(await vscode.env.clipboard.readText(), '2001:db8:1301:814:a157:7:235:120');
  await vscode.commands.executeCommand('conohaIpv6.copyAddress', { host: HOST, address: '2001:db8:1301:814:a157:7:235:12f' });
  assert.equal(await vscode.env.clipboard.readText(), '2001:db8:1301:814:a157:7:235:12f');
  await assert.rejects(Promise.resolve(vscode.commands.executeCommand('conohaIpv6.copyAddress', { host: HOST, address: '2001:db8::1' })), /not one of/);
  assert.equal(await vscode.env.clipboard.readText(), '2001:db8:1301:814:a157:7:235:12f', 'a refused address is not copied');
});

test('Open SSH Terminal opens a terminal named for the host running ssh (no shell) with the entry\'s user, port, key and known_hosts, which log in', async () => {
  const host = await hostNode();
  const e = api.hosts.get(HOST)!.entry;
  await vscode.commands.executeCommand('conohaIpv6.openSshTerminal', host);
  await until('the SSH terminal', () => vscode.window.terminals.some((t) => t.name === `SSH ${HOST}`));
  const term = vscode.window.terminals.find((t) => t.name === `SSH ${HOST}`)!;
  const o = term.creationOptions as vscode.TerminalOptions;
  assert.equal(o.shellPath, 'ssh');
  const key = e.identityFile ? ['-i', e.identityFile.replace(/^~\//, `${homedir()}/`)] : [];
  const knownHosts = vscode.workspace.getConfiguration('conohaIpv6').get<string>('knownHostsFile')!;
  assert.deepEqual(o.shellArgs, ['-p', String(e.port ?? 22), ...key, '-o', `UserKnownHostsFile="${knownHosts}"`, '-l', e.user ?? 'root', '--', e.host.replace(/^\[(.*)\]$/, '$1')]);
  assert.match(String(o.shellArgs?.at(-1)), /^fd00:c6:[0-9a-f]+::2$/, 'the IPv6 literal, without brackets');
  // the same arguments log in for real, without a question: the key is accepted and the host key is the trusted one
  const r = spawnSync('ssh', ['-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', ...o.shellArgs, 'echo', 'in'], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.stdout.trim(), 'in', r.stderr);
  term.dispose();
});

test('Verify: every check passes, pings included', async () => {
  const r = await vscode.commands.executeCommand<any>('conohaIpv6.verify', { host: HOST });
  assert.equal(r.ok, true, JSON.stringify(r.checks.filter((k: any) => !k.ok)));
  assert.ok(r.checks.some((k: any) => k.id === 'binding:2001:db8:1301:814:a157:7:235:120:ping'));
});

test('the host row is honest: "ready", then "2 problems" after changes by hand on the host, each on its row; Repair Host makes it ready', async () => {
  const hostItem = async () => label(await hostNode());
  assert.match(String((await hostItem()).description), / · ready$/);
  assert.equal(((await hostItem()).iconPath as vscode.ThemeIcon).id, 'vm-active');
  const uplink = api.hosts.get(HOST)!.config!.uplink;
  const ghost = '2001:db8:1301:814:a157:7:235:12d';
  // proxy NDP off on the uplink (Prepare Host turns it on), and a binding for a container that does not exist
  assert.equal(vps('sysctl', '-qw', `net.ipv6.conf.${uplink}.proxy_ndp=0`).status, 0);
  assert.equal(vps('sh', '-c', `echo '${ghost} ghost' >> /etc/conoha-ipv6/bindings`).status, 0);
  try {
    await vscode.commands.executeCommand('conohaIpv6.refresh', { host: HOST });
    const item = await hostItem();
    assert.match(String(item.description), / · 2 problems$/);
    assert.equal((item.iconPath as vscode.ThemeIcon).id, 'warning');
    assert.equal(item.contextValue, 'host.connected.repair', 'the host row offers Repair Host');
    // the Host setup group counts what it shows; the failing check is on its row with the reason and Repair Host
    const sec = (await children(await hostNode())).find((n) => n.kind === 'section' && n.section === 'checks')!;
    const checks = await children(sec);
    assert.equal(label(sec).description, `1 of ${checks.length} checks fails`);
    const proxyNdp = checks.find((n) => labelText(n) === 'proxy-ndp')!;
    assert.equal(label(proxyNdp).contextValue, 'check.fail.repair');
    assert.match((label(proxyNdp).tooltip as vscode.MarkdownString).value.replace(/&nbsp;/g, ' '), /proxy NDP is off/);
    // c1's own route and proxy entry are there, but the host no longer answers for its address: its row says so
    const c1 = (await section('addresses')).find((n) => labelText(n) === '2001:db8:1301:814:a157:7:235:120')!;
    assert.match(String(label(c1).description), /^→ c1 · host: proxy-ndp$/);
    assert.equal((label(c1).iconPath as vscode.ThemeIcon).id, 'warning');
    assert.match((label(c1).tooltip as vscode.MarkdownString).value.replace(/&nbsp;/g, ' '), /the host: proxy NDP is off/);
    // the binding's problem is on the address row (its own fix is Release; Repair Host is offered for proxy NDP)
    const row = (await section('addresses')).find((n) => labelText(n) === ghost)!;
    assert.match(String(label(row).description), /^→ ghost · container gone or stopped · host: proxy-ndp$/);
    assert.equal(label(row).contextValue, 'address.bound.repair');
    assert.match((label(row).tooltip as vscode.MarkdownString).value.replace(/&nbsp;/g, ' '), /no longer exists/);
  } finally {
    assert.equal(vps('sed', '-i', '/ ghost$/d', '/etc/conoha-ipv6/bindings').status, 0);
  }
  await vscode.commands.executeCommand('conohaIpv6.refresh', { host: HOST });
  assert.match(String((await hostItem()).description), / · 1 problem$/);
  const r = await vscode.commands.executeCommand<any>('conohaIpv6.repairHost', { host: HOST, confirm: false });
  assert.equal(r.outcome?.ok, true, 'the repair applied');
  assert.ok(r.checks.find((k: any) => k.id === 'proxy-ndp').ok, 'the failing check passes');
  assert.match(String((await hostItem()).description), / · ready$/);
  assert.equal((await hostItem()).contextValue, 'host.connected');
  assert.ok(labPing('2001:db8:1301:814:a157:7:235:120'), 'c1 is reachable again');
});

test('host text in tooltips is text: a bindings line with a Markdown link and a theme icon (refused by the host format) shows escaped', async () => {
  const evil = '[x](https://evil.example/)![i](https://evil.example/i.png)$(zap)';
  assert.equal(vps('sh', '-c', `echo '2001:db8:1301:814:a157:7:235:12e ${evil}' >> /etc/conoha-ipv6/bindings`).status, 0);
  try {
    await vscode.commands.executeCommand('conohaIpv6.refresh', { host: HOST });
    // the whole file is refused: the recorded-state check fails on its row, quoting the line, and the host row counts it
    const row = (await section('checks')).find((n) => labelText(n) === 'recorded-state')!;
    assert.ok(row, 'a recorded-state check row');
    for (const md of [label(row).tooltip as vscode.MarkdownString, label(await hostNode()).tooltip as vscode.MarkdownString]) {
      assert.ok(md.value.includes('evil'), md.value);
      assert.ok(!md.value.includes(evil), `no raw link, image or icon from the host: ${md.value}`);
      assert.match(md.value, /\\\[x\\\]/, 'the brackets are escaped');
    }
  } finally {
    assert.equal(vps('sed', '-i', '/evil.example/d', '/etc/conoha-ipv6/bindings').status, 0);
    await vscode.commands.executeCommand('conohaIpv6.refresh', { host: HOST });
  }
});

test('bad input is refused with a message, and nothing changes', async () => {
  await assert.rejects(() => Promise.resolve(vscode.commands.executeCommand('conohaIpv6.assignAddress', { host: HOST, container: 'nope' })), /no container "nope"/);
  // the error says what to do as an action, not as a CLI command line: the notification's button is "Release ..."
  await assert.rejects(
    () => Promise.resolve(vscode.commands.executeCommand('conohaIpv6.assignAddress', { host: HOST, container: 'c2', address: '2001:db8:1301:814:a157:7:235:120' })),
    (e: any) => /already bound to c1/.test(e.message) && !/conoha-ipv6 |--/.test(e.message) && e.exitCode === 2 && e.changed === 'nothing' && JSON.stringify(e.actions) === JSON.stringify([{ id: 'release', address: '2001:db8:1301:814:a157:7:235:120' }]),
  );
  await assert.rejects(() => Promise.resolve(vscode.commands.executeCommand('conohaIpv6.assignAddress', { host: HOST, container: 'c1; reboot' })), /not a Docker container name/);
  await assert.rejects(() => Promise.resolve(vscode.commands.executeCommand('conohaIpv6.verify', { host: 'no-such-host' })), /no host named/);
  const bound = (await section('addresses')).filter((n) => label(n).contextValue === 'address.bound').map((n) => label(n).label);
  assert.deepEqual(bound, ['2001:db8:1301:814:a157:7:235:120', '2001:db8:1301:814:a157:7:235:12f']);
});

test('Release Address frees it: the router no longer reaches it', async () => {
  const r = await vscode.commands.executeCommand<any>('conohaIpv6.releaseAddress', { host: HOST, address: '2001:db8:1301:814:a157:7:235:12f', confirm: false });
  assert.deepEqual(r.released.map((b: any) => [b.address, b.container]), [['2001:db8:1301:814:a157:7:235:12f', 'c2']]);
  assert.ok(!labPing('2001:db8:1301:814:a157:7:235:12f'));
  const row = (await section('addresses')).find((n) => label(n).label === '2001:db8:1301:814:a157:7:235:12f')!;
  assert.equal(label(row).contextValue, 'address.free');
});

test('Disconnect, and the next command reconnects by itself', async () => {
  await vscode.commands.executeCommand('conohaIpv6.disconnect', { host: HOST });
  assert.equal(label(await hostNode()).contextValue, 'host.disconnected');
  const r = await vscode.commands.executeCommand<any>('conohaIpv6.verify', { host: HOST });
  assert.equal(r.ok, true);
  assert.equal(label(await hostNode()).contextValue, 'host.connected');
  // Connect All Hosts (the view's title button while a host is not connected) connects what is not connected
  await vscode.commands.executeCommand('conohaIpv6.disconnect', { host: HOST });
  assert.deepEqual(await vscode.commands.executeCommand('conohaIpv6.connectAll', {}), { connected: [HOST], failed: [] });
  assert.equal(label(await hostNode()).contextValue, 'host.connected');
});

test('Undo Host Setup (releasing the bound address) puts the host back as it was; Prepare Host again works', async () => {
  const r = await vscode.commands.executeCommand<any>('conohaIpv6.undoHostSetup', { host: HOST, confirm: false, releaseAll: true });
  assert.equal(r.outcome.ok, true, JSON.stringify(r.outcome.results));
  assert.ok(!labPing('2001:db8:1301:814:a157:7:235:120'));
  const checks = await section('checks');
  assert.ok(checks.some((n) => /forwarding/.test(labelText(n)) && label(n).contextValue !== 'check.ok'), 'forwarding is off again');
  const again = await vscode.commands.executeCommand<any>('conohaIpv6.prepareHost', { host: HOST, confirm: false });
  assert.equal(again.outcome.ok, true);
  assert.equal(again.confirmation.outcome, 'confirmed');
});

test('a workspace cannot add hosts or move host-key trust: its .vscode/settings.json is ignored for them', async () => {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the suite runs in a folder, as a cloned repository would be opened');
  const dir = join(folder.uri.fsPath, '.vscode');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'settings.json');
  const changed = new Promise<void>((resolve) => {
    const d = vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('conohaIpv6')) {
        d.dispose();
        resolve();
      }
    });
    setTimeout(resolve, 5000);
  });
  writeFileSync(file, JSON.stringify({ 'conohaIpv6.hosts': [{ name: 'evil', host: '2001:db8::666' }], 'conohaIpv6.knownHostsFile': join(dir, 'known_hosts'), 'conohaIpv6.sshConfigFile': join(dir, 'ssh_config') }));
  try {
    await changed;
    assert.ok(!(await children()).some((n) => n.kind === 'host' && n.session.name === 'evil'), 'no host from the workspace');
    // a new connection still checks the host key against the user's known_hosts, not the workspace's
    await vscode.commands.executeCommand('conohaIpv6.disconnect', { host: HOST });
    const r = await vscode.commands.executeCommand<any>('conohaIpv6.verify', { host: HOST });
    assert.ok(r.checks.length > 0);
    assert.ok(!existsSync(join(dir, 'known_hosts')), 'nothing was recorded in the workspace');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Add Host, Edit Host and Remove Host edit conohaIpv6.hosts (programmatically, without prompts)', async () => {
  await vscode.commands.executeCommand('conohaIpv6.addHost', { name: 'spare', host: '2001:db8::99', user: 'deploy', port: 2222 });
  const hosts = vscode.workspace.getConfiguration('conohaIpv6').get<any[]>('hosts')!;
  assert.deepEqual(hosts.find((h) => h.name === 'spare'), { name: 'spare', host: '2001:db8::99', user: 'deploy', port: 2222 });
  assert.ok((await children()).some((n) => n.kind === 'host' && n.session.name === 'spare'));
  // Edit Host changes one field (what the "Set the uplink" button of an error runs, with the field named)
  await vscode.commands.executeCommand('conohaIpv6.editHost', { host: 'spare', field: 'interface', value: 'ens3' });
  await vscode.commands.executeCommand('conohaIpv6.editHost', { host: 'spare', field: 'host', value: 'ops@[2001:db8::98]:2200' });
  const edited = () => vscode.workspace.getConfiguration('conohaIpv6').get<any[]>('hosts')!.find((h) => h.name === 'spare');
  assert.deepEqual(edited(), { name: 'spare', host: '2001:db8::98', user: 'ops', port: 2200, interface: 'ens3' });
  await assert.rejects(() => Promise.resolve(vscode.commands.executeCommand('conohaIpv6.editHost', { host: 'spare', field: 'gateway', value: 'not-an-address' })), /not an IPv6 address/);
  await assert.rejects(() => Promise.resolve(vscode.commands.executeCommand('conohaIpv6.editHost', { host: 'spare', field: 'name', value: HOST })), /already in the list/);
  await vscode.commands.executeCommand('conohaIpv6.editHost', { host: 'spare', field: 'interface', value: '' });
  assert.deepEqual(edited(), { name: 'spare', host: '2001:db8::98', user: 'ops', port: 2200 });
  assert.match(String(label((await children()).find((n) => n.kind === 'host' && n.session.name === 'spare')!).description), /^ops@\[2001:db8::98\]:2200 · /);
  await vscode.commands.executeCommand('conohaIpv6.removeHost', { host: 'spare', confirm: false });
  assert.ok(!(await children()).some((n) => n.kind === 'host' && n.session.name === 'spare'));
});

test('hosts connect independently: a host that never answers shows "connecting…" and does not hold up another host\'s children; its failure shows as an error', async () => {
  // a "host" on loopback that accepts TCP and never says a word (as a dead VPS behind a black-holing firewall would)
  const sockets: Socket[] = [];
  const server = createServer((c) => sockets.push(c));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await vscode.commands.executeCommand('conohaIpv6.addHost', { name: 'dead', host: '127.0.0.1', port });
  // the user's ssh config, in a file of its own (watched: editing it gives a failed host another try)
  const sshConfig = join(homedir(), `.civ6-test-ssh-config-${process.pid}`);
  writeFileSync(sshConfig, '# no hosts yet\n');
  await vscode.workspace.getConfiguration('conohaIpv6').update('sshConfigFile', sshConfig, vscode.ConfigurationTarget.Global);
  try {
    await vscode.commands.executeCommand('conohaIpv6.disconnect', { host: HOST });
    const hosts = await children();
    const dead = hosts.find((n) => n.kind === 'host' && n.session.name === 'dead')!;
    const lab = hosts.find((n) => n.kind === 'host' && n.session.name === HOST)!;
    // expanding both: each host's children come at once
    const t0 = Date.now();
    const deadKids = await children(dead);
    const labKids = await children(lab);
    assert.ok(Date.now() - t0 < 2000, `children in ${Date.now() - t0} ms`);
    assert.deepEqual(deadKids.map(labelText), ['connecting…']);
    assert.deepEqual(labKids.map(labelText), ['connecting…']);
    assert.match(String(label(dead).description), / · connecting…$/);
    // the lab host connects and shows its tree while the dead one is still connecting
    await until('the lab host connects', () => api.hosts.get(HOST)!.state === 'connected');
    assert.equal(api.hosts.get('dead')!.state, 'connecting');
    assert.deepEqual((await children(await hostNode())).map(labelText), ['Host setup', 'Addresses', 'Containers without an address', 'All containers']);
    // the dead host's connection is cut: its row says error, its child gives the reason (a notification with Show
    // Log, Retry and Edit Host is shown, and the failure is logged)
    for (const c of sockets) c.destroy();
    await until('the dead host fails', () => api.hosts.get('dead')!.state === 'error');
    const row = (await children()).find((n) => n.kind === 'host' && n.session.name === 'dead')!;
    assert.match(String(label(row).description), / · error$/);
    const why = await children(row);
    assert.equal(why.length, 1);
    assert.ok(why[0].kind === 'message' && why[0].error && why[0].text.length > 0, JSON.stringify(why.map(labelText)));
    // the status bar: the live host's addresses, the dead one counted as unreachable, an error background
    assert.match(api.statusBar.current!.text, /^\$\(error\) IPv6 \d+\/16 · (\d+ problems? · )?1 unreachable$/);
    assert.match(api.statusBar.current!.tooltip, /^dead: error: /m);
    // the user edits ~/.ssh/config (here the file the setting names): the failed host goes back to "not connected",
    // to be tried again with it (a view that shows it expanded connects it at once); the connected one keeps its connection
    writeFileSync(sshConfig, '# no hosts yet\nHost other\n  Port 2222\n');
    await until('the ssh config change reaches the view', () => api.hosts.get('dead')!.state !== 'error');
    assert.equal(api.hosts.get(HOST)!.state, 'connected');
  } finally {
    await vscode.workspace.getConfiguration('conohaIpv6').update('sshConfigFile', undefined, vscode.ConfigurationTarget.Global);
    rmSync(sshConfig, { force: true });
    server.close();
    for (const c of sockets) c.destroy();
    await vscode.commands.executeCommand('conohaIpv6.removeHost', { host: 'dead', confirm: false });
  }
}, 90_000);
