// conohaIpv6.hosts: the hosts in the sidebar. Connection facts only; secrets never live in settings.
import * as vscode from 'vscode';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Overrides } from '../core/config';
import { parseAddressList } from '../core/derive';
import { HostSpec } from '../core/hostSpec';
import { validateInterfaceName } from '../core/shell';
import { parseMode } from '../core/nativePlan';
import { parsePort, parseProbe } from '../core/probe';
import type { VerifyOptions } from '../host/operations';

export interface HostEntry {
  name: string;
  host: string;
  port?: number;
  user?: string;
  identityFile?: string;
  /** jump hosts, as ssh -J writes them; undefined: the ssh config's ProxyJump */
  proxyJump?: string;
  bridge?: string;
  interface?: string;
  gateway?: string;
  addresses?: string;
  /** radvd (default) or docker (a Docker IPv6 network on the /124): src/core/nativePlan.ts */
  mode?: string;
  /** verify: a TCP connection from here to each bound container on this port */
  verifyPort?: number;
  /** verify: from each bound container, a TCP connection ([ADDR]:PORT) or a ping (ADDR) outwards */
  probe?: string;
}

const SECTION = 'conohaIpv6';

/** A setting as the user set it (user settings only): a workspace (a cloned repository's .vscode/settings.json)
 * must not add hosts, nor point host-key trust or the ssh config somewhere else. The manifest also declares these
 * settings application-scoped (user settings only), which makes VS Code ignore workspace values; this holds on any version. */
function userValue(key: string): unknown {
  return vscode.workspace.getConfiguration(SECTION).inspect(key)?.globalValue;
}

export function readHosts(): HostEntry[] {
  const raw = userValue('hosts') ?? [];
  if (!Array.isArray(raw)) return [];
  return raw.filter((h): h is HostEntry => !!h && typeof (h as HostEntry).name === 'string' && typeof (h as HostEntry).host === 'string');
}

export async function writeHosts(hosts: HostEntry[]): Promise<void> {
  await vscode.workspace.getConfiguration(SECTION).update('hosts', hosts, vscode.ConfigurationTarget.Global);
}

const expandHome = (p: string) => (p.startsWith('~/') ? join(homedir(), p.slice(2)) : p);

/** conohaIpv6.knownHostsFile when the user set it (it then replaces the ssh config's UserKnownHostsFile) */
export function knownHostsFileSetting(): string | undefined {
  const v = userValue('knownHostsFile');
  return typeof v === 'string' && v ? expandHome(v) : undefined;
}

export function knownHostsFile(): string {
  return knownHostsFileSetting() ?? join(homedir(), '.ssh', 'known_hosts');
}

/** conohaIpv6.sshConfigFile when the user set it */
export function sshConfigFileSetting(): string | undefined {
  const v = userValue('sshConfigFile');
  return typeof v === 'string' && v ? expandHome(v) : undefined;
}

export function sshConfigFile(): string {
  return sshConfigFileSetting() ?? join(homedir(), '.ssh', 'config');
}

export function specOf(h: HostEntry): HostSpec {
  return { user: h.user || 'root', host: h.host.replace(/^\[(.*)\]$/, '$1'), port: h.port || 22 };
}

export function identityOf(h: HostEntry): string | undefined {
  return h.identityFile ? expandHome(h.identityFile) : undefined;
}

/** The entry's host settings as the engine's overrides (validated: bad settings are an InputError). */
export function overridesOf(h: HostEntry): Overrides {
  const o: Overrides = {};
  if (h.interface) o.interface = validateInterfaceName(h.interface, `conohaIpv6.hosts[${h.name}].interface`);
  if (h.bridge) o.bridge = validateInterfaceName(h.bridge, `conohaIpv6.hosts[${h.name}].bridge`);
  if (h.gateway) o.gateway = h.gateway;
  if (h.addresses) o.addresses = parseAddressList(h.addresses, `conohaIpv6.hosts[${h.name}].addresses`);
  if (h.mode) o.mode = parseMode(h.mode, `conohaIpv6.hosts[${h.name}].mode`);
  return o;
}


/** The entry's verify settings (validated: bad settings are an InputError). */
export function verifyOptionsOf(h: HostEntry): VerifyOptions {
  return {
    port: h.verifyPort === undefined ? undefined : parsePort(h.verifyPort, `conohaIpv6.hosts[${h.name}].verifyPort`),
    probe: h.probe ? parseProbe(h.probe, `conohaIpv6.hosts[${h.name}].probe`) : undefined,
  };
}
