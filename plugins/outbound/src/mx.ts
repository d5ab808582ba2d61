import { isIP } from 'node:net';
import type { DnsResolver, MxRecord } from '@posthorn/contracts';
import type { SmtpReply } from '@posthorn/core';
import { LocalReplies } from './replies.ts';

/** A mail host to try, with its addresses when they are already known. */
export interface MailHost {
  readonly name: string;
  readonly addresses?: readonly string[];
}

/** Where a domain's mail goes according to DNS, or why it goes nowhere. */
export type MxPlan = { readonly hosts: readonly MailHost[] } | { readonly reply: SmtpReply; readonly detail: string };

export type AddressLookup =
  | { readonly addresses: readonly string[] }
  | { readonly error: 'nxdomain' | 'nodata' | 'temporary'; readonly detail: string };

/** node:dns codes that say "this name (or record) does not exist"; anything else may pass. */
const NXDOMAIN = 'ENOTFOUND';
const NODATA = 'ENODATA';

function codeOf(err: unknown): string {
  return String((err as { code?: unknown } | undefined)?.code ?? 'EUNKNOWN');
}

/** RFC 7505: an MX with the root as exchange; node:dns gives it as '' (some resolvers as '.'). */
function isNullMx(record: MxRecord): boolean {
  return record.exchange === '' || record.exchange === '.';
}

/**
 * MX host names in the order to try them (RFC 5321 5.1): lowest preference first, hosts of
 * equal preference in random order so that load spreads over them; duplicates dropped.
 */
export function orderMx(records: readonly MxRecord[], random: () => number = Math.random): string[] {
  const usable = records.filter((record) => !isNullMx(record));
  const shuffled = [...usable];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  // Array.prototype.sort is stable, so the shuffle decides the order within one preference.
  shuffled.sort((a, b) => a.priority - b.priority);
  const names: string[] = [];
  for (const record of shuffled) {
    const name = record.exchange.toLowerCase().replace(/\.$/, '');
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

/** A host's IPv4 addresses, then its IPv6 ones, through the Resolver service. */
export async function lookupAddresses(host: string, resolver: DnsResolver): Promise<AddressLookup> {
  if (isIP(host)) return { addresses: [host] };
  const [v4, v6] = await Promise.allSettled([resolver.resolve4(host), resolver.resolve6(host)]);
  const addresses = [...(v4.status === 'fulfilled' ? v4.value : []), ...(v6.status === 'fulfilled' ? v6.value : [])];
  if (addresses.length) return { addresses };
  const codes = [v4, v6].flatMap((result) => (result.status === 'rejected' ? [codeOf(result.reason)] : []));
  const detail = `A/AAAA ${host}: ${codes.length ? codes.join(', ') : 'no records'}`;
  if (codes.some((code) => code !== NXDOMAIN && code !== NODATA)) return { error: 'temporary', detail };
  return { error: codes.includes(NXDOMAIN) ? 'nxdomain' : 'nodata', detail };
}

/**
 * Looks up where mail for `domain` (an A-label) goes: its MX hosts; the domain itself when it
 * has no MX (implicit MX, RFC 5321 5.1); nowhere for a null MX (RFC 7505) or a domain that does
 * not exist; a temporary failure when DNS cannot tell.
 */
export async function planMx(domain: string, resolver: DnsResolver, random: () => number = Math.random): Promise<MxPlan> {
  let records: MxRecord[];
  try {
    records = await resolver.resolveMx(domain);
  } catch (err) {
    const code = codeOf(err);
    if (code === NXDOMAIN) return { reply: LocalReplies.noSuchDomain(domain), detail: `MX ${domain}: ${code}` };
    if (code !== NODATA) return { reply: LocalReplies.dnsFailure(domain), detail: `MX ${domain}: ${code}` };
    records = [];
  }
  if (records.length > 0 && records.every(isNullMx)) return { reply: LocalReplies.nullMx(domain), detail: `MX ${domain}: null MX` };
  const hosts = orderMx(records, random);
  if (hosts.length > 0) return { hosts: hosts.map((name) => ({ name })) };
  // Implicit MX: the domain's own addresses. Without any, the domain takes no mail at all.
  const lookup = await lookupAddresses(domain, resolver);
  if ('addresses' in lookup) return { hosts: [{ name: domain, addresses: lookup.addresses }] };
  if (lookup.error === 'temporary') return { reply: LocalReplies.dnsFailure(domain), detail: lookup.detail };
  if (lookup.error === 'nxdomain') return { reply: LocalReplies.noSuchDomain(domain), detail: lookup.detail };
  return { reply: LocalReplies.noMailHost(domain), detail: lookup.detail };
}
