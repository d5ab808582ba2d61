import { promises as dns } from 'node:dns';
import { isIPv4, isIPv6 } from 'node:net';
import type { DnsResolver, MxRecord } from '@posthorn/contracts';

export interface ResolverOptions {
  /** `host` or `host:port` entries; absent means the system's resolvers (/etc/resolv.conf). */
  readonly servers?: readonly string[];
  readonly timeout: number;
  readonly tries: number;
}

/**
 * The resolver service the core provides. One node:dns Resolver, so the servers an operator
 * (or a test) configures apply to every lookup made through it.
 */
export function createResolver(options: ResolverOptions): DnsResolver {
  const resolver = new dns.Resolver({ timeout: options.timeout, tries: options.tries });
  if (options.servers?.length) resolver.setServers([...options.servers]);
  return Object.freeze({
    // A PTR query of its own rather than resolver.reverse(): c-ares answers that one from
    // /etc/hosts first, so the configured servers would not be the ones asked.
    reverse: (ip: string) => resolver.resolvePtr(reverseName(ip)),
    resolve4: (name: string) => resolver.resolve4(name),
    resolve6: (name: string) => resolver.resolve6(name),
    // Exactly the contract's fields: later Node 24 releases add `type: 'MX'` to each record.
    resolveMx: async (name: string): Promise<MxRecord[]> => (await resolver.resolveMx(name)).map(({ exchange, priority }) => ({ exchange, priority })),
    resolveTxt: (name: string) => resolver.resolveTxt(name),
    resolveCname: (name: string) => resolver.resolveCname(name),
    resolve: (name: string, rrtype: string) => resolver.resolve(name, rrtype as 'A') as Promise<unknown[]>,
  });
}

/** The PTR owner name of an address: in-addr.arpa (RFC 1035 3.5) or ip6.arpa nibbles (RFC 3596 2.5). */
export function reverseName(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  if (mapped || isIPv4(ip)) return `${(mapped ?? ip).split('.').reverse().join('.')}.in-addr.arpa`;
  if (!isIPv6(ip)) throw Object.assign(new Error(`not an IP address: ${ip}`), { code: 'EINVAL' });
  const [head = '', tail = ''] = ip.split('::');
  const groups = (part: string) => (part ? part.split(':') : []);
  const missing = 8 - groups(head).length - groups(tail).length;
  const full = [...groups(head), ...Array<string>(ip.includes('::') ? missing : 0).fill('0'), ...groups(tail)];
  return `${full.map((g) => g.padStart(4, '0')).join('').split('').reverse().join('.')}.ip6.arpa`;
}
