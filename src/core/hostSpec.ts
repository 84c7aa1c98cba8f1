// Parsing `--host [user@]host[:port]`; IPv6 literals in brackets: root@[2001:db8::2]:2222.
import { Address6 } from 'ip-address';
import { InputError } from './errors';
import { l10n } from './l10n';

export interface HostSpec {
  user: string;
  host: string;
  port: number;
}

export { InputError } from './errors';

const USER = /^[a-z_][a-z0-9_.-]{0,31}$/i;
// host names, and ssh config aliases (which may hold "_", as in Host my_vps); never starting with "-"
const HOSTNAME = /^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*\.?$/i;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function parseHostSpec(spec: string, defaults: { user?: string; port?: number } = {}): HostSpec {
  const t = parseHostTarget(spec);
  return { user: t.user ?? defaults.user ?? 'root', host: t.host, port: t.port ?? defaults.port ?? 22 };
}

/** `[user@]host[:port]` with only what it says: user and port undefined when not written (an ssh config may set them). */
export function parseHostTarget(spec: string): { user?: string; host: string; port?: number } {
  const hint = l10n.t('write it as [user@]host[:port], with an IPv6 literal in brackets: root@[2001:db8::2]:22');
  let rest = spec.trim();
  let user: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    user = rest.slice(0, at);
    rest = rest.slice(at + 1);
    if (!USER.test(user)) throw new InputError(l10n.t('"{0}" is not a valid user name in host "{1}"; {2}', user, spec, hint));
  }
  let host: string;
  let portText: string | undefined;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) throw new InputError(l10n.t('missing "]" in host "{0}"; {1}', spec, hint));
    host = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (after !== '') {
      if (!after.startsWith(':')) throw new InputError(l10n.t('unexpected "{0}" after "]" in host "{1}"; {2}', after, spec, hint));
      portText = after.slice(1);
    }
    if (!Address6.isValid(host) || host.includes('/')) throw new InputError(l10n.t('"{0}" is not an IPv6 address in host "{1}"; {2}', host, spec, hint));
  } else if ((rest.match(/:/g) ?? []).length > 1) {
    // a bare IPv6 literal (no port possible without brackets)
    host = rest;
    if (!Address6.isValid(host) || host.includes('/')) throw new InputError(l10n.t('"{0}" is not an IPv6 address in host "{1}"; {2}', host, spec, hint));
  } else {
    const colon = rest.indexOf(':');
    host = colon >= 0 ? rest.slice(0, colon) : rest;
    portText = colon >= 0 ? rest.slice(colon + 1) : undefined;
    if (!IPV4.test(host) && !HOSTNAME.test(host)) throw new InputError(l10n.t('"{0}" is not a host name or address in host "{1}"; {2}', host, spec, hint));
  }
  let port: number | undefined;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || +portText < 1 || +portText > 65535) throw new InputError(l10n.t('"{0}" is not a port (1-65535) in host "{1}"; {2}', portText, spec, hint));
    port = +portText;
  }
  return { user, host, port };
}

/** How OpenSSH names a host in known_hosts: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

export function formatHostSpec(h: HostSpec): string {
  const host = h.host.includes(':') ? `[${h.host}]` : h.host;
  return `${h.user}@${host}${h.port === 22 ? '' : `:${h.port}`}`;
}
