// Issue 11, "the plan speaks plainly": every Prepare Host step says why in plain words, lists the files it writes,
// and Show Plan's Markdown shows them without the tool's internal helpers and with fences nothing can break.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSnapshot } from '../../src/core/snapshot';
import { resolveHostConfig } from '../../src/core/config';
import { planHostSetup, sysctlConfText, unitText, Plan, Step } from '../../src/core/plan';
import { PATHS } from '../../src/core/hostContract';
import { artifacts } from '../../src/host/scripts';
import { changes, confirmLines, fenceFor, planMarkdown, readableScript, shortWhy } from '../../src/vscode/planText';

const fixture = (name: string) => readFileSync(join(__dirname, '../../../test/fixtures', name), 'utf8');
const fresh = () => parseSnapshot(fixture('lab-fresh.json'));
const prepared = () => parseSnapshot(fixture('lab-prepared.json'));
const JARGON = [/proxy_ndp/i, /accept_ra/i, /AdvSendAdvert/i, /neighbou?r solicitation/i, /sysctl/i, /\bRA\b/, /\bNDP\b/, /civ6_/i, /\/128/];

/** plans that between them hold every kind of prepare step */
function plans(): { name: string; plan: Plan }[] {
  const out: { name: string; plan: Plan }[] = [];
  const s = fresh();
  out.push({ name: 'fresh', plan: planHostSetup(s, resolveHostConfig(s), artifacts) });
  const r = fresh();
  out.push({ name: 'fresh, commit-confirmed', plan: planHostSetup(r, resolveHostConfig(r), artifacts, { rollbackSeconds: 60 }) });
  const n = fresh();
  n.tools.radvd = false;
  n.systemd = true;
  out.push({ name: 'fresh, systemd, no radvd', plan: planHostSetup(n, resolveHostConfig(n), artifacts) });
  const p = prepared();
  p.systemd = true;
  p.radvd.enabled = 'disabled';
  out.push({ name: 'prepared, new agent', plan: planHostSetup(p, resolveHostConfig(p), { agent: '#!/bin/bash\necho hi\n', agentSha256: '0'.repeat(64) }) });
  return out;
}

test('every prepare step has a why, in plain words without the recipe\'s terms', () => {
  const seen = new Set<string>();
  for (const { name, plan } of plans()) {
    assert.ok(plan.steps.length > 0, name);
    for (const step of plan.steps) {
      seen.add(step.id);
      assert.ok(step.why && step.why.length > 20, `${name}: ${step.id} has a why`);
      assert.match(step.why, /^[A-Za-z].*\.$/s, `${name}: ${step.id}'s why is a sentence`);
      for (const j of JARGON) assert.doesNotMatch(step.why, j, `${name}: ${step.id}'s why uses ${j}`);
    }
  }
  for (const id of ['record-previous', 'accept-ra', 'forwarding', 'proxy-ndp', 'sysctl-conf', 'radvd-install', 'radvd-conf', 'radvd-start', 'radvd-enable', 'routes', 'proxies', 'agent', 'host-conf', 'unit', 'watcher', 'arm-rollback']) {
    assert.ok(seen.has(id), `covered: ${id}`);
  }
});

test('the words of the steps the issue names', () => {
  const s = fresh();
  const steps = planHostSetup(s, resolveHostConfig(s), artifacts).steps;
  const why = (id: string) => steps.find((x) => x.id === id)!.why!;
  assert.match(why('proxy-ndp'), /router asks .* who has each address.*answers for the containers' addresses/);
  assert.match(why('accept-ra'), /drop the host's way out/);
  assert.match(why('radvd-conf'), /way out/);
  assert.match(why('routes'), /into docker0/);
});

test('file-writing steps list their files with the real content, the same the script writes', () => {
  const s = fresh();
  const c = resolveHostConfig(s);
  const steps = planHostSetup(s, c, artifacts).steps;
  const files = (id: string) => steps.find((x) => x.id === id)!.files ?? [];
  assert.deepEqual(files('sysctl-conf'), [{ path: PATHS.sysctlConf, mode: '0644', content: sysctlConfText(c, true) }]);
  assert.deepEqual(files('unit'), [{ path: PATHS.unit, mode: '0644', content: unitText() }]);
  assert.deepEqual(files('agent'), [{ path: PATHS.agent, mode: '0755', content: artifacts.agent }]);
  assert.match(files('radvd-conf')[0].content, /interface docker0 \{\n {2}AdvSendAdvert on;\n\};/);
  assert.match(files('radvd-conf')[0].content, /interface dmz0/, 'other stanzas kept');
  assert.equal(JSON.parse(files('record-previous')[0].content).uplink, 'ens3');
  for (const step of steps) {
    const written = [...step.script.matchAll(/civ6_write '([^']*)' ([0-7]+) '([^']*)'/g)];
    assert.equal(written.length, step.files?.length ?? 0, `${step.id}: every file written is listed`);
    for (const [, path, mode, b64] of written) {
      const f = step.files!.find((x) => x.path === path)!;
      assert.equal(f.mode, mode);
      assert.equal(Buffer.from(b64, 'base64').toString('utf8'), f.content, `${step.id}: ${path} listed as written`);
    }
    if (!step.files) assert.ok(!('files' in step), `${step.id}: no empty files list`);
  }
});

test('Show Plan\'s Markdown: titles, whys, files and commands, never the internal helpers', () => {
  for (const { name, plan } of plans()) {
    const c = resolveHostConfig(name.startsWith('prepared') ? prepared() : fresh());
    const md = planMarkdown('lab', c, plan);
    assert.doesNotMatch(md, /civ6_/i, name);
    assert.match(md, /dry run: nothing was changed/);
    for (const step of plan.steps) assert.ok(md.includes(step.why!.replace(/[\\`*_[\]<>|#~]/g, (x) => '\\' + x)), `${name}: why of ${step.id}`);
  }
  const s = fresh();
  const armed = planHostSetup(s, resolveHostConfig(s), artifacts, { rollbackSeconds: 60 });
  const md = planMarkdown('lab', resolveHostConfig(s), armed);
  assert.match(md, /^write \/etc\/sysctl\.d\/60-conoha-ipv6\.conf \(mode 0644\)$/m);
  assert.match(md, /net\.ipv6\.conf\.ens3\.proxy_ndp = 1/, 'the sysctl file is shown');
  assert.match(md, /Writes `\/etc\/radvd\.conf`/);
  assert.match(md, /the conoha-ipv6 agent itself/, 'the agent is named, not shown');
  assert.match(md, /# wait up to 3 s until radvd runs/);
  assert.match(md, /Writes `[^`]*rollback[^`]*` \(mode 0700/, 'the rollback script (written by arm-rollback) is shown too');
  assert.ok(md.includes(`\n${armed.steps.length} changes:\n`));
  assert.match(planMarkdown('lab', resolveHostConfig(s), { steps: [], notes: [] }), /Nothing to change/);
});

test('a fence longer than any backtick run: hostile content cannot close the block', () => {
  assert.equal(fenceFor('plain'), '```');
  assert.equal(fenceFor('a ``` b'), '````');
  assert.equal(fenceFor('`````x`'), '``````');
  const hostile = 'line\n```\n# Injected heading\n````\n[link](http://evil)\n';
  const step: Step = { id: 'radvd-conf', title: 'advertise', script: "civ6_write '/etc/radvd.conf' 0644 'x'", why: 'Because.', files: [{ path: '/etc/radvd.conf', mode: '0644', content: hostile }] };
  const md = planMarkdown('lab', resolveHostConfig(fresh()), { steps: [step], notes: [] });
  const open = md.indexOf('`````\n' + hostile);
  assert.ok(open >= 0, md);
  const close = md.indexOf('\n`````\n', open + 6);
  assert.equal(close, open + 6 + hostile.length - 1, 'the block ends after the whole content, at the longer fence');
  // no line of the content starts a fence of the block's length
  assert.ok(!hostile.split('\n').some((l) => /^`{5,}/.test(l)));
});

test('a script line written by another path than the listed files is decoded and shown', () => {
  const r = readableScript({ id: 'x', title: 'x', script: `civ6_write /var/x 0700 '${Buffer.from('echo rollback\n').toString('base64')}'\necho done` });
  assert.equal(r.script, 'write /var/x (mode 0700)\necho done');
  assert.deepEqual(r.files, [{ path: '/var/x', mode: '0700', content: 'echo rollback\n' }]);
});

test('the Prepare confirmation: real plurals, each title followed by its why, short', () => {
  assert.equal(changes(1), '1 change');
  assert.equal(changes(3), '3 changes');
  assert.equal(changes(0), '0 changes');
  const s = fresh();
  const steps = planHostSetup(s, resolveHostConfig(s), artifacts).steps;
  const lines = confirmLines(steps).split('\n');
  assert.equal(lines.length, steps.length * 2);
  steps.forEach((x, i) => {
    assert.equal(lines[2 * i], `${i + 1}. ${x.title}`);
    assert.match(lines[2 * i + 1], /^ {4}\S/);
    assert.ok(lines[2 * i + 1].length <= 4 + 220, `${x.id}: short`);
  });
  assert.equal(shortWhy('First one. Second one.'), 'First one');
  assert.ok(shortWhy('word '.repeat(100)).endsWith('…'));
});
