import { Accounts, type JsonValue, type ServiceToken } from '@posthorn/contracts';
import { PosthornError } from '../errors.ts';
import type { DnsAdvice } from '../plugin.ts';

export type DnsAdvisor = (domain: string) => DnsAdvice[] | Promise<DnsAdvice[]>;

/**
 * The records a local domain needs so that other servers deliver to it and trust what it
 * sends: MX (RFC 5321 5), SPF (RFC 7208), DMARC (RFC 7489), the host's PTR/A pair, and what
 * plugins add (DKIM keys). Values name this server's host name; addresses are the operator's.
 */
export function baseAdvice(domain: string, hostname: string): DnsAdvice[] {
  return [
    { name: `${domain}.`, type: 'MX', value: `10 ${hostname}.`, purpose: 'where other servers deliver mail for this domain' },
    { name: `${domain}.`, type: 'TXT', value: 'v=spf1 mx -all', purpose: 'SPF: only the hosts named in MX send for this domain' },
    {
      name: `_dmarc.${domain}.`,
      type: 'TXT',
      value: `v=DMARC1; p=none; rua=mailto:postmaster@${domain}`,
      purpose: 'DMARC: start with p=none and reports, move to p=quarantine or p=reject once they show only your own mail',
    },
    { name: `${hostname}.`, type: 'A/AAAA', value: '<public address of this server>', purpose: 'the host the MX names' },
    {
      name: '<reverse name of that address>',
      type: 'PTR',
      value: `${hostname}.`,
      purpose: 'set by whoever owns the address (hosting provider); receivers check that PTR and A/AAAA agree (FCrDNS)',
    },
  ];
}

export async function dnsRecords(
  args: Readonly<Record<string, JsonValue>>,
  hostname: string,
  service: <T>(token: ServiceToken<T>) => T | undefined,
  advisors: readonly DnsAdvisor[],
): Promise<JsonValue> {
  let domains: string[];
  if (typeof args.domain === 'string' && args.domain) {
    domains = [args.domain.toLowerCase()];
  } else {
    const accounts = service(Accounts);
    if (!accounts) throw new PosthornError('PH_SERVICE_MISSING', 'no account directory is configured; name a domain');
    domains = await accounts.listDomains();
  }
  const result: JsonValue[] = [];
  for (const domain of domains) {
    const records = [...baseAdvice(domain, hostname)];
    for (const advisor of advisors) records.push(...(await advisor(domain)));
    result.push({ domain, records: records.map((r) => ({ ...r })) });
  }
  return result;
}
