import { BlockList, isIP, isIPv4 } from 'node:net';

/** `::ffff:192.0.2.1` (an IPv4 client on a dual-stack socket) is `192.0.2.1`. */
export function plainAddress(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return mapped ? mapped[1]! : address;
}

/** The same address in one spelling, so that two spellings of an IPv6 address compare equal. */
export function canonicalAddress(address: string): string {
  const plain = plainAddress(address);
  if (isIP(plain) !== 6) return plain;
  // The WHATWG URL parser prints IPv6 addresses in their canonical form (RFC 5952).
  return new URL(`http://[${plain}]/`).hostname.slice(1, -1);
}

/** Adds `address` or `address/prefix` to a BlockList; false when it is neither. */
export function addNetwork(list: BlockList, spec: string): boolean {
  const [address, prefix, extra] = spec.trim().split('/');
  if (extra !== undefined || !address) return false;
  const family = isIP(address);
  if (family === 0) return false;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (prefix === undefined) {
    list.addAddress(address, type);
    return true;
  }
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > (family === 4 ? 32 : 128)) return false;
  list.addSubnet(address, Number(prefix), type);
  return true;
}

export function inNetworks(list: BlockList, address: string): boolean {
  const plain = plainAddress(address);
  const family = isIP(plain);
  if (family === 0) return false;
  return list.check(plain, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * The owner name a DNS list is asked about for an address (RFC 5782 2.1 and 2.4): the IPv4
 * octets reversed, or the 32 nibbles of the IPv6 address reversed, in front of the zone.
 */
export function reversedAddress(address: string): string | undefined {
  const plain = plainAddress(address);
  if (isIPv4(plain)) return plain.split('.').reverse().join('.');
  if (isIP(plain) !== 6) return undefined;
  return expandIpv6(plain).replace(/:/g, '').split('').reverse().join('.');
}

/** `2001:db8::1` -> `2001:0db8:0000:...:0001`, eight groups of four hex digits. */
function expandIpv6(address: string): string {
  let text = address.toLowerCase();
  // An embedded IPv4 tail (::ffff:1.2.3.4, 64:ff9b::1.2.3.4) becomes two hex groups.
  const v4 = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const missing = tail === undefined ? 0 : 8 - left.length - right.length;
  return [...left, ...Array<string>(missing).fill('0'), ...right].map((group) => group.padStart(4, '0')).join(':');
}

/** IPv4 address as a 32-bit number. */
export function ipv4Number(address: string): number {
  return address.split('.').reduce((sum, octet) => sum * 256 + Number(octet), 0);
}

/**
 * A return code specification of a DNS list: `127.0.0.2`, `127.0.0.4-127.0.0.7` or
 * `127.0.0.0/24`, as an inclusive numeric range; undefined when it is none of these.
 */
export function parseCodeRange(spec: string): { from: number; to: number } | undefined {
  const text = spec.trim();
  const range = /^([\d.]+)\s*-\s*([\d.]+)$/.exec(text);
  if (range) {
    if (!isIPv4(range[1]!) || !isIPv4(range[2]!)) return undefined;
    const from = ipv4Number(range[1]!);
    const to = ipv4Number(range[2]!);
    return from <= to ? { from, to } : undefined;
  }
  const cidr = /^([\d.]+)\/(\d{1,2})$/.exec(text);
  if (cidr) {
    const bits = Number(cidr[2]);
    if (!isIPv4(cidr[1]!) || bits > 32) return undefined;
    const size = 2 ** (32 - bits);
    const from = Math.floor(ipv4Number(cidr[1]!) / size) * size;
    return { from, to: from + size - 1 };
  }
  if (!isIPv4(text)) return undefined;
  const at = ipv4Number(text);
  return { from: at, to: at };
}
