// All hosts of the sidebar, kept in step with the conohaIpv6.hosts setting, and the context keys that
// decide which commands the palette offers.
import * as vscode from 'vscode';
import { addressRows } from '../core/addressRows';
import { hostChecksOf } from '../core/checks';
import { HostSession } from './session';
import { dirname, basename } from 'node:path';
import { readHosts, sshConfigFile } from './settings';

export class HostManager implements vscode.Disposable {
  private readonly sessions = new Map<string, HostSession>();
  private readonly emitter = new vscode.EventEmitter<HostSession | undefined>();
  readonly onDidChange = this.emitter.event;
  private readonly watcher: vscode.Disposable;
  private sshConfigWatcher?: vscode.Disposable;

  constructor(
    private readonly ctx: vscode.ExtensionContext,
    readonly log: vscode.LogOutputChannel,
  ) {
    this.reload();
    this.watchSshConfig();
    this.watcher = vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('conohaIpv6.hosts')) this.reload();
      if (e.affectsConfiguration('conohaIpv6.sshConfigFile')) this.watchSshConfig();
      if (e.affectsConfiguration('conohaIpv6.sshConfigFile') || e.affectsConfiguration('conohaIpv6.knownHostsFile')) this.connectionOptionsChanged('a setting');
    });
  }

  /** ~/.ssh/config (or conohaIpv6.sshConfigFile) changing refreshes the view: hosts that failed to connect may now connect. */
  private watchSshConfig(): void {
    this.sshConfigWatcher?.dispose();
    const file = sshConfigFile();
    const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(dirname(file)), basename(file)));
    const changed = () => this.connectionOptionsChanged(file);
    this.sshConfigWatcher = vscode.Disposable.from(w, w.onDidChange(changed), w.onDidCreate(changed), w.onDidDelete(changed));
  }

  /** How hosts are reached changed: a host in error goes back to "not connected" (expanding it tries again with the
   * new options); a connected host keeps its connection and uses them from its next one. */
  private connectionOptionsChanged(what: string): void {
    const failed = this.all().filter((s) => s.state === 'error');
    this.log.info(`${what} changed: ${failed.length ? `${failed.map((s) => s.name).join(', ')} will connect again when expanded; ` : ''}connected hosts use it from their next connection`);
    for (const s of failed) void s.disconnect();
    this.fire(undefined);
  }

  all(): HostSession[] {
    return [...this.sessions.values()];
  }

  get(name: string): HostSession | undefined {
    return this.sessions.get(name);
  }

  private reload(): void {
    const entries = readHosts();
    const names = new Set(entries.map((e) => e.name));
    for (const [name, s] of this.sessions) {
      if (!names.has(name)) {
        void s.disconnect();
        this.sessions.delete(name);
      }
    }
    for (const e of entries) {
      const s = this.sessions.get(e.name);
      if (!s) this.sessions.set(e.name, new HostSession(e, this.ctx, this.log, () => this.fire(this.sessions.get(e.name))));
      else if (JSON.stringify(s.entry) !== JSON.stringify(e)) {
        // where the host is, or how to reach it, changed: the old connection no longer applies
        s.entry = e;
        void s.disconnect();
      }
    }
    this.fire(undefined);
  }

  private fire(s: HostSession | undefined): void {
    const all = this.all();
    void vscode.commands.executeCommand('setContext', 'conohaIpv6.hasHosts', all.length > 0);
    void vscode.commands.executeCommand('setContext', 'conohaIpv6.hasConnected', all.some((x) => x.state === 'connected'));
    void vscode.commands.executeCommand('setContext', 'conohaIpv6.hasDisconnected', all.some((x) => x.state !== 'connected'));
    // the walkthrough's steps complete on what is true of a host, not on a command having been run
    const read = all.filter((x) => x.state === 'connected' && x.snapshot && x.config);
    void vscode.commands.executeCommand('setContext', 'conohaIpv6.hasPrepared', read.some((x) => x.checks.length > 0 && hostChecksOf(x.checks).every((k) => k.ok)));
    void vscode.commands.executeCommand('setContext', 'conohaIpv6.hasBound', read.some((x) => x.snapshot && x.config && addressRows(x.snapshot, x.config).some((r) => r.container)));
    this.emitter.fire(s);
  }

  dispose(): void {
    this.watcher.dispose();
    this.sshConfigWatcher?.dispose();
    this.emitter.dispose();
    for (const s of this.sessions.values()) void s.disconnect();
  }
}
