import { isIP } from 'node:net';
import type { DnsResolver } from '@posthorn/contracts';
import { canonicalAddress, plainAddress, reversedAddress } from './ip.ts';

/** Answers that mean "no such name/record"; anything else is a failure and decides nothing. */
const ABSENT = new Set(['ENOTFOUND', 'ENODATA', 'NXDOMAIN']);

type Answer<T> = { ok: true; value: T } | { ok: false; absent: boolean };

async function ask<T>(question: () => Promise<T>, timeoutMs: number): Promise<Answer<T>> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Answer<T>>((settle) => {
    timer = setTimeout(() => settle({ ok: false, absent: false }), timeoutMs);
  });
  const asked = question().then(
    (value): Answer<T> => ({ ok: true, value }),
    (err: NodeJS.ErrnoException): Answer<T> => ({ ok: false, absent: ABSENT.has(String(err.code)) }),
  );
  try {
    return await Promise.race([asked, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The PTR owner name of an address (RFC 1035 3.5, RFC 3596 2.5). */
function reverseOwner(address: string): string | undefined {
  const reversed = reversedAddress(address);
  if (!reversed) return undefined;
  return `${reversed}.${isIP(plainAddress(address)) === 4 ? 'in-addr.arpa' : 'ip6.arpa'}`;
}

/** Forward-confirmed reverse DNS (FCrDNS), as far as DNS gave an answer. */
export type ReverseDnsResult = 'confirmed' | 'no-reverse' | 'not-confirmed' | 'unknown';

/**
 * Whether the client's reverse name resolves back to its address. `knownName` is the name
 * the listener's reverse lookup kept (smtp-server keeps the first PTR); without it (the listener
 * does not look up, or found nothing) the PTR records are asked here, through the Resolver.
 * A failed lookup (SERVFAIL, timeout) gives `unknown`: no test is scored on a DNS outage.
 */
export async function checkReverseDns(resolver: DnsResolver, address: string, knownName: string | undefined, timeoutMs: number): Promise<{ result: ReverseDnsResult; name?: string }> {
  const client = canonicalAddress(address);
  let names: string[];
  if (knownName) {
    names = [knownName];
  } else {
    const owner = reverseOwner(address);
    if (!owner) return { result: 'unknown' };
    // A PTR question, not resolver.reverse(): c-ares answers reverse() from /etc/hosts first,
    // and the client's reverse name is what DNS says, not what this machine's hosts file says.
    const reverse = await ask(() => resolver.resolve(owner, 'PTR') as Promise<string[]>, timeoutMs);
    if (!reverse.ok) return { result: reverse.absent ? 'no-reverse' : 'unknown' };
    names = reverse.value.filter((name) => typeof name === 'string').slice(0, 3);
    if (names.length === 0) return { result: 'no-reverse' };
  }
  const family = isIP(client);
  let failures = 0;
  for (const name of names) {
    const forward = await ask(() => (family === 6 ? resolver.resolve6(name) : resolver.resolve4(name)), timeoutMs);
    if (!forward.ok) {
      if (!forward.absent) failures++;
      continue;
    }
    if (forward.value.some((found) => canonicalAddress(found) === client)) return { result: 'confirmed', name };
  }
  return { result: failures === names.length ? 'unknown' : 'not-confirmed', name: names[0] };
}

/** What is wrong with a HELO name (RFC 5321 4.1.1.1, 4.1.3). */
export type HeloProblem = 'ip-mismatch' | 'ours' | 'not-fqdn';

const FQDN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/i;

export function checkHelo(helo: string, clientAddress: string, ourHostname: string): HeloProblem | undefined {
  const name = helo.trim().replace(/\.$/, '');
  const literal = /^\[(?:ipv6:)?([^\]]+)\]$/i.exec(name);
  if (literal) {
    const given = literal[1]!;
    if (isIP(given) === 0) return 'not-fqdn';
    return canonicalAddress(given) === canonicalAddress(clientAddress) ? undefined : 'ip-mismatch';
  }
  if (name.toLowerCase() === ourHostname.toLowerCase().replace(/\.$/, '')) return 'ours';
  // A bare address without brackets is no domain name either; FQDN also refuses numeric TLDs.
  return FQDN.test(name) ? undefined : 'not-fqdn';
}
