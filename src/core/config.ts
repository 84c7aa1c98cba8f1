// Which uplink, bridge, gateway and addresses a host uses: the user's options first, then what the host
// recorded at its last prepare, then what the host tells us (default route, its global address).
import { AddressSet, deriveConohaAddresses, isGlobalUnicast, parseAddressList, validateGateway } from './derive';
import { InputError, RefusedError } from './errors';
import { l10n } from './l10n';
import { validateInterfaceName } from './shell';
import { HostSnapshot, defaultRoutes } from './snapshot';

export interface Overrides {
  /** the host's mode (docker mode: src/core/nativePlan.ts); unset: what the host records, else radvd */
  mode?: 'radvd' | 'docker';
  interface?: string;
  bridge?: string;
  gateway?: string;
  addresses?: AddressSet;
}

export interface HostConfig {
  uplink: string;
  bridge: string;
  gateway: string;
  addresses: string[];
  /** the /124, when the addresses form one */
  prefix?: string;
  /** how the addresses were chosen, for messages */
  addressSource: 'option' | 'recorded' | 'conoha-rule';
  /** the host's own global address on the uplink that the rule was applied to */
  hostAddress?: string;
}

export { RefusedError } from './errors';

export function resolveHostConfig(s: HostSnapshot, o: Overrides = {}): HostConfig {
  const rec = s.recorded;
  const defaults = defaultRoutes(s);
  const uplink = o.interface ?? defaults[0]?.dev ?? rec?.uplink;
  if (!uplink) {
    throw new RefusedError(
      l10n.t('this host has no IPv6 default route and no recorded uplink: is IPv6 enabled on it? Check "ip -6 addr" and "ip -6 route" on the host, or name the uplink and the router in the host\'s settings.'),
      [{ id: 'set-host-setting', setting: 'interface' }, { id: 'set-host-setting', setting: 'gateway' }],
    );
  }
  validateInterfaceName(uplink, l10n.t('the uplink'));
  if (!s.links.some((l) => l.name === uplink)) {
    throw new InputError(l10n.t('interface {0} does not exist on {1}; the host has: {2}', uplink, s.hostname, s.links.map((l) => l.name).join(', ')));
  }
  const bridge = validateInterfaceName(o.bridge ?? rec?.bridge ?? 'docker0', l10n.t('the bridge'));
  const gwText = o.gateway ?? defaults.find((r) => r.dev === uplink && r.gateway)?.gateway ?? rec?.gateway;
  if (!gwText) {
    throw new RefusedError(l10n.t('there is no IPv6 default route via {0} to learn the gateway from: name the gateway in the host\'s settings (on ConoHa the router\'s link-local address, see "ip -6 route" on a fresh host)', uplink), [{ id: 'set-host-setting', setting: 'gateway' }]);
  }
  // the gateway, whether from --gateway, the host's default route or its host.conf: link-local or global unicast
  const gateway = validateGateway(gwText);

  if (o.addresses) return { uplink, bridge, gateway, addresses: o.addresses.addresses, prefix: o.addresses.prefix, addressSource: 'option' };
  if (rec && rec.addresses.length > 0) {
    // host.conf is the host's word: its addresses pass the same checks as --addresses
    let recorded: AddressSet;
    try {
      recorded = parseAddressList(rec.addresses.join(','));
    } catch (e) {
      throw new RefusedError(l10n.t("/etc/conoha-ipv6/host.conf on {0} lists addresses that cannot be a container's ({1}): name the address set in the host's settings, then prepare again", s.hostname, (e as Error).message), [{ id: 'set-host-setting', setting: 'addresses' }, { id: 'prepare' }]);
    }
    return { uplink, bridge, gateway, addresses: recorded.addresses, prefix: prefixOf(recorded.addresses), addressSource: 'recorded' };
  }
  const globals = s.addresses.filter((a) => a.dev === uplink && a.scope === 'global' && isGlobalUnicast(a.address)).map((a) => a.address);
  if (globals.length === 0) {
    throw new RefusedError(l10n.t('{0} on {1} has no global IPv6 address: is IPv6 enabled for this VPS? (ConoHa: enable IPv6 in the control panel, then check "ip -6 addr show {0}")', uplink, s.hostname));
  }
  let firstError: Error | undefined;
  for (const g of globals) {
    try {
      const set = deriveConohaAddresses(g);
      return { uplink, bridge, gateway, addresses: set.addresses, prefix: set.prefix, addressSource: 'conoha-rule', hostAddress: g };
    } catch (e) {
      firstError ??= e as Error;
    }
  }
  throw firstError ?? new Error(l10n.t('no global IPv6 address on {0} could be used', uplink));
}

function prefixOf(addresses: string[]): string | undefined {
  try {
    const set = parseAddressList(`${addresses[0]}/124`);
    return addresses.length === 16 && set.addresses.every((a, i) => a === addresses[i]) ? set.prefix : undefined;
  } catch {
    return undefined;
  }
}
