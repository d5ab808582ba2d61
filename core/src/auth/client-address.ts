import { isIPv4, isIPv6 } from 'node:net';

/** 127.0.0.0/8, ::1, and IPv4 loopback seen through a dual-stack socket. */
export function isLoopback(ip: string): boolean {
  const address = unmapIpv4(ip);
  if (isIPv4(address)) return address.startsWith('127.');
  return isIPv6(address) && expandIpv6(address) === '0000:0000:0000:0000:0000:0000:0000:0001';
}

/**
 * The key failures from one client are counted under. An IPv4 address counts alone; an
 * IPv6 client counts by its /64, because one subscriber usually gets a whole /64 and could
 * otherwise change address for every attempt.
 */
export function clientKey(ip: string): string {
  const address = unmapIpv4(ip);
  if (isIPv6(address)) return `${expandIpv6(address).split(':').slice(0, 4).join(':')}::/64`;
  return address;
}

/** `::ffff:192.0.2.1` (an IPv4 peer of a dual-stack listener) becomes `192.0.2.1`. */
function unmapIpv4(ip: string): string {
  const match = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return match ? match[1]! : ip;
}

/** Eight groups of four lower-case hex digits; zone ids (`%eth0`) are dropped. */
export function expandIpv6(ip: string): string {
  let address = ip.toLowerCase().replace(/%.*$/, '');
  // An embedded IPv4 tail (`::ffff:1.2.3.4`, `64:ff9b::1.2.3.4`) becomes two hex groups.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    address = `${address.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = address.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const missing = tail === undefined ? 0 : 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(missing).fill('0'), ...tailGroups];
  return groups.map((group) => group.padStart(4, '0')).join(':');
}
