// All hosts of the sidebar, kept in step with the conohaIpv6.hosts setting, and the context keys that
// decide which commands the palette offers.
import * as vscode from 'vscode';
import { HostSession } from './session';
import { readHosts } from './settings';

export class HostManager implements vscode.Disposable {
  private readonly sessions = new Map<string, HostSession>();
  private readonly emitter = new vscode.EventEmitter<HostSession | undefined>();
  readonly onDidChange = this.emitter.event;
  private readonly watcher: vscode.Disposable;

  constructor(
    private readonly ctx: vscode.ExtensionContext,
    readonly log: vscode.LogOutputChannel,
  ) {
    this.reload();
    this.watcher = vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('conohaIpv6.hosts')) this.reload();
    });
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
    this.emitter.fire(s);
  }

  dispose(): void {
    this.watcher.dispose();
    this.emitter.dispose();
    for (const s of this.sessions.values()) void s.disconnect();
  }
}
