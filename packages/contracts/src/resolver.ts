import { serviceToken } from './service.ts';

export interface MxRecord {
  readonly exchange: string;
  readonly priority: number;
}

/**
 * Every DNS lookup of the server goes through this service, so an operator (or a test) can
 * point all of them at chosen servers. Errors carry the `code` of node:dns (`ENOTFOUND`,
 * `ENODATA`, `ETIMEOUT`, `ESERVFAIL`...), which callers use to tell "no such record" from a
 * temporary failure.
 */
export interface DnsResolver {
  reverse(ip: string): Promise<string[]>;
  resolve4(name: string): Promise<string[]>;
  resolve6(name: string): Promise<string[]>;
  resolveMx(name: string): Promise<MxRecord[]>;
  /** TXT records, each as its list of character-strings. */
  resolveTxt(name: string): Promise<string[][]>;
  resolveCname(name: string): Promise<string[]>;
  /** The shape mailauth and similar libraries take: `resolve(name, rrtype)`. */
  resolve(name: string, rrtype: string): Promise<unknown[]>;
}

export const Resolver = serviceToken<DnsResolver>('posthorn.resolver', 'DNS resolver used by every lookup');
