// One host in the sidebar: its connection, the last snapshot and the checks judged from it.
// Every remote step goes to the log with its exit code and duration.
import * as vscode from 'vscode';
import { Check, judgeHost } from '../core/checks';
import { HostConfig } from '../core/config';
import { HostSnapshot } from '../core/snapshot';
import { Observer } from '../host/operations';
import { nativeChecksOf, status } from '../host/modeOperations'; // radvd or docker mode
import type { HostMode } from '../core/nativePlan';
import { artifacts } from '../host/scripts';
import { Transport } from '../host/transport';
import { openTransport } from './connect';
import { HostEntry, overridesOf } from './settings';

export type SessionState = 'disconnected' | 'connecting' | 'connected' | 'error';

const connectFailures = new WeakSet();
/** Whether an error is a failed connect (or the first read after it): the host is unreachable, untrusted or refused us. */
export const isConnectFailure = (e: unknown): boolean => typeof e === 'object' && e !== null && connectFailures.has(e);

export class HostSession {
  state: SessionState = 'disconnected';
  snapshot?: HostSnapshot;
  config?: HostConfig;
  configError?: string;
  checks: Check[] = [];
  /** the mode the host records (docker mode: src/core/nativePlan.ts); undefined: not prepared */
  mode?: HostMode;
  /** the last error, shown on the host's row */
  error?: string;
  /** when the host was last read (ms since the epoch): the row's tooltip and the status bar say it */
  readAt?: number;
  /** ms from connect() to a full snapshot, for the log and the closing numbers */
  lastConnectMs?: number;
  private transport?: Transport;
  private connecting?: Promise<void>;

  constructor(
    public entry: HostEntry,
    private readonly ctx: vscode.ExtensionContext,
    readonly log: vscode.LogOutputChannel,
    private readonly changed: () => void,
  ) {}

  get name(): string {
    return this.entry.name;
  }

  readonly observer: Observer = { log: (line) => this.log.info(`[${this.entry.name}] ${line}`) };

  /** Connects (once, even when asked twice at the same time) and reads the host. */
  connect(): Promise<void> {
    if (this.state === 'connected' && this.transport) return Promise.resolve();
    this.connecting ??= this.doConnect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async doConnect(): Promise<void> {
    const t0 = Date.now();
    this.state = 'connecting';
    this.error = undefined;
    this.changed();
    try {
      this.transport = await openTransport(this.entry, this.ctx, this.log);
      await this.refresh();
      this.lastConnectMs = Date.now() - t0;
      this.log.info(`[${this.name}] connected and read in ${this.lastConnectMs} ms`);
    } catch (e) {
      await this.transport?.close().catch(() => undefined);
      this.transport = undefined;
      this.state = 'error';
      this.error = e instanceof Error ? e.message : String(e);
      if (typeof e === 'object' && e !== null) connectFailures.add(e);
      this.log.error(`[${this.name}] connect failed: ${this.error}`);
      this.changed();
      throw e;
    }
  }

  async disconnect(): Promise<void> {
    const t = this.transport;
    this.transport = undefined;
    this.state = 'disconnected';
    this.snapshot = undefined;
    this.config = undefined;
    this.checks = [];
    this.changed();
    await t?.close();
  }

  /** The connected transport (connecting first when needed). */
  async use(): Promise<Transport> {
    await this.connect();
    if (!this.transport) throw new Error(`${this.name} is not connected`);
    return this.transport;
  }

  /** A second, new connection to the host (prepare confirms its change over one); the caller closes it. */
  openAnother(): Promise<Transport> {
    return openTransport(this.entry, this.ctx, this.log);
  }

  /** One round trip: a fresh snapshot; checks are judged from it (without pings; Verify adds them). */
  async refresh(): Promise<void> {
    const t = this.transport ?? (await this.use());
    const r = await status(t, overridesOf(this.entry), this.observer);
    this.mode = r.mode;
    this.update(r.snapshot, r.config, r.checks, r.configError);
  }

  /** Takes the state an operation brought back (its fresh snapshot, and checks when it verified). */
  update(snapshot: HostSnapshot, config?: HostConfig, checks?: Check[], configError?: string): void {
    this.snapshot = snapshot;
    this.readAt = Date.now();
    if (configError) this.config = undefined;
    else if (config) this.config = config;
    this.configError = configError;
    this.checks = checks ?? (this.config ? (nativeChecksOf(snapshot, this.config) ?? judgeHost(snapshot, this.config, artifacts)) : []);
    this.state = 'connected';
    this.error = undefined;
    this.changed();
  }

  setError(e: Error): void {
    this.error = e.message;
    this.changed();
  }
}
