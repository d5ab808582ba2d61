import { promises as dns } from 'node:dns';
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
    reverse: (ip: string) => resolver.reverse(ip),
    resolve4: (name: string) => resolver.resolve4(name),
    resolve6: (name: string) => resolver.resolve6(name),
    resolveMx: (name: string): Promise<MxRecord[]> => resolver.resolveMx(name),
    resolveTxt: (name: string) => resolver.resolveTxt(name),
    resolveCname: (name: string) => resolver.resolveCname(name),
    resolve: (name: string, rrtype: string) => resolver.resolve(name, rrtype as 'A') as Promise<unknown[]>,
  });
}
