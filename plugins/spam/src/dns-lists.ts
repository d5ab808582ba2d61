import type { DnsResolver } from '@posthorn/contracts';
import { ipv4Number, reversedAddress } from './ip.ts';
import type { Hit } from './hit.ts';

/** A DNS block or allow list (RFC 5782), compiled. */
export interface DnsList {
  readonly name: string;
  /** Lower case, without a trailing dot. */
  readonly zone: string;
  /** `ip`: asked about the client's address. `domain`: about sender and URL domains. */
  readonly kind: 'ip' | 'domain';
  /** Score of an answer no return code entry covers; undefined: such answers do not count. */
  readonly score: number | undefined;
  readonly codes: readonly { readonly name: string; readonly score: number; readonly ranges: readonly { from: number; to: number }[] }[];
}

export type Lookup = { readonly kind: 'listed'; readonly addresses: readonly string[] } | { readonly kind: 'unlisted' } | { readonly kind: 'error'; readonly error: string };

/** Answers that mean "not in the list". Anything else (SERVFAIL, timeout, refused) is no answer. */
const NOT_LISTED = new Set(['ENOTFOUND', 'ENODATA', 'NXDOMAIN']);

/** Asks for the A records of a list entry; a failure or a late answer is an error, never a hit. */
export async function lookup(resolver: DnsResolver, name: string, timeoutMs: number): Promise<Lookup> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Lookup>((settle) => {
    timer = setTimeout(() => settle({ kind: 'error', error: 'timeout' }), timeoutMs);
  });
  const asked = resolver.resolve4(name).then(
    (addresses): Lookup => (addresses.length ? { kind: 'listed', addresses } : { kind: 'unlisted' }),
    (err: NodeJS.ErrnoException): Lookup => (NOT_LISTED.has(String(err.code)) ? { kind: 'unlisted' } : { kind: 'error', error: String(err.code ?? err.message) }),
  );
  try {
    return await Promise.race([asked, late]);
  } finally {
    clearTimeout(timer);
  }
}

const LOOPBACK_NET = { from: ipv4Number('127.0.0.0'), to: ipv4Number('127.255.255.255') };
/** Error answers some lists give (Spamhaus: query through a public resolver, over quota). */
const ERROR_NET = { from: ipv4Number('127.255.255.0'), to: ipv4Number('127.255.255.255') };

/**
 * The tests an answer of a list stands for. Only answers in 127.0.0.0/8 count (RFC 5782 2.3):
 * a resolver that makes up addresses for unknown names must not list the whole world. The
 * 127.255.255.0/24 error codes never count.
 */
export function interpret(list: DnsList, addresses: readonly string[]): { test: string; score: number; code: string }[] {
  const found = new Map<string, { test: string; score: number; code: string }>();
  for (const address of addresses) {
    const at = ipv4Number(address);
    if (!(at >= LOOPBACK_NET.from && at <= LOOPBACK_NET.to) || (at >= ERROR_NET.from && at <= ERROR_NET.to)) continue;
    const entry = list.codes.find((code) => code.ranges.some((range) => at >= range.from && at <= range.to));
    const test = entry ? entry.name : list.score !== undefined ? list.name : undefined;
    if (test === undefined || found.has(test)) continue;
    found.set(test, { test, score: entry ? entry.score : list.score!, code: address });
  }
  return [...found.values()];
}

export interface ListQuery {
  readonly resolver: DnsResolver;
  readonly timeoutMs: number;
  /** Called for each question that got no usable answer. */
  readonly onError: (list: DnsList, name: string, error: string) => void;
}

async function ask(list: DnsList, subject: string, query: ListQuery): Promise<Hit[]> {
  const name = `${subject}.${list.zone}`;
  if (name.length > 253) return [];
  const answer = await lookup(query.resolver, name, query.timeoutMs);
  if (answer.kind === 'error') {
    query.onError(list, name, answer.error);
    return [];
  }
  if (answer.kind === 'unlisted') return [];
  return interpret(list, answer.addresses).map(({ test, score, code }) => ({ test, score, detail: { list: list.name, query: name, answer: code } }));
}

/** Asks every address list about the client's address. */
export async function askAddressLists(lists: readonly DnsList[], address: string, query: ListQuery): Promise<Hit[]> {
  const reversed = reversedAddress(address);
  if (!reversed) return [];
  const answers = await Promise.all(lists.filter((list) => list.kind === 'ip').map((list) => ask(list, reversed, query)));
  return answers.flat();
}

/** Asks every domain list about each domain (sender domains first, then URL domains). */
export async function askDomainLists(lists: readonly DnsList[], domains: readonly string[], query: ListQuery): Promise<Hit[]> {
  const asks = lists.filter((list) => list.kind === 'domain').flatMap((list) => domains.map((domain) => ask(list, domain, query)));
  return (await Promise.all(asks)).flat();
}

/**
 * The domains to ask domain lists about: each host name and its parents down to two labels
 * (a list may have the registered domain or a host below it), sender domains first, at most
 * `max` of them.
 */
export function domainsToAsk(senderDomains: readonly string[], urlHosts: readonly string[], max: number): string[] {
  const out = new Set<string>();
  for (const host of [...senderDomains, ...urlHosts]) {
    const labels = host.split('.');
    for (let i = 0; i <= labels.length - 2 && out.size < max; i++) out.add(labels.slice(i).join('.'));
    if (out.size >= max) break;
  }
  return [...out];
}
