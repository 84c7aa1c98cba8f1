// Transport over SSH with ssh2: the connection (TCP, host key, authentication, under one timer that waiting for the
// user does not count against), one exec channel per run() with its timeout and its output capped at
// MAX_OUTPUT_BYTES, and reconnecting. Every host key ssh2 sees (at connect and at each rekey) goes to
// knownHostsPolicy.ts (ssh2 itself would accept any key); the keys offered come from sshKeys.ts. ssh2 is required
// lazily, so code that only imports this module (the VS Code extension at activation) does not load it.
// ProxyJump: each hop is a connection of its own (its own host-key check against known_hosts, its own keys and
// keyboard-interactive questions); the next hop's TCP connection is a direct-tcpip channel (forwardOut) of the one
// before, given to the next ssh2 Client as its socket. Nothing is sent towards a hop before the one before it is
// authenticated.
import type { Duplex } from 'node:stream';
import type { AnyAuthMethod, AuthenticationType, Client, ClientChannel, ConnectConfig, KeyboardInteractiveAuthMethod, ServerHostKeyAlgorithm } from 'ssh2';
import { HostSpec } from '../core/hostSpec';
import type { Action } from '../core/errors';
import { l10n } from '../core/l10n';
import { HostKeyOptions, HostKeyPolicy } from './knownHostsPolicy';
import { authPlan } from './sshKeys';
import { LAUNCHER, OutputBuffer, RunOptions, RunResult, Transport, TransportError, checkLauncher, tooMuchOutput } from './transport';

export type { KnownHostKey, UnknownHostKeyInfo } from './knownHostsPolicy';

/** Host keys: known_hosts files, HostKeyAlias, HashKnownHosts, accept-new, asking (see HostKeyOptions). */
export interface SshTransportOptions extends SshHopOptions {
  /** ProxyJump: the hops before this host, first to last (each checked against known_hosts like the host) */
  jumps?: SshHopOptions[];
  /** record keys of hosts not yet in known_hosts, on every hop (OpenSSH StrictHostKeyChecking=accept-new) */
  acceptNew?: boolean;
  /**
   * keyboard-interactive authentication (one-time codes, PAM questions) on any hop: the answers, in order; without
   * it a host that wants this method is refused with a message that says so. Waiting for it does not count against
   * the connect timeout.
   */
  onKeyboardInteractive?: (q: KeyboardInteractiveQuestion) => Promise<string[]>;
  /** connecting, host key and authentication included (time spent waiting for the user excluded); default 15000 */
  readyTimeoutMs?: number;
  keepaliveIntervalMs?: number;
  log?: (line: string) => void;
}

/** One SSH host on the way (the target, or a ProxyJump hop): where, its host-key settings, its keys. */
export interface SshHopOptions extends HostKeyOptions {
  identityFile?: string;
  /** more key files (the ssh config's IdentityFile lines) */
  identityFiles?: string[];
  /** IdentitiesOnly: the agent is not offered when key files are named */
  identitiesOnly?: boolean;
  /** for an encrypted identity file; a function is called at most once, only when the key turns out encrypted */
  passphrase?: string | (() => Promise<string>);
  /** ssh-agent socket; default process.env.SSH_AUTH_SOCK; '' for none (IdentityAgent none) */
  agent?: string;
}

/** What a server asks in keyboard-interactive authentication. */
export interface KeyboardInteractiveQuestion {
  /** user@host:port of the hop that asks */
  who: string;
  name: string;
  instructions: string;
  prompts: { prompt: string; echo: boolean }[];
}

/** What every hop of one connection shares: how to ask, how long to wait, where to log. */
type Shared = Pick<SshTransportOptions, 'acceptNew' | 'onUnknownHostKey' | 'onKeyboardInteractive' | 'readyTimeoutMs' | 'keepaliveIntervalMs' | 'log'>;

const DEFAULT_RUN_TIMEOUT_MS = 120_000;

/** Host key algorithms that give a key of each type, so the ones known_hosts knows can be asked for first. */
const ALGORITHMS_FOR_KEY_TYPE: Record<string, ServerHostKeyAlgorithm[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};

type Ssh2 = typeof import('ssh2');

/** Connects, checks the host key and authenticates; resolves once the session is ready for run(). */
export async function connectSsh(options: SshTransportOptions): Promise<Transport> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- ssh2 loads on the first connection, not when the extension activates
  const ssh2 = require('ssh2') as Ssh2;
  const transport = new SshTransport(ssh2, options);
  await transport.connect();
  return transport;
}

/** Secrets learned during one transport's life, kept in memory only, so a reconnect does not ask again. */
interface Secrets {
  passphrase?: string;
}

/** The script never reached the host (the channel did not open): safe to send again after reconnecting. */
class NotSentError extends Error {}

class SshTransport implements Transport {
  readonly description: string;
  roundTrips = 0;
  private client: Client | undefined;
  /** the ProxyJump hops' clients under `client`, first to last */
  private hops: Client[] = [];
  private dropped = false;
  private closed = false;
  private connecting: Promise<void> | undefined;
  /** one per hop (the target last) */
  private readonly secrets: Secrets[];
  private readonly who: string;

  constructor(private readonly ssh2: Ssh2, private readonly options: SshTransportOptions) {
    const { user, host, port } = options.spec;
    this.who = `${user}@${bracketed(host)}:${port}`;
    const via = (options.jumps ?? []).map((j) => `${j.spec.user}@${bracketed(j.spec.host)}:${j.spec.port}`);
    this.description = `ssh ${this.who}${via.length ? ` (via ${via.join(', ')})` : ''}`;
    this.secrets = [...via, this.who].map(() => ({}));
  }

  /** (Re)connects; concurrent callers share one attempt. */
  connect(): Promise<void> {
    this.connecting ??= openChain(this.ssh2, this.options, this.secrets)
      .then((clients) => {
        const client = clients[clients.length - 1];
        if (this.closed) {
          for (const c of clients.reverse()) c.end(); // close() was called while this connection was being made
          throw new Error(`${this.description}: closed while connecting`);
        }
        for (const c of this.hops) c.destroy(); // the hops of a dropped connection
        this.client = client;
        this.hops = clients.slice(0, -1);
        this.dropped = false;
        const lost = () => {
          if (this.client !== client || this.dropped) return;
          this.dropped = true;
          if (!this.closed) this.options.log?.(`ssh: connection to ${this.who} closed; the next run reconnects`);
        };
        client.on('end', lost);
        client.on('close', lost);
        // a hop that goes away takes the tunnel with it
        for (const hop of this.hops) hop.on('close', lost);
      })
      .finally(() => {
        this.connecting = undefined;
      });
    return this.connecting;
  }

  async run(script: string, options: RunOptions = {}): Promise<RunResult> {
    if (this.closed) throw new Error(`${this.description}: run() after close()`);
    this.roundTrips++;
    const timeoutMs = options.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS;
    let reconnected = false;
    if (this.dropped || !this.client) {
      await this.connect();
      reconnected = true;
    }
    try {
      return checkLauncher(await this.exec(this.connected(), script, timeoutMs), this.who);
    } catch (err) {
      if (!(err instanceof NotSentError)) throw err;
      // Let ssh2 report the close that made the channel fail before deciding.
      await new Promise((resolve) => setImmediate(resolve));
      if (reconnected || !(this.dropped || err.message === 'Not connected')) {
        throw new TransportError('connect', l10n.t('{0} did not open a session channel: {1}', this.who, err.message));
      }
      this.dropped = true;
      await this.connect();
      try {
        return checkLauncher(await this.exec(this.connected(), script, timeoutMs), this.who);
      } catch (again) {
        if (again instanceof NotSentError) {
          throw new TransportError('connect', l10n.t('{0} did not open a session channel: {1}', this.who, again.message));
        }
        throw again;
      }
    }
  }

  /** the client connect() made (it throws when it cannot make one) */
  private connected(): Client {
    if (!this.client) throw new TransportError('connect', l10n.t('{0}: not connected', this.who));
    return this.client;
  }

  private exec(client: Client, script: string, timeoutMs: number): Promise<RunResult> {
    const started = performance.now();
    return new Promise<RunResult>((resolve, reject) => {
      let channel: ClientChannel | undefined;
      let finished = false;
      const finish = (outcome: Error | RunResult) => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        if (outcome instanceof Error) reject(outcome);
        else resolve(outcome);
      };
      const timer = setTimeout(() => {
        finish(new TransportError('timeout', l10n.t('the script did not finish within {0} on {1}; its channel was closed (a command it started may still be running there)', seconds(timeoutMs), this.who)));
        if (channel) {
          try {
            channel.signal('KILL');
          } catch {
            // servers may refuse signals; closing the channel is what matters
          }
          channel.close();
        }
      }, timeoutMs);
      const opened = (err: Error | undefined, ch: ClientChannel) => {
        if (err) {
          finish(new NotSentError(err.message));
          return;
        }
        if (finished) {
          ch.close();
          return;
        }
        channel = ch;
        const stdout = new OutputBuffer();
        const stderr = new OutputBuffer();
        let exited = false;
        let code: number | null = null;
        const overflowed = (stream: 'stdout' | 'stderr') => {
          // stop reading (a paused channel is not given more window, so the host cannot send much more) and close it
          ch.pause();
          ch.stderr.pause();
          finish(tooMuchOutput(stream, l10n.t('the host {0}', this.who), l10n.t('its channel was closed (the script may still be running there)')));
          ch.close();
        };
        ch.on('data', (chunk: Buffer) => finished || stdout.add(chunk) || overflowed('stdout'));
        ch.stderr.on('data', (chunk: Buffer) => finished || stderr.add(chunk) || overflowed('stderr'));
        ch.on('exit', (exitCode: number | null) => {
          exited = true;
          code = typeof exitCode === 'number' ? exitCode : null;
        });
        ch.on('error', (e: Error) => this.options.log?.(`ssh: channel error: ${e.message}`));
        ch.on('close', () => {
          if (finished) return; // timed out, or too much output
          if (!exited) {
            finish(new TransportError('connect', l10n.t('the connection to {0} was lost while the script was running (it may or may not have completed)', this.who)));
            return;
          }
          finish({
            stdout: stdout.text(),
            stderr: stderr.text(),
            code,
            ms: Math.round(performance.now() - started),
          });
        });
        ch.end(script);
      };
      try {
        client.exec(LAUNCHER, opened);
      } catch (err) {
        finish(new NotSentError((err as Error).message));
      }
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    const hops = this.hops;
    this.client = undefined;
    this.hops = [];
    try {
      await this.closeClient(client);
    } finally {
      for (const hop of hops.reverse()) hop.end();
    }
  }

  private async closeClient(client: Client | undefined): Promise<void> {
    if (!client) return;
    if (this.dropped) {
      client.destroy(); // already closed: no 'close' event is coming
      return;
    }
    await new Promise<void>((resolve) => {
      const done = setTimeout(() => {
        client.destroy();
        resolve();
      }, 2000);
      client.once('close', () => {
        clearTimeout(done);
        resolve();
      });
      client.end();
    });
  }
}

/**
 * One connection attempt through every hop: the clients, first hop to target. A hop is opened only once the one
 * before it is authenticated; on a failure the ones already open are closed.
 */
async function openChain(ssh2: Ssh2, o: SshTransportOptions, secrets: Secrets[]): Promise<Client[]> {
  const shared: Shared = { acceptNew: o.acceptNew, onUnknownHostKey: o.onUnknownHostKey, onKeyboardInteractive: o.onKeyboardInteractive, readyTimeoutMs: o.readyTimeoutMs, keepaliveIntervalMs: o.keepaliveIntervalMs, log: o.log };
  const hops: SshHopOptions[] = [...(o.jumps ?? []), o];
  const clients: Client[] = [];
  try {
    let sock: Duplex | undefined;
    for (let i = 0; i < hops.length; i++) {
      const hop = { ...hops[i], acceptNew: shared.acceptNew, onUnknownHostKey: shared.onUnknownHostKey };
      const via = i > 0 ? hops[i - 1].spec : undefined;
      clients.push(await openClient(ssh2, hop, shared, secrets[i], sock, via));
      if (i + 1 < hops.length) sock = await forwardOut(clients[i], hops[i].spec, hops[i + 1].spec, shared);
    }
    return clients;
  } catch (e) {
    for (const c of clients.reverse()) c.destroy();
    throw e;
  }
}

/** A direct-tcpip channel from the hop `from` to `to`: the next hop's socket. */
function forwardOut(client: Client, from: HostSpec, to: HostSpec, shared: Shared): Promise<Duplex> {
  const where = `${bracketed(to.host)} port ${to.port}`;
  const hop = `${from.user}@${bracketed(from.host)}:${from.port}`;
  const ms = shared.readyTimeoutMs ?? 15_000;
  shared.log?.(`ssh: ${hop} opens a connection to ${where}`);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new TransportError('timeout', l10n.t('the jump host {0} did not connect to {1} port {2} within {3}: check the address and that {1} port {2} is reachable from the jump host', hop, bracketed(to.host), to.port, seconds(ms)))), ms);
    try {
      client.forwardOut('127.0.0.1', 0, to.host, to.port, (err, stream) => {
        clearTimeout(timer);
        if (err) {
          reject(new TransportError('connect', l10n.t('the jump host {0} could not connect to {1} port {2}: {3} (is the address right, is sshd listening there, and does the jump host allow forwarding: AllowTcpForwarding?)', hop, bracketed(to.host), to.port, err.message)));
          return;
        }
        resolve(stream);
      });
    } catch (e) {
      clearTimeout(timer);
      reject(new TransportError('connect', l10n.t('the jump host {0} could not connect to {1} port {2}: {3}', hop, bracketed(to.host), to.port, (e as Error).message)));
    }
  });
}

/** One hop's connection: TCP (or `sock`, a channel of the hop before), host key, authentication. Rejects only with TransportErrors (or a known_hosts read error). */
function openClient(ssh2: Ssh2, o: SshHopOptions, shared: Shared, secrets: Secrets, sock?: Duplex, via?: HostSpec): Promise<Client> {
  const { user, host, port } = o.spec;
  const who = `${user}@${bracketed(host)}:${port}`;
  const log = (line: string) => shared.log?.(line);
  const readyTimeoutMs = shared.readyTimeoutMs ?? 15_000;
  const through = via ? ` through the jump host ${bracketed(via.host)}` : ''; // for the log

  const policy = new HostKeyPolicy(o, log);
  const preferred = policy.knownTypes.flatMap((t) => ALGORITHMS_FOR_KEY_TYPE[t] ?? []);

  return new Promise<Client>((resolve, reject) => {
    const client = new ssh2.Client();
    let settled = false;
    /** set when WE refuse (host key, passphrase): replaces the generic error ssh2 raises afterwards */
    let decided: TransportError | undefined;
    const tried: string[] = [];

    let timer: NodeJS.Timeout | undefined;
    const armTimer = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        const within = seconds(readyTimeoutMs);
        fail(
          new TransportError(
            'timeout',
            via
              ? l10n.t('no SSH session with {0} through the jump host {1} within {2}: check that the address is right and reachable from here (for IPv6: that this machine has IPv6 connectivity), and that port {3} is open in the firewall / ConoHa security group', who, bracketed(via.host), within, port)
              : l10n.t('no SSH session with {0} within {1}: check that the address is right and reachable from here (for IPv6: that this machine has IPv6 connectivity), and that port {2} is open in the firewall / ConoHa security group', who, within, port),
          ),
        );
      }, readyTimeoutMs);
    };
    /** waiting for the user (host key question, passphrase) does not count against the timeout */
    const pauseTimer = () => clearTimeout(timer);

    const fail = (err: TransportError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.destroy();
      reject(err);
    };

    client.on('ready', () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      log(`ssh: authenticated as ${user} on ${bracketed(host)}:${port}`);
      resolve(client);
    });
    // each run() is a few small request/reply messages: without TCP_NODELAY, Nagle + delayed ACKs add ~40 ms to each
    client.on('connect', () => client.setNoDelay(true));
    client.on('handshake', (negotiated) => log(`ssh: host key algorithm ${negotiated.serverHostKey}, cipher ${negotiated.cs.cipher}`));
    client.on('error', (err: Error & { level?: string; code?: string }) => {
      if (err.level === 'agent') {
        log(`ssh: ssh-agent: ${err.message}`);
        return;
      }
      if (settled) {
        log(`ssh: ${err.message}`);
        return;
      }
      fail(decided ?? describeConnectError(err, o.spec, tried));
    });
    client.on('close', () => {
      if (!settled) fail(decided ?? new TransportError('connect', l10n.t("{0} closed the connection before the SSH session was ready: check that port {1} is sshd (not another service), and the server's log (journalctl -u ssh)", who, port)));
    });

    // ssh2 calls this at connect and again at every key re-exchange (rekey) of the connection
    const hostVerifier = (key: Buffer, verify: (valid: boolean) => void): void => {
      const rekey = policy.decided;
      policy.verify(key, { pause: pauseTimer, resume: armTimer, abandoned: () => settled }).then(
        () => {
          if (rekey || !settled) verify(true);
        },
        (e: unknown) => {
          const err = e instanceof TransportError ? e : new TransportError('connect', String(e));
          if (rekey) log(`ssh: ${err.message}`); // the session is up: this ends it, and the next run() reconnects
          else decided = err;
          verify(false);
        },
      );
    };

    const plan = authPlan({
      username: user,
      agent: o.agent ?? process.env.SSH_AUTH_SOCK,
      identityFile: o.identityFile,
      identityFiles: o.identityFiles,
      identitiesOnly: o.identitiesOnly,
      passphrase: o.passphrase,
      secrets,
      tried,
      log,
      pauseTimer,
      armTimer,
    });
    let keysDone = false;
    let questions = 0;
    const ask = shared.onKeyboardInteractive;
    const prompt: KeyboardInteractiveAuthMethod['prompt'] = (name, instructions, _lang, prompts, finish) => {
      if (prompts.length === 0) {
        finish([]); // an information-only round (PAM messages)
        return;
      }
      if (!ask || decided) {
        finish([]);
        return;
      }
      pauseTimer();
      ask({ who, name, instructions, prompts: prompts.map((p) => ({ prompt: p.prompt, echo: p.echo === true })) }).then(
        (answers) => {
          armTimer();
          finish(answers);
        },
        (e: unknown) => {
          armTimer();
          decided = e instanceof TransportError ? e : new TransportError('auth', l10n.t('{0} asked for keyboard-interactive answers: {1}', who, e instanceof Error ? e.message : String(e)));
          finish([]);
        },
      );
    };
    /** after the keys: keyboard-interactive when the host offers it (up to 3 rounds, as ssh), else give up */
    const afterKeys = (methodsLeft: AuthenticationType[] | null, next: (auth: AnyAuthMethod | false) => void): void => {
      if (!decided && methodsLeft?.includes('keyboard-interactive')) {
        if (!ask) {
          decided = new TransportError('auth', l10n.t('{0} wants keyboard-interactive authentication (a one-time code or password) after the keys, and there is nobody to ask here: run on a terminal (the CLI) or in VS Code', who));
        } else if (questions < 3) {
          questions++;
          tried.push('keyboard-interactive');
          log(`ssh: ${who}: keyboard-interactive authentication`);
          next({ type: 'keyboard-interactive', username: user, prompt });
          return;
        }
      }
      if (!decided && methodsLeft && !methodsLeft.includes('publickey') && !methodsLeft.includes('keyboard-interactive')) {
        decided = new TransportError('auth', l10n.t("{0} does not accept public keys (it offers: {1}); this tool logs in with keys (and keyboard-interactive): enable PubkeyAuthentication in the server's sshd_config", who, methodsLeft.join(', ')));
      }
      next(false);
    };
    const authHandler = (methodsLeft: AuthenticationType[] | null, _partial: boolean | null, next: (auth: AnyAuthMethod | false) => void): void => {
      if (decided) {
        next(false);
        return;
      }
      if (keysDone || (methodsLeft && !methodsLeft.includes('publickey'))) {
        afterKeys(methodsLeft, next);
        return;
      }
      plan.next().then(
        (step) => {
          if (!step.done) {
            next(step.value);
            return;
          }
          keysDone = true;
          afterKeys(methodsLeft, next);
        },
        (e: unknown) => {
          decided = e instanceof TransportError ? e : new TransportError('auth', e instanceof Error ? e.message : String(e));
          next(false);
        },
      );
    };

    const config = connectConfig(o, shared, hostVerifier, authHandler as ConnectConfig['authHandler'], preferred);
    if (sock) config.sock = sock;
    if (preferred.length > 0) log(`ssh: ${policy.name} is known by ${policy.knownTypes.join(', ')}; asking for those host keys first`);
    log(`ssh: connecting to ${who}${through}`);
    armTimer();
    try {
      client.connect(config);
    } catch (e) {
      fail(new TransportError('connect', l10n.t('cannot connect to {0}: {1}', who, (e as Error).message)));
    }
  });
}

/** ssh2's options for one connection: the only place they are put together. */
function connectConfig(
  o: SshHopOptions,
  shared: Shared,
  hostVerifier: ConnectConfig['hostVerifier'],
  authHandler: ConnectConfig['authHandler'],
  /** host key algorithms for the key types known_hosts records: asked for first */
  preferred: ServerHostKeyAlgorithm[],
): ConnectConfig {
  const { user, host, port } = o.spec;
  const config: ConnectConfig = {
    host,
    port,
    username: user,
    readyTimeout: 0, // our own timer, paused while the user is asked something
    keepaliveInterval: shared.keepaliveIntervalMs ?? 15_000,
    keepaliveCountMax: 3,
    hostVerifier,
    authHandler,
  };
  // the known types first, ssh2's defaults after them
  if (preferred.length > 0) config.algorithms = { serverHostKey: { remove: preferred, prepend: preferred, append: [] } };
  return config;
}

function describeConnectError(err: Error & { level?: string; code?: string }, spec: HostSpec, tried: string[]): TransportError {
  const host = bracketed(spec.host);
  const port = spec.port;
  switch (err.code) {
    case 'ECONNREFUSED':
      return new TransportError('connect', l10n.t('connection refused by {0} port {1}: is sshd running and listening on port {1}, and does no firewall reject it?', host, port));
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EADDRNOTAVAIL':
      return new TransportError(
        'connect',
        spec.host.includes(':')
          ? l10n.t('no route to {0} port {1} ({2}): check the address, and that this machine has IPv6 connectivity (ping -6 {3}), and the firewall / ConoHa security group', host, port, err.code, spec.host)
          : l10n.t('no route to {0} port {1} ({2}): check the address, and the firewall / ConoHa security group', host, port, err.code),
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new TransportError('connect', l10n.t('cannot resolve the host name {0} ({1}): check its spelling and DNS, or give the address', spec.host, err.code));
    case 'ETIMEDOUT':
      return new TransportError('timeout', l10n.t('connecting to {0} port {1} timed out: check the address, that the host is up, and that port {1} is open in the firewall / ConoHa security group', host, port));
    case 'ECONNRESET':
    case 'EPIPE':
      return new TransportError('connect', l10n.t("{0} port {1} reset the connection ({2}): check that port {1} is sshd and the server's log (journalctl -u ssh)", host, port, err.code));
  }
  if (err.level === 'client-timeout') {
    return new TransportError('timeout', l10n.t('{0} port {1}: {2}: check that the host is up and reachable', host, port, err.message));
  }
  if (err.level === 'client-authentication') {
    if (tried.includes('keyboard-interactive')) {
      const keys = tried.filter((t) => t !== 'keyboard-interactive').join(', ');
      return new TransportError(
        'auth',
        keys
          ? l10n.t('{0}@{1} port {2} refused the login: tried {3}, then keyboard-interactive answers (a wrong or expired one-time code?)', spec.user, host, port, keys)
          : l10n.t('{0}@{1} port {2} refused the login: tried no key, then keyboard-interactive answers (a wrong or expired one-time code?)', spec.user, host, port),
      );
    }
    const actions: Action[] = [{ id: 'set-host-setting', setting: 'identity' }];
    if (tried.length === 0) {
      return new TransportError('auth', l10n.t("{0}@{1} port {2} refused every key: tried nothing (no ssh-agent, no ~/.ssh/id_ed25519, id_ecdsa or id_rsa); name the key file in the host's settings or load it into ssh-agent (ssh-add FILE), and check that its public key is in ~{0}/.ssh/authorized_keys on the host", spec.user, host, port), actions);
    }
    return new TransportError('auth', l10n.t("{0}@{1} port {2} refused every key: tried {3}; name the key file in the host's settings or load it into ssh-agent (ssh-add FILE), and check that its public key is in ~{0}/.ssh/authorized_keys on the host", spec.user, host, port, tried.join(', ')), actions);
  }
  return new TransportError('connect', l10n.t('SSH connection to {0} port {1} failed: {2}', host, port, err.message));
}

function bracketed(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
