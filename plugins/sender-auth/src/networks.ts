import { BlockList, isIPv4, isIPv6 } from 'node:net';

/** Client networks whose mail is not checked (an internal relay, a content filter reinjecting). */
export interface TrustedNetworks {
  contains(ip: string): boolean;
}

/**
 * Parses CIDR blocks (`192.0.2.0/24`, `2001:db8::/32`) and bare addresses. A bad entry
 * throws, naming it, so a typo stops the server at startup instead of trusting the wrong
 * clients.
 */
export function trustedNetworks(entries: readonly string[]): TrustedNetworks {
  const list = new BlockList();
  for (const entry of entries) {
    const match = /^([^/\s]+)(?:\/(\d{1,3}))?$/.exec(entry.trim());
    const address = match?.[1] ?? '';
    const family = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : undefined;
    const max = family === 'ipv4' ? 32 : 128;
    const prefix = match?.[2] === undefined ? max : Number(match[2]);
    if (!family || prefix > max) throw new RangeError(`sender-auth: skip.networks: not an address or CIDR block: ${JSON.stringify(entry)}`);
    list.addSubnet(address, prefix, family);
  }
  return {
    contains(ip: string): boolean {
      if (entries.length === 0) return false;
      // A dual-stack listener reports an IPv4 client as ::ffff:a.b.c.d.
      const address = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1] ?? ip.replace(/%.*$/, '');
      if (isIPv4(address)) return list.check(address, 'ipv4');
      if (isIPv6(address)) return list.check(address, 'ipv6');
      return false;
    },
  };
}
