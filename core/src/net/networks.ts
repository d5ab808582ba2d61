import { BlockList, isIPv4, isIPv6 } from 'node:net';

/** A set of CIDR networks, IPv4 and IPv6. */
export interface NetworkList {
  contains(ip: string): boolean;
  readonly size: number;
}

/**
 * Parses `192.0.2.0/24`, `2001:db8::/32` or a bare address (a /32 or /128). Returns the list
 * and the index of every entry that is not a network, so the caller can point at it (a JSON
 * pointer in a rule file, an option path).
 */
export function parseNetworkEntries(entries: readonly string[]): { list: NetworkList; invalid: number[] } {
  const blocks = new BlockList();
  const invalid: number[] = [];
  entries.forEach((entry, index) => {
    const match = /^([^/\s]+)(?:\/(\d{1,3}))?$/.exec(entry.trim());
    const address = match?.[1] ?? '';
    const family = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : undefined;
    const max = family === 'ipv4' ? 32 : 128;
    const prefix = match?.[2] === undefined ? max : Number(match[2]);
    if (!family || prefix > max) invalid.push(index);
    else blocks.addSubnet(address, prefix, family);
  });
  return {
    invalid,
    list: {
      size: entries.length - invalid.length,
      contains(ip: string): boolean {
        // A dual-stack listener reports an IPv4 client as ::ffff:a.b.c.d; it is the IPv4 client.
        const address = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1] ?? ip.replace(/%.*$/, '');
        if (isIPv4(address)) return blocks.check(address, 'ipv4');
        if (isIPv6(address)) return blocks.check(address, 'ipv6');
        return false;
      },
    },
  };
}

/**
 * The networks of an option: a bad entry throws a RangeError that names the option and the
 * entry, so a typo stops the server at startup instead of silently trusting (or exempting)
 * the wrong clients.
 */
export function parseNetworks(entries: readonly string[], option = 'networks'): NetworkList {
  const { list, invalid } = parseNetworkEntries(entries);
  if (invalid.length) throw new RangeError(`${option}: not an address or CIDR block: ${JSON.stringify(entries[invalid[0]!])}`);
  return list;
}
