// conoha-ipv6: the same operations as the VS Code extension, from a terminal.
// Exit codes: 0 done / all checks pass, 1 a check or a step failed, 2 bad usage or input or a refusal
// (nothing changed), 3 connection, authentication or host-key failure.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Check } from './core/checks';
import { HostConfig, Overrides } from './core/config';
import { deriveConohaAddresses, normalizeAddress, parseAddressList } from './core/derive';
import { InputError, parseHostTarget } from './core/hostSpec';
import { JumpHop, parseJumpList } from './core/sshConfig';
import type { HopWithKeys } from './host/sshConfigFile';
import type { KeyboardInteractiveQuestion, SshHopOptions } from './host/sshTransport';
import { Plan } from './core/plan';
import { hostsOfAll } from './core/fleet';
import { parseSshConfig } from './core/sshConfig';
import { validateContainerName, validateInterfaceName } from './core/shell';
import { HostSnapshot, containersWithoutAddress, sysctl } from './core/snapshot';
import { addressRows } from './core/addressRows';
import { Action, Civ6Error, EXIT, changedText } from './core/errors';
import { ApplyOutcome, VerifyOptions, assign, composeSnippetOf, prepare, release, status, unprepare, verify } from './host/operations';
import { composeGroups } from './core/compose';
import { LABELS, matches } from './core/hostContract';
import { parsePort, parseProbe } from './core/probe';
import { validRollbackSeconds } from './core/rollback';
import { Transport, TransportError } from './host/transport';
import { shq } from './core/shell';
import { parseMode } from './core/nativePlan';
import { nativeCommand } from './cliNative';
import { readHost } from './host/nativeOperations';
import { cliLang, cliMessages } from './cliMessages';
import { bundleL10n, installL10n } from './core/l10n';
import jaBundle from '../l10n/bundle.l10n.ja.json';

/** the CLI's own words in the user's language (LC_ALL / LC_MESSAGES / LANG) */
const M = cliMessages();

const USAGE = `usage:
  conoha-ipv6 derive <ipv6> [--json]                  the 16 extra addresses of a ConoHa host address
  conoha-ipv6 status  --host H [--json]               what the host looks like (one round trip)
  conoha-ipv6 prepare --host H [--dry-run] [--json] [--rollback-seconds N]
                                                      set the host up (idempotent; --dry-run shows the plan only);
                                                      changes to forwarding, accept_ra, proxy NDP or the default route
                                                      are confirmed over a new connection, else the host rolls them
                                                      back by itself after N seconds (default 60)
  conoha-ipv6 unprepare --host H [--dry-run] [--release-all]
                                                      undo prepare: the host as it was before the first prepare
                                                      (refused while addresses are bound, unless --release-all)
  conoha-ipv6 assign  --host H <container> [<address>] [--network NET]
                                                      give a container an address (first free unless named) on one of
                                                      its bridge networks (default: its network on the host's bridge,
                                                      else its first bridge network)
  conoha-ipv6 compose-snippet --host H <container|service>
                                                      the labels and networks: block to paste into a compose file, so
                                                      the host binds the address whenever the service starts
  conoha-ipv6 release --host H <address|container>    take an address back
  conoha-ipv6 verify  --host H [--json] [--port N] [--probe ADDR[:PORT]]
                                                      check everything; exit 0 when all checks pass, 1 otherwise
      --port N                from here, a TCP connection to each bound container address on port N
      --probe ADDR | [ADDR]:PORT  from each bound container, a TCP connection (or a ping) to ADDR: does it reach out?
  conoha-ipv6 status|verify --host H --host H2 ... | --all FILE|PATTERN [--json]
                                                      several hosts, 4 at a time: one table (a line per host), exit
                                                      code of the worst host (3 one is unreachable, 1 a check fails);
                                                      --all FILE: one host per line; --all 'vps-*': the ssh config's
                                                      Host aliases that match
  conoha-ipv6 export --format ansible|cloud-init [--out FILE] [--interface N] [--gateway A] [--bridge N] [--addresses L]
                                                      the setup of prepare for many hosts: an Ansible playbook (host
                                                      variables conoha_ipv6_*), or cloud-init user-data for a new VPS
                                                      (host settings: baked in; unset ones are worked out at first boot)

connection:
  --host [user@]host[:port]   IPv6 literal in brackets: root@[2001:db8::2]:22 (default user root, port 22); the host
                              may be a Host alias of ~/.ssh/config, which gives HostName, User, Port, IdentityFile,
                              IdentityAgent, IdentitiesOnly and ProxyJump (Include and Match host are followed)
  --jump [user@]host[:port]   reach the host through this SSH jump host (bastion), like ssh -J; repeat it or give a
                              comma-separated list for several hops; replaces the ssh config's ProxyJump. Every hop's
                              host key is checked against known_hosts, like the host's
  --ssh-config FILE           the ssh config to read instead of ~/.ssh/config (like ssh -F)
  --local                     run on this machine instead of over SSH (as root, or through sudo -n)
  --identity FILE             private key (a passphrase is asked on a terminal, or read from CONOHA_IPV6_PASSPHRASE);
                              without it: the SSH agent (SSH_AUTH_SOCK), then ~/.ssh/id_ed25519, id_ecdsa, id_rsa
  --known-hosts FILE          default ~/.ssh/known_hosts; unknown host keys are refused unless --accept-new
  --accept-new                trust and record a host key seen for the first time (a changed key is always refused)
  one-time codes and other keyboard-interactive questions of a host or jump host are asked on the terminal
host settings (default: what the host tells, or recorded at its last prepare):
  --interface NAME            the uplink (default: the default route's interface)
  --bridge NAME               the Docker bridge (default docker0)
  --gateway ADDR              the IPv6 router (default: the current default route's gateway)
  --addresses LIST|PREFIX/124 the extra addresses, when the host's address does not follow the ConoHa rule
  --mode radvd|docker         radvd (default): radvd, /128 routes to docker0 and the agent; docker: one Docker IPv6
                              network on the /124, containers join it with a fixed address (README "Docker-native
                              mode"); prepare with the other mode switches (undo, then prepare; --release-all first
                              releases what is bound)
`;

interface Args {
  command: string;
  positional: string[];
  flags: Map<string, string | true>;
  /** every --host given, in order (status and verify take several) */
  hosts: string[];
}

const VALUE_FLAGS = new Set(['mode', 'network', 'host', 'all', 'jump', 'ssh-config', 'identity', 'known-hosts', 'interface', 'bridge', 'gateway', 'addresses', 'port', 'probe', 'rollback-seconds', 'format', 'out']);
const BOOL_FLAGS = new Set(['json', 'dry-run', 'accept-new', 'local', 'help', 'version', 'release-all']);

class UsageError extends InputError {}

function parseArgs(argv: string[]): Args {
  const flags = new Map<string, string | true>();
  const positional: string[] = [];
  const hosts: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      if (VALUE_FLAGS.has(name)) {
        const v = eq > 0 ? a.slice(eq + 1) : argv.at(++i);
        if (v === undefined || (eq < 0 && v.startsWith('--'))) throw new UsageError(M.needsValue(name));
        // --jump may be repeated: the hops in order, as one ssh -J list; --host too: several hosts (status, verify)
        const before = flags.get(name);
        flags.set(name, name === 'jump' && typeof before === 'string' ? `${before},${v}` : v);
        if (name === 'host') hosts.push(v);
      } else if (BOOL_FLAGS.has(name) && eq < 0) {
        flags.set(name, true);
      } else {
        throw new UsageError(M.unknownOption(a));
      }
    } else if (a === '-h') {
      flags.set('help', true);
    } else {
      positional.push(a);
    }
  }
  return { command: positional.shift() ?? '', positional, flags, hosts };
}

const str = (a: Args, k: string) => (typeof a.flags.get(k) === 'string' ? (a.flags.get(k) as string) : undefined);

function overridesFrom(a: Args): Overrides {
  const o: Overrides = {};
  const itf = str(a, 'interface');
  if (itf !== undefined) o.interface = validateInterfaceName(itf, '--interface');
  const br = str(a, 'bridge');
  if (br !== undefined) o.bridge = validateInterfaceName(br, '--bridge');
  const gw = str(a, 'gateway');
  if (gw !== undefined) o.gateway = gw;
  const ad = str(a, 'addresses');
  if (ad !== undefined) o.addresses = parseAddressList(ad, '--addresses');
  const mode = str(a, 'mode');
  if (mode !== undefined) o.mode = parseMode(mode, '--mode');
  return o;
}

function verifyOptionsFrom(a: Args): VerifyOptions {
  const port = str(a, 'port');
  const probe = str(a, 'probe');
  return { port: port === undefined ? undefined : parsePort(port, '--port'), probe: probe === undefined ? undefined : parseProbe(probe, '--probe') };
}

async function askHidden(prompt: string): Promise<string> {
  if (process.env.CONOHA_IPV6_PASSPHRASE !== undefined) return process.env.CONOHA_IPV6_PASSPHRASE;
  if (!process.stdin.isTTY) throw new TransportError('auth', M.keyEncrypted);
  return readTty(prompt, false);
}

/** keyboard-interactive (one-time codes, PAM questions): asked on the terminal only, never read from elsewhere */
async function askKeyboard(q: KeyboardInteractiveQuestion): Promise<string[]> {
  if (!process.stdin.isTTY || !process.stderr.isTTY) {
    throw new TransportError('auth', `${q.who} asks for keyboard-interactive answers (${q.prompts.map((p) => p.prompt.trim()).join(' ')}), such as a one-time code, and this is not a terminal: run the command on a terminal, or log in with a key that host accepts alone`);
  }
  process.stderr.write(printable(`(${q.who} asks)\n`));
  if (q.name) process.stderr.write(printable(q.name) + '\n');
  if (q.instructions) process.stderr.write(printable(q.instructions) + '\n');
  const answers: string[] = [];
  for (const p of q.prompts) answers.push(await readTty(printable(p.prompt), p.echo));
  return answers;
}

let ttyTurn: Promise<unknown> = Promise.resolve();
/** one line from the terminal, shown as typed only when `echo`; one question at a time (hosts connect in parallel) */
function readTty(prompt: string, echo: boolean): Promise<string> {
  const mine = ttyTurn.then(() => readTtyNow(prompt, echo));
  ttyTurn = mine.catch(() => undefined);
  return mine;
}

function readTtyNow(prompt: string, echo: boolean): Promise<string> {
  process.stderr.write(prompt);
  const stdin = process.stdin;
  stdin.setRawMode(true);
  stdin.resume();
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer) => {
      for (const ch of d.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          done();
          resolve(buf);
          return;
        }
        if (ch === '\u0003') {
          done();
          reject(new TransportError('auth', M.cancelled));
          return;
        }
        if (ch === '\u007f') {
          if (echo && buf) process.stderr.write('\b \b');
          buf = buf.slice(0, -1);
        } else {
          buf += ch;
          if (echo) process.stderr.write(printable(ch));
        }
      }
    };
    const done = () => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
    };
    stdin.on('data', onData);
  });
}

async function openTransport(a: Args): Promise<Transport> {
  if (a.flags.get('local')) {
    const { localTransport } = await import('./host/localTransport');
    return localTransport();
  }
  const hostText = str(a, 'host');
  if (!hostText) throw new UsageError(M.needsHost(a.command));
  const { target, jump } = connectionInput(a);
  const { connectSsh } = await import('./host/sshTransport');
  // the ssh config (--ssh-config, else ~/.ssh/config) says how to reach the host and each jump host; where OpenSSH
  // would look for and record each one's key comes from ssh -G; --known-hosts replaces the user files
  const { readSshConfig, resolveConnection, connectionWithHostKeys } = await import('./host/sshConfigFile');
  const configFile = str(a, 'ssh-config');
  const resolved = resolveConnection(target, { config: readSshConfig(configFile), jump });
  const pending = connectionWithHostKeys(resolved, { knownHostsFile: str(a, 'known-hosts'), fallbackKnownHostsFile: join(homedir(), '.ssh', 'known_hosts'), configFile });
  // ssh2 loads (tens of ms of CPU; connectSsh would load it next) while ssh -G runs
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loads ssh2 (the CPU-heavy part of start-up) while ssh -G runs, before it is needed
  require('ssh2');
  const c = await pending;
  const hop = (h: HopWithKeys, identity?: string): SshHopOptions => {
    const { alias: _alias, identityFiles, ...rest } = h;
    const file = identity ?? identityFiles.at(0);
    return { ...rest, identityFile: file, identityFiles, passphrase: () => askHidden(M.passphrase(String(file))) };
  };
  return connectSsh({
    ...hop(c.target, str(a, 'identity')),
    jumps: c.jumps.map((j) => hop(j)),
    acceptNew: a.flags.get('accept-new') === true,
    onKeyboardInteractive: askKeyboard,
    log: debug,
  });
}

/** --host and --jump, parsed (bad ones are a usage error, before anything connects) */
function connectionInput(a: Args): { target: JumpHop; jump?: JumpHop[] } {
  const hostText = str(a, 'host') ?? '';
  const target = parseHostTarget(hostText);
  const jumpText = str(a, 'jump');
  return { target, jump: jumpText === undefined ? undefined : parseJumpList(jumpText) };
}

/** The options that name the host and how to reach it, as the user gave them: repeated in suggested commands. */
function connectionArgs(argv: string[]): string {
  const a = (() => {
    try {
      return parseArgs(argv);
    } catch {
      return undefined;
    }
  })();
  if (!a) return '--host HOST';
  if (a.flags.get('local')) return '--local';
  const keep = ['host', 'jump', 'ssh-config', 'identity', 'known-hosts', 'interface', 'bridge', 'gateway', 'addresses', 'mode'];
  return keep.flatMap((k) => (typeof a.flags.get(k) === 'string' ? [`--${k} ${shq(a.flags.get(k) as string)}`] : [])).join(' ') || '--host HOST';
}

const SETTING_HINT: Record<Extract<Action, { id: 'set-host-setting' }>['setting'], string> = M.settingHint;

/** An action as the command line that carries it out. */
function actionText(x: Action, conn = connectionArgs(process.argv.slice(2))): string {
  const cmd = (...words: string[]) => ['conoha-ipv6', ...words, conn].join(' ');
  switch (x.id) {
    case 'prepare':
      return cmd('prepare');
    case 'unprepare':
      return cmd('unprepare', ...(x.releaseAll ? ['--release-all'] : []));
    case 'assign':
      return cmd('assign', shq(x.container), ...(x.address ? [x.address] : []));
    case 'release':
      return cmd('release', x.address);
    case 'verify':
      return cmd('verify');
    case 'trust-host-key':
      return M.trustHostKey;
    case 'set-host-setting':
      return M.setHostSetting(SETTING_HINT[x.setting]);
    case 'start-container':
      return M.startContainer(shq(x.container));
    case 'retry':
      return M.retry;
  }
}

/** Host text (hostnames, container names, messages quoting the host) never reaches the terminal as control
 * characters: an escape sequence from a hostile host is shown as \xNN, not obeyed. */
const printable = (s: string) => s.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
const out = (s = '') => process.stdout.write(printable(s) + '\n');
/** CONOHA_IPV6_DEBUG=1: every round trip and step on stderr (what the benchmark counts) */
const debug = process.env.CONOHA_IPV6_DEBUG ? (l: string) => process.stderr.write(`debug: ${l}\n`) : undefined;
const obs = { log: debug };
const json = (v: unknown) => out(JSON.stringify(v, null, 2));

function describeConfig(c: HostConfig): string {
  const how = { option: M.addressSource.option, recorded: M.addressSource.recorded, 'conoha-rule': M.addressSource['conoha-rule'](String(c.hostAddress)) }[c.addressSource];
  return M.config(c.uplink, c.gateway, c.bridge, c.addresses.length, c.prefix ?? '', how);
}

function printPlan(host: string, p: Plan, c: HostConfig): void {
  out(M.planFor(host, describeConfig(c)));
  if (p.steps.length === 0) out(M.nothingToChange);
  p.steps.forEach((s, i) => {
    out(`  ${i + 1}. ${s.title}`);
    if (s.why) out(`       ${M.why} ${s.why}`);
  });
  for (const n of p.notes) out(`  ${M.note} ${n}`);
}

function printUndoPlan(host: string, p: Plan): void {
  out(M.undoPlanFor(host));
  p.steps.forEach((s, i) => out(`  ${i + 1}. ${s.title}`));
  for (const n of p.notes) out(`  ${M.note} ${n}`);
}

function printResults(p: Plan, o: ApplyOutcome): void {
  out(M.result);
  o.results.forEach((res, i) => {
    const mark = res.rc === 0 ? 'done' : res.rc === null ? 'skip' : 'FAIL';
    out(`  ${mark} ${p.steps[i]?.title ?? res.id} (${res.ms} ms)`);
    if (res.rc !== 0 && res.output.trim()) out(res.output.trim().replace(/^/gm, '       '));
  });
}

/** the checks given, then the count line; `total` when only some (the failed ones) are listed */
function printChecks(checks: Check[], total = checks.length): void {
  for (const c of checks) out(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.id}: ${c.message}${c.fix ? `\n         ${M.toFix} ${actionText(c.fix)}` : ''}`);
  const failed = checks.filter((c) => !c.ok).length;
  out(M.checks(total - failed, failed));
}

function printStatus(s: HostSnapshot, c: HostConfig | undefined, err: string | undefined): void {
  out(`${s.hostname} (${s.osId || M.unknownOs}, ${M.systemd(s.systemd)}, ${s.uid === 0 ? 'root' : M.uid(s.uid)}${s.sudoUser ? M.viaSudo(s.sudoUser) : ''})`);
  out(`  docker: ${s.docker.ok ? s.docker.version : s.tools.docker ? M.dockerNotAnswering(s.docker.error) : M.notInstalled}`);
  out(`  radvd: ${!s.tools.radvd ? M.notInstalled : M.running(s.radvd.running)}${s.radvd.interfaces.length ? M.advertisesOn(s.radvd.interfaces.filter((i) => i.advertises).map((i) => i.name).join(', ')) : ''}`);
  for (const e of s.stateErrors) out(`  ${M.recordedState} ${e}`);
  if (!c) {
    out(M.cannotWorkOutAddresses(String(err)));
    return;
  }
  out(`  ${describeConfig(c)}`);
  out(`  forwarding=${sysctl(s, 'all', 'forwarding')} proxy_ndp(${c.uplink})=${sysctl(s, c.uplink, 'proxy_ndp')} accept_ra(${c.uplink})=${sysctl(s, c.uplink, 'accept_ra')}; ${M.prepared(!!s.recorded)}`);
  for (const r of addressRows(s, c)) {
    const flags = `${r.routed ? 'route' : '-----'} ${r.proxied ? 'proxy' : '-----'}`;
    const from = r.source === 'label' ? ', from its label' : '';
    out(`  ${r.address.padEnd(40)} ${flags}  ${r.container ? '-> ' + r.container + (r.recorded ? '' : M.notRecorded) + (r.network ? ` (network ${r.network}, bridge ${r.bridge}${from})` : '') : M.free}`);
  }
  const free = containersWithoutAddress(s, c.addresses);
  if (free.length) out(M.containersWithoutAddress(free.map((k) => k.name).join(', ')));
  for (const g of composeGroups(s.docker.containers)) {
    if (!g.project) continue;
    out(`  compose project ${g.project}:`);
    for (const k of g.containers) out(`    ${k.name}${k.labels.service ? ` (service ${k.labels.service})` : ''}, ${k.state}, networks: ${k.networks.join(', ') || 'none'}${k.labels.address ? `, label ${LABELS.address}=${k.labels.address}` : ''}`);
  }
}

/** The hosts of a call on several (--host repeated, or --all FILE|PATTERN), undefined for a call on one. */
async function fleetHosts(a: Args): Promise<string[] | undefined> {
  const all = str(a, 'all');
  if (all === undefined) return a.hosts.length > 1 ? a.hosts : undefined;
  if (a.hosts.length) throw new UsageError('give --host or --all, not both');
  let text: string | undefined;
  try {
    if (statSync(all).isFile()) text = readFileSync(all, 'utf8').slice(0, 1 << 20);
  } catch {
    // not a file: a pattern over the ssh config's Host aliases
  }
  return hostsOfAll(all, text, text === undefined ? await sshConfigAliases(str(a, 'ssh-config')) : []);
}

/** The concrete Host aliases of the ssh config (FILE, else ~/.ssh/config; Include followed), for --all PATTERN. */
async function sshConfigAliases(file?: string): Promise<string[]> {
  const { defaultSshConfigFile, readInclude } = await import('./host/sshConfigFile');
  let text = '';
  try {
    text = readFileSync(file ?? defaultSshConfigFile(), 'utf8');
  } catch {
    return [];
  }
  return parseSshConfig(text, readInclude).map((h) => h.alias);
}

async function main(argv: string[]): Promise<number> {
  const a = parseArgs(argv);
  if (a.flags.get('version')) {
    out('conoha-ipv6 0.1.0');
    return 0;
  }
  if (a.flags.get('help') || a.command === '' || a.command === 'help') {
    out(M.usage ?? USAGE);
    return a.command === '' && !a.flags.get('help') ? 2 : 0;
  }
  const asJson = a.flags.get('json') === true;
  // core's check messages and plan steps in Japanese too, for people only: --json keeps them as written (English)
  if (!asJson && cliLang() === 'ja') installL10n(bundleL10n(jaBundle));
  const arity: Partial<Record<string, [number, number]>> = { derive: [1, 1], status: [0, 0], prepare: [0, 0], unprepare: [0, 0], assign: [1, 2], release: [1, 1], verify: [0, 0], export: [0, 0], 'compose-snippet': [1, 1] };
  const ar = arity[a.command];
  if (!ar) throw new UsageError(M.unknownCommand(a.command));
  if (a.positional.length < ar[0] || a.positional.length > ar[1]) throw new UsageError(M.wrongArgs(a.command));

  if (a.command === 'derive') {
    const set = deriveConohaAddresses(a.positional[0]);
    if (asJson) json({ prefix: set.prefix, addresses: set.addresses });
    else set.addresses.forEach((x) => out(x));
    return 0;
  }

  // validate all input before connecting: bad input changes nothing and needs no host
  const o = overridesFrom(a);
  if (a.command === 'export') {
    const { exportSetup } = await import('./core/export/exportCommand');
    const text = exportSetup(str(a, 'format'), o, str(a, 'gateway'));
    const file = str(a, 'out');
    if (file === undefined) process.stdout.write(text);
    else {
      writeFileSync(file, text, { mode: 0o600 });
      process.stderr.write(`wrote ${file}\n`);
    }
    return 0;
  }
  const vo = verifyOptionsFrom(a);
  const rs = str(a, 'rollback-seconds');
  if (rs !== undefined && !(/^[0-9]+$/.test(rs) && validRollbackSeconds(Number(rs)))) throw new InputError(M.rollbackSeconds(JSON.stringify(rs)));
  if (a.command === 'assign') {
    validateContainerName(a.positional[0]);
    const address = a.positional.at(1);
    if (address !== undefined) normalizeAddress(address);
    const network = str(a, 'network');
    if (network !== undefined && !matches('networkName', network)) throw new InputError(`--network ${JSON.stringify(network.slice(0, 60))}: not a Docker network name`);
  }
  if (a.command === 'compose-snippet' && !matches('containerName', a.positional[0])) throw new InputError(`${JSON.stringify(a.positional[0].slice(0, 60))} is not a container or service name`);
  if (a.command === 'release') {
    if (a.positional[0].includes(':')) normalizeAddress(a.positional[0]);
    else validateContainerName(a.positional[0]);
  }
  const fleet = await fleetHosts(a);
  if (fleet) {
    if (a.command !== 'status' && a.command !== 'verify') throw new UsageError(`${a.command} works on one host at a time: give one --host (status and verify take several, or --all)`);
    if (a.flags.has('addresses') || a.flags.has('gateway')) throw new UsageError('--addresses and --gateway belong to one host: give them with one --host');
    const { runFleet } = await import('./cliFleet');
    const r = await runFleet({ command: a.command, hosts: fleet, open: (h) => openTransport({ ...a, flags: new Map(a.flags).set('host', h), hosts: [h] }), overrides: o, verifyOptions: vo, observer: (h) => ({ log: debug && ((line: string) => debug(`[${h}] ${line}`)) }) });
    if (asJson) json({ ok: r.exitCode === 0, exitCode: r.exitCode, hosts: r.rows });
    else out(printable(r.table));
    return r.exitCode;
  }
  if (!a.flags.get('local') && str(a, 'host')) connectionInput(a); // bad --host / --jump: exit 2 before connecting
  const t = await openTransport(a);
  const name = t.description;
  try {
    // one read of the host (its mode, its snapshot, docker mode's facts when needed), verify's with its pings and probe;
    // docker mode (and switching modes): src/cliNative.ts; undefined means radvd mode's code below runs on that read
    const first = await readHost(t, o, obs, a.command === 'verify' ? 'bound' : [], a.command === 'verify' ? vo.probe : undefined);
    const native = await nativeCommand(
      t,
      o,
      { command: a.command, positional: a.positional, asJson, dryRun: a.flags.get('dry-run') === true, releaseAll: a.flags.get('release-all') === true, port: vo.port, prepareOptions: { reconnect: () => openTransport(a), rollbackSeconds: rs === undefined ? undefined : Number(rs) } },
      { out, err: (m) => process.stderr.write(printable(m)), json, printPlan, printUndoPlan, printResults, printChecks, describeConfig },
      obs,
      first,
    );
    if (native !== undefined) return native;
    switch (a.command) {
      case 'status': {
        const r = await status(t, o, obs, first.snapshot);
        if (asJson) json({ host: name, config: r.config ?? null, configError: r.configError ?? null, configActions: (r.configActions ?? []).map((x) => ({ ...x, command: actionText(x) })), snapshot: r.snapshot });
        else {
          printStatus(r.snapshot, r.config, r.configError);
          for (const x of r.configActions ?? []) out(`    ${M.toFix} ${actionText(x)}`);
        }
        return 0;
      }
      case 'prepare': {
        const dry = a.flags.get('dry-run') === true;
        const seconds = str(a, 'rollback-seconds');
        const r = await prepare(
          t,
          o,
          {
            dryRun: dry,
            onPlan: asJson ? undefined : (p, c) => printPlan(name, p, c),
            reconnect: () => openTransport(a),
            rollbackSeconds: seconds === undefined ? undefined : Number(seconds),
          },
          obs,
          first.snapshot,
        );
        if (asJson) {
          json({ host: name, config: r.config, dryRun: dry, plan: r.plan.steps.map((s) => ({ id: s.id, title: s.title })), notes: r.plan.notes, results: r.outcome?.results ?? [], confirmation: r.confirmation ?? null, ok: true, checks: r.checks });
          return 0;
        }
        if (dry) {
          out(M.dryRun);
          return 0;
        }
        if (!r.outcome) return 0;
        printResults(r.plan, r.outcome);
        if (r.confirmation && r.confirmation.outcome !== 'not-armed') out(M.confirmed(r.confirmation.detail));
        out(M.checksAfterPrepare);
        printChecks(r.checks.filter((c) => !c.ok), r.checks.length);
        return 0;
      }
      case 'unprepare': {
        const dry = a.flags.get('dry-run') === true;
        const r = await unprepare(t, o, { dryRun: dry, releaseAll: a.flags.get('release-all') === true, onPlan: asJson ? undefined : (p) => printUndoPlan(name, p) }, obs, first.snapshot);
        if (asJson) {
          json({ host: name, dryRun: dry, plan: r.plan.steps.map((s) => ({ id: s.id, title: s.title })), results: r.outcome?.results ?? [], ok: true });
          return 0;
        }
        if (dry || !r.outcome) {
          out(M.dryRun);
          return 0;
        }
        printResults(r.plan, r.outcome);
        out(M.unprepared(name));
        return 0;
      }
      case 'assign': {
        const r = await assign(t, o, a.positional[0], a.positional[1], obs, str(a, 'network'), first.snapshot);
        out(r.address);
        if (!r.changed) process.stderr.write(`${M.alreadyHolds(r.container, r.address)}\n`);
        const failed = r.checks.filter((c) => !c.ok);
        for (const c of failed) process.stderr.write(printable(`${M.warning} ${c.id}: ${c.message}`) + '\n');
        return 0;
      }
      case 'compose-snippet': {
        const r = await composeSnippetOf(t, o, a.positional[0], obs, first.snapshot);
        if (asJson) json({ container: r.container, snippet: r.text });
        else process.stdout.write(r.text);
        return 0;
      }
      case 'release': {
        const r = await release(t, o, a.positional[0], obs, first.snapshot);
        for (const b of r.released) out(M.released(b.address, b.container));
        return 0;
      }
      case 'verify': {
        const r = await verify(t, o, obs, vo, first.snapshot);
        if (asJson) json({ ok: r.ok, checks: r.checks });
        else {
          out(M.verifyHeader(name, describeConfig(r.config)));
          printChecks(r.checks);
        }
        return r.ok ? 0 : 1;
      }
    }
    return 2;
  } finally {
    await t.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    const err = (m: string) => process.stderr.write(`conoha-ipv6: ${printable(m)}\n`);
    if (!(e instanceof Civ6Error)) {
      err(e instanceof Error ? (e.stack ?? e.message) : String(e)); // a bug, or a failure nobody foresaw: the whole story
      process.exit(EXIT.failed);
    }
    if (process.argv.includes('--json')) {
      json({ ok: false, error: { type: e.name, message: e.message, changed: e.changed, exitCode: e.exitCode, actions: e.actions.map((x) => ({ ...x, command: actionText(x) })) } });
    }
    err(`${e.message}${changedText(e) ? ` ${e.changed === 'nothing' || e.changed === 'rolled-back' ? M.changed[e.changed] : changedText(e)}` : ''}`);
    for (const x of e.actions) process.stderr.write(printable(`  ${M.toFix} ${actionText(x)}`) + '\n');
    if (e instanceof UsageError) process.stderr.write(M.usage ?? USAGE);
    process.exit(e.exitCode);
  },
);
