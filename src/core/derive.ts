// The ConoHa rule for a host's 16 extra IPv6 addresses, and explicit overrides for hosts where it does not hold.
//
//   host     2400:8500:1301:814:157:7:235:12   (hextets 5..8 spell the IPv4 address 157.7.235.12 in decimal digits)
//   extras   2400:8500:1301:814:a157:7:235:12X  for X in 0..f  = the aligned /124 ...:a157:7:235:120/124
//
// The digits are copied as text, never converted: hextet 5 gets an "a" in front, hextet 8 a hex digit behind,
// so both must be 1 to 3 decimal digits.
import { Address6 } from 'ip-address';
import { InputError } from './hostSpec';

export interface AddressSet {
  /** the /124 the addresses form, when they form one (derived, or given as a prefix) */
  prefix?: string;
  /** the addresses, in order, in canonical compressed form */
  addresses: string[];
  /** where they came from, for messages */
  source: 'conoha-rule' | 'prefix' | 'list';
}

/** Parses one IPv6 address (no zone, optional /128), returning its canonical compressed form. */
export function normalizeAddress(text: string, what = 'address'): string {
  const t = text.trim();
  const bare = t.endsWith('/128') ? t.slice(0, -4) : t;
  if (bare.includes('%') || bare.includes('/') || !Address6.isValid(bare)) {
    throw new InputError(`"${text}" is not an IPv6 ${what} (expected e.g. 2400:8500:1301:814:a157:7:235:120)`);
  }
  return new Address6(bare).correctForm();
}

function hextets(address: string): string[] {
  // canonicalForm is 8 zero-padded groups; strip the padding to get the digits as written
  return new Address6(address).canonicalForm().split(':').map((h) => h.replace(/^0+(?=.)/, ''));
}

/** Derives the 16 addresses of a ConoHa host from its global address (with or without /64, compressed or not). */
export function deriveConohaAddresses(hostAddress: string): AddressSet {
  const raw = hostAddress.trim().replace(/\/\d{1,3}$/, '');
  const address = normalizeAddress(raw, 'host address');
  const h = hextets(address);
  const octet = /^\d{1,3}$/;
  const misfit = (why: string) =>
    new InputError(
      `${address} does not fit the ConoHa rule (${why}): hextets 5 to 8 should spell the host's IPv4 address in decimal, ` +
        `as in 2400:8500:1301:814:157:7:235:12. Give the extra addresses explicitly: --addresses PREFIX/124 or a comma-separated list.`,
    );
  if (!octet.test(h[4])) throw misfit(`hextet 5 "${h[4]}" is not 1 to 3 decimal digits`);
  if (!octet.test(h[7])) throw misfit(`hextet 8 "${h[7]}" is not 1 to 3 decimal digits`);
  if (h.slice(0, 4).every((x) => x === '0')) throw misfit('the /64 prefix is all zeros');
  const base = [...h.slice(0, 4), `a${h[4]}`, h[5], h[6]].join(':');
  const addresses = Array.from({ length: 16 }, (_, x) => new Address6(`${base}:${h[7]}${x.toString(16)}`).correctForm());
  return { prefix: `${addresses[0]}/124`, addresses, source: 'conoha-rule' };
}

/** Parses `--addresses`: a /124 prefix (its 16 addresses) or a comma/space-separated list of addresses. */
export function parseAddressList(text: string): AddressSet {
  const t = text.trim();
  if (t === '') throw new InputError('--addresses is empty: give a /124 prefix or a comma-separated list of IPv6 addresses');
  const slash = /^([^,\s]+)\/(\d{1,3})$/.exec(t);
  if (slash) {
    if (slash[2] === '128') return parseAddressList(slash[1]);
    if (slash[2] !== '124') throw new InputError(`${t}: only a /124 (16 addresses) or single addresses are accepted in --addresses`);
    const start = normalizeAddress(slash[1], 'prefix');
    const net = new Address6(`${start}/124`);
    const first = net.startAddress().correctForm();
    if (first !== start) throw new InputError(`${t} is not aligned to a /124: did you mean ${first}/124?`);
    const base = BigInt('0x' + net.startAddress().canonicalForm().replace(/:/g, ''));
    const addresses = Array.from({ length: 16 }, (_, x) => bigIntToAddress(base + BigInt(x)));
    return { prefix: `${first}/124`, addresses, source: 'prefix' };
  }
  const items = t.split(/[\s,]+/).filter(Boolean).map((a) => normalizeAddress(a));
  const seen = new Set<string>();
  for (const a of items) {
    if (seen.has(a)) throw new InputError(`${a} is listed twice in --addresses`);
    seen.add(a);
  }
  if (items.length > 256) throw new InputError(`--addresses lists ${items.length} addresses; at most 256 are supported`);
  return { addresses: items, source: 'list' };
}

function bigIntToAddress(n: bigint): string {
  const hex = n.toString(16).padStart(32, '0');
  return new Address6(hex.match(/.{4}/g)!.join(':')).correctForm();
}

/** True for a global unicast address (2000::/3), the kind ConoHa gives a host. */
export function isGlobalUnicast(address: string): boolean {
  return /^[23]/.test(new Address6(address).canonicalForm());
}
