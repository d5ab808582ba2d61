import { BlockList, isIPv4, isIPv6 } from 'node:net';

/** A set of CIDR networks, IPv4 and IPv6. */
export interface NetworkList {
  contains(ip: string): boolean;
}

/**
 * Parses `192.0.2.0/24`, `2001:db8::/32` or a bare address. Throws a RangeError naming a bad
 * entry, so a typo stops the server at startup instead of silently exempting nobody.
 */
export function parseNetworks(entries: readonly string[]): NetworkList {
  const blocks = new BlockList();
  for (const entry of entries) {
    const match = /^([^/\s]+)(?:\/(\d{1,3}))?$/.exec(entry.trim());
    const address = match?.[1] ?? '';
    const family = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : undefined;
    const max = family === 'ipv4' ? 32 : 128;
    const prefix = match?.[2] === undefined ? max : Number(match[2]);
    if (!family || prefix > max) throw new RangeError(`rate-limit: not a network in CIDR notation: ${JSON.stringify(entry)}`);
    blocks.addSubnet(address, prefix, family);
  }
  return {
    contains(ip: string): boolean {
      // A dual-stack listener reports an IPv4 client as ::ffff:a.b.c.d; it is the IPv4 client.
      const address = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1] ?? ip.replace(/%.*$/, '');
      if (isIPv4(address)) return blocks.check(address, 'ipv4');
      if (isIPv6(address)) return blocks.check(address, 'ipv6');
      return false;
    },
  };
}
