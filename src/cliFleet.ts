// status and verify on several hosts in one call: each host on its own connection, a few at a time; one failing or
// dead host never stops the others; one table, and the worst host's exit code.
import { addressRows } from './core/addressRows';
import { Check, judgeHost } from './core/checks';
import { HostConfig, Overrides } from './core/config';
import { Civ6Error, EXIT } from './core/errors';
import { FleetRow, fleetExitCode, fleetTable } from './core/fleet';
import { settledLimited } from './core/limit';
import { HostSnapshot } from './core/snapshot';
import type { Observer, VerifyOptions } from './host/operations';
import { status, verify } from './host/modeOperations';
import { artifacts } from './host/scripts';
import { Transport, TransportError } from './host/transport';

/** Hosts at once: each is one SSH connection and one round trip. */
export const FLEET_PARALLEL = 4;

const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;

function rowOf(host: string, s: HostSnapshot, c: HostConfig | undefined, checks: Check[], configError?: string): FleetRow {
  const failed = checks.filter((k) => !k.ok);
  const rows = c ? addressRows(s, c) : [];
  return {
    host,
    exitCode: failed.length || !c ? EXIT.failed : EXIT.ok,
    state: !c ? 'addresses unknown' : failed.length ? plural(failed.length, 'problem') : 'ready',
    bound: c ? `${rows.filter((r) => r.container).length}/${rows.length}` : undefined,
    checks: checks.length ? `${checks.length - failed.length}/${checks.length}` : undefined,
    detail: configError ?? failed.at(0)?.message,
  };
}

export interface FleetOptions {
  command: 'status' | 'verify';
  hosts: string[];
  open: (host: string) => Promise<Transport>;
  overrides: Overrides;
  verifyOptions: VerifyOptions;
  observer: (host: string) => Observer;
}

export async function runFleet(o: FleetOptions): Promise<{ rows: FleetRow[]; table: string; exitCode: number }> {
  const settled = await settledLimited(o.hosts, FLEET_PARALLEL, async (host): Promise<FleetRow> => {
    const t = await o.open(host);
    try {
      if (o.command === 'verify') {
        const r = await verify(t, o.overrides, o.observer(host), o.verifyOptions);
        return rowOf(host, r.snapshot, r.config, r.checks);
      }
      // a host in docker mode is judged by that mode's checks
      const r = await status(t, o.overrides, o.observer(host));
      return rowOf(host, r.snapshot, r.config, r.checks ?? (r.config ? judgeHost(r.snapshot, r.config, artifacts) : []), r.configError);
    } finally {
      await t.close();
    }
  });
  const rows = settled.map((r, i): FleetRow => {
    if (r.status === 'fulfilled') return r.value;
    const e: unknown = r.reason;
    const message = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    const exitCode = e instanceof Civ6Error ? e.exitCode : EXIT.failed;
    return { host: o.hosts[i], exitCode, state: e instanceof TransportError ? 'unreachable' : 'error', detail: message };
  });
  return { rows, table: fleetTable(rows), exitCode: fleetExitCode(rows) };
}
