// The ConoHa rule for a host's 16 extra IPv6 addresses, and explicit overrides for hosts where it does not hold.
//
//   host     2400:8500:1301:814:157:7:235:12   (hextets 5..8 spell the IPv4 address 157.7.235.12 in decimal digits)
//   extras   2400:8500:1301:814:a157:7:235:12X  for X in 0..f  = the aligned /124 ...:a157:7:235:120/124
//
// The digits are copied as text, never converted: hextet 5 gets an "a" in front, hextet 8 a hex digit behind,
// so both must be 1 to 3 decimal digits.
import { Address6 } from 'ip-address';
import { InputError } from './errors';
import { l10n } from './l10n';

export interface AddressSet {
  /** the /124 the addresses form, when they form one (derived, or given as a prefix) */
  prefix?: string;
  /** the addresses, in order, in canonical compressed form */
  addresses: string[];
  /** where they came from, for messages */
  source: 'conoha-rule' | 'prefix' | 'list';
}

/** Parses one IPv6 address (no zone, optional /128), returning its canonical compressed form. */
export function normalizeAddress(text: string, what = l10n.t('address')): string {
  const t = text.trim();
  const bare = t.endsWith('/128') ? t.slice(0, -4) : t;
  if (bare.includes('%') || bare.includes('/') || !Address6.isValid(bare)) {
    throw new InputError(l10n.t('"{0}" is not an IPv6 {1} (expected e.g. 2400:8500:1301:814:a157:7:235:120)', text, what));
  }
  return new Address6(bare).correctForm();
}

/** What kind of address this is, for refusing the kinds no container (or gateway) can have. */
export type AddressKind = 'unspecified' | 'loopback' | 'multicast' | 'link-local' | 'IPv4-mapped' | 'IPv4-compatible' | 'unicast';

export function addressKind(address: string): AddressKind {
  const n = BigInt('0x' + new Address6(address).canonicalForm().replace(/:/g, ''));
  if (n === 0n) return 'unspecified';
  if (n === 1n) return 'loopback';
  if (n >> 120n === 0xffn) return 'multicast'; // ff00::/8
  if (n >> 118n === 0x3fan) return 'link-local'; // fe80::/10
  if (n >> 32n === 0xffffn) return 'IPv4-mapped'; // ::ffff:0:0/96
  if (n >> 32n === 0n) return 'IPv4-compatible'; // ::/96 (deprecated)
  return 'unicast';
}

/** An address a provider can route to a container: unicast, not link-local, not an IPv4 address in disguise. */
function containerAddress(address: string, where: string): string {
  const kind = addressKind(address);
  if (kind !== 'unicast') {
    throw new InputError(
      kind === 'IPv4-mapped' || kind === 'IPv4-compatible'
        ? l10n.t('{0} is an {1} address and cannot be given to a container ({2}): use the global addresses the provider routes to this host, e.g. 2400:8500:1301:814:a157:7:235:120', address, kind, where)
        : l10n.t('{0} is a {1} address and cannot be given to a container ({2}): use the global addresses the provider routes to this host, e.g. 2400:8500:1301:814:a157:7:235:120', address, kind, where),
    );
  }
  return address;
}

/** Parses `--gateway`: the router, link-local (ConoHa's is fe80::1) or global unicast; canonical compressed form. */
export function validateGateway(text: string): string {
  const address = normalizeAddress(text, l10n.t('gateway'));
  const kind = addressKind(address);
  if (kind === 'link-local' || (kind === 'unicast' && isGlobalUnicast(address))) return address;
  throw new InputError(
    kind === 'unicast'
      ? l10n.t('{0} cannot be the gateway: it is neither link-local nor global unicast; give the router\'s link-local address (on ConoHa fe80::1, see "ip -6 route" on a fresh host) or a global unicast one', address)
      : kind.startsWith('IPv4')
        ? l10n.t('{0} cannot be the gateway: it is an {1} address; give the router\'s link-local address (on ConoHa fe80::1, see "ip -6 route" on a fresh host) or a global unicast one', address, kind)
        : l10n.t('{0} cannot be the gateway: it is a {1} address; give the router\'s link-local address (on ConoHa fe80::1, see "ip -6 route" on a fresh host) or a global unicast one', address, kind),
  );
}

function hextets(address: string): string[] {
  // canonicalForm is 8 zero-padded groups; strip the padding to get the digits as written
  return new Address6(address).canonicalForm().split(':').map((h) => h.replace(/^0+(?=.)/, ''));
}

/** Derives the 16 addresses of a ConoHa host from its global address (with or without /64, compressed or not). */
export function deriveConohaAddresses(hostAddress: string): AddressSet {
  const raw = hostAddress.trim().replace(/\/(12[0-8]|1[01]\d|[1-9]?\d)$/, '');
  const address = normalizeAddress(raw, l10n.t('host address'));
  const h = hextets(address);
  const octet = /^\d{1,3}$/;
  const misfit = (why: string) =>
    new InputError(
      l10n.t("{0} does not fit the ConoHa rule ({1}): hextets 5 to 8 should spell the host's IPv4 address in decimal, as in 2400:8500:1301:814:157:7:235:12. Name the extra addresses explicitly: a /124 prefix or a list of addresses.", address, why),
      [{ id: 'set-host-setting', setting: 'addresses' }],
    );
  if (!octet.test(h[4])) throw misfit(l10n.t('hextet {0} "{1}" is not 1 to 3 decimal digits', 5, h[4]));
  if (!octet.test(h[7])) throw misfit(l10n.t('hextet {0} "{1}" is not 1 to 3 decimal digits', 8, h[7]));
  if (h.slice(0, 4).every((x) => x === '0')) throw misfit(l10n.t('the /64 prefix is all zeros'));
  const base = [...h.slice(0, 4), `a${h[4]}`, h[5], h[6]].join(':');
  const addresses = Array.from({ length: 16 }, (_, x) => new Address6(`${base}:${h[7]}${x.toString(16)}`).correctForm());
  containerAddress(addresses[0], l10n.t('derived from {0}', address));
  return { prefix: `${addresses[0]}/124`, addresses, source: 'conoha-rule' };
}

/** Parses `--addresses`: a /124 prefix (its 16 addresses) or a comma/space-separated list of addresses. */
/** `what` names where the list came from in messages (an option, a setting); default 'the address list' */
export function parseAddressList(text: string, what = l10n.t('the address list')): AddressSet {
  const t = text.trim();
  if (t === '') throw new InputError(l10n.t('{0} is empty: give a /124 prefix or a comma-separated list of IPv6 addresses', what));
  const slash = /^([^,\s]+)\/(\d{1,3})$/.exec(t);
  if (slash) {
    if (slash[2] === '128') return parseAddressList(slash[1], what);
    if (slash[2] !== '124') throw new InputError(l10n.t('{0}: only a /124 (16 addresses) or single addresses are accepted in {1}', t, what));
    // kinds change only at /8, /10, /96 and /128 boundaries: the first of the 16 speaks for all
    const start = containerAddress(normalizeAddress(slash[1], l10n.t('prefix')), what);
    const net = new Address6(`${start}/124`);
    const first = net.startAddress().correctForm();
    if (first !== start) throw new InputError(l10n.t('{0} is not aligned to a /124: did you mean {1}/124?', t, first));
    const base = BigInt('0x' + net.startAddress().canonicalForm().replace(/:/g, ''));
    const addresses = Array.from({ length: 16 }, (_, x) => bigIntToAddress(base + BigInt(x)));
    return { prefix: `${first}/124`, addresses, source: 'prefix' };
  }
  const items = t.split(/[\s,]+/).filter(Boolean).map((a) => containerAddress(normalizeAddress(a), what));
  if (items.length === 0) throw new InputError(l10n.t('{0} "{1}" lists no address: give a /124 prefix or a comma-separated list of IPv6 addresses', what, t));
  const seen = new Set<string>();
  for (const a of items) {
    if (seen.has(a)) throw new InputError(l10n.t('{0} is listed twice in {1}', a, what));
    seen.add(a);
  }
  if (items.length > 256) throw new InputError(l10n.t('{0} lists {1} addresses; at most 256 are supported', what, items.length));
  return { addresses: items, source: 'list' };
}

function bigIntToAddress(n: bigint): string {
  const hex = n.toString(16).padStart(32, '0');
  const groups = hex.match(/.{4}/g);
  if (!groups) throw new Error(`not a 128-bit number: ${hex}`);
  return new Address6(groups.join(':')).correctForm();
}

/** True for a global unicast address (2000::/3), the kind ConoHa gives a host. */
export function isGlobalUnicast(address: string): boolean {
  return Address6.isValid(address) && /^[23]/.test(new Address6(address).canonicalForm());
}

/** Whether an address lies in a prefix given as "addr/len" (false for anything that does not parse). */
export function inPrefix(address: string, prefix: string): boolean {
  try {
    return new Address6(address).isInSubnet(new Address6(prefix));
  } catch {
    return false;
  }
}
