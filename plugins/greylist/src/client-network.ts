import { isIPv4, isIPv6 } from 'node:net';

/**
 * The network a client address is counted under, as `192.0.2.0/24` or `2001:db8:1:2::/64`.
 *
 * Large senders retry from another host of the same pool, usually in the same /24 (IPv4) or
 * /64 (IPv6, where one site or subscriber gets a whole /64): keyed on the exact address, their
 * retry would be greylisted again. An IPv4 client seen through a dual-stack socket
 * (`::ffff:192.0.2.1`) is an IPv4 client. Anything that is not an IP address is returned as is.
 */
export function clientNetwork(ip: string, ipv4Prefix = 24, ipv6Prefix = 64): string {
  const address = unmapIpv4(ip.replace(/%.*$/, ''));
  if (isIPv4(address)) {
    const value = address.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
    const masked = ipv4Prefix === 0 ? 0 : value - (value % 2 ** (32 - ipv4Prefix));
    const octets = [24, 16, 8, 0].map((shift) => Math.floor(masked / 2 ** shift) % 256);
    return `${octets.join('.')}/${ipv4Prefix}`;
  }
  if (isIPv6(address)) {
    const groups = ipv6Groups(address);
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

function unmapIpv4(ip: string): string {
  return /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1] ?? ip;
}

/** The eight 16-bit groups of a valid IPv6 address (an embedded IPv4 tail included). */
export function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase();
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const missing = tail === undefined ? 0 : 8 - headGroups.length - tailGroups.length;
  return [...headGroups, ...Array<string>(missing).fill('0'), ...tailGroups].map((group) => parseInt(group, 16));
}
