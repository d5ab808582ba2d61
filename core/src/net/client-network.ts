import { isIPv4, isIPv6 } from 'node:net';
import { expandIpv6 } from '../auth/client-address.ts';

/**
 * The network a client address is counted under, as `192.0.2.0/24` or `2001:db8:1:2::/64`:
 * greylisting and rate limits key on it, so a pool of senders in one /24, or one subscriber's
 * /64, counts as one client when the operator wants that. An IPv4 client seen through a
 * dual-stack socket (`::ffff:192.0.2.1`) is an IPv4 client. Anything that is not an IP address
 * is returned as is.
 */
export function clientNetwork(ip: string, ipv4Prefix: number, ipv6Prefix: number): string {
  const bare = ip.replace(/%.*$/, '');
  const address = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare)?.[1] ?? bare;
  if (isIPv4(address)) {
    const value = address.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
    const masked = ipv4Prefix === 0 ? 0 : value - (value % 2 ** (32 - ipv4Prefix));
    const octets = [24, 16, 8, 0].map((shift) => Math.floor(masked / 2 ** shift) % 256);
    return `${octets.join('.')}/${ipv4Prefix}`;
  }
  if (isIPv6(address)) {
    const groups = expandIpv6(address).split(':').map((group) => parseInt(group, 16));
    const kept = Math.ceil(ipv6Prefix / 16);
    const masked = groups.slice(0, kept).map((group, i) => {
      const bits = Math.min(16, ipv6Prefix - i * 16);
      return bits === 16 ? group : group & (0xffff << (16 - bits)) & 0xffff;
    });
    const text = masked.map((group) => group.toString(16)).join(':');
    if (kept === 8) return `${text}/${ipv6Prefix}`;
    return kept === 0 ? '::/0' : `${text}::/${ipv6Prefix}`;
  }
  return ip;
}
