import type { AuthenticationNote, AuthResult, DnsResolver, HeaderNote } from '@posthorn/contracts';
import type { HeaderList } from '@posthorn/core';
import { authenticationTest, headerNoteTest } from './builtin.ts';
import { checkHelo, checkReverseDns } from './connection.ts';
import { askAddressLists, askDomainLists, type DnsList, domainsToAsk } from './dns-lists.ts';
import type { Hit } from './hit.ts';
import { inNetworks } from './ip.ts';
import type { ListEntry, Rules } from './rules.ts';
import { addressesIn, domainOf } from './senders.ts';
import { decodeEncodedWords, urlHosts } from './text.ts';

/** What the tests look at, gathered from the session, the transaction and the message. */
export interface MessageFacts {
  readonly clientAddress: string;
  readonly helo: string | undefined;
  /** The name the listener's reverse lookup kept, if any. */
  readonly remoteHostname: string | undefined;
  /** Envelope sender; '' is the null sender. */
  readonly envelopeSender: string;
  readonly headers: HeaderList;
  /** The decoded body text (computed on first use). */
  readonly body: () => string;
  readonly authentication: AuthenticationNote | undefined;
  readonly headerNote: HeaderNote | undefined;
}

export interface Environment {
  readonly resolver: DnsResolver;
  readonly hostname: string;
  readonly timeoutMs: number;
  readonly maxDomainLookups: number;
  readonly onDnsError: (list: DnsList, name: string, error: string) => void;
}

export interface Judgement {
  /** Each test once, in the order found. */
  readonly hits: readonly Hit[];
  /** The sum of the scores, rounded to one decimal (what the header shows and what is compared). */
  readonly score: number;
  /** A hard action of an allow or block entry, and the entry that asked for it. */
  readonly action?: { readonly kind: 'accept' | 'junk' | 'reject'; readonly by: string };
}

/** Keeps each test once: the first hit of a name counts. */
class Hits {
  readonly #byTest = new Map<string, Hit>();
  add(hit: Hit): void {
    if (hit.score === 0 || this.#byTest.has(hit.test)) return;
    this.#byTest.set(hit.test, hit);
  }
  get list(): Hit[] {
    return [...this.#byTest.values()];
  }
}

/** Whether a host is one of the domains or below one of them. */
function isWithin(host: string, domains: ReadonlySet<string>): boolean {
  for (let at = -1; ; at = host.indexOf('.', at + 1)) {
    if (domains.has(host.slice(at + 1))) return true;
    if (host.indexOf('.', at + 1) === -1) return false;
  }
}

function fromAddresses(headers: HeaderList): string[] {
  return headers.getAll('From').flatMap(addressesIn);
}

/**
 * Whether SPF or DKIM vouched for a sender's domain: SPF passed for that envelope domain, or a
 * DKIM signature of the domain (or a parent of it) verified.
 */
function verifiedDomain(note: AuthenticationNote | undefined, domain: string): boolean {
  if (!note) return false;
  const within = (signer: string | undefined) => signer !== undefined && (domain === signer.toLowerCase() || domain.endsWith(`.${signer.toLowerCase()}`));
  if (note.spf?.result === 'pass' && note.spf.domain?.toLowerCase() === domain) return true;
  return (note.dkim ?? []).some((signature) => signature.result === 'pass' && within(signature.domain));
}

function entryMatches(entry: ListEntry, facts: MessageFacts, senders: readonly string[]): string | undefined {
  if (entry.clients && inNetworks(entry.clients, facts.clientAddress)) return `client ${facts.clientAddress}`;
  if (!entry.senders) return undefined;
  for (const sender of senders) {
    const pattern = entry.senders.match(sender);
    if (pattern === undefined) continue;
    const domain = domainOf(sender);
    if (entry.verified && (!domain || !verifiedDomain(facts.authentication, domain))) continue;
    return `sender ${sender || '<>'}`;
  }
  return undefined;
}

/** DKIM over several signatures: pass when one passes, else fail when one fails, else the first. */
function dkimResult(signatures: readonly { readonly result: AuthResult }[]): AuthResult {
  if (signatures.length === 0) return 'none';
  if (signatures.some((s) => s.result === 'pass')) return 'pass';
  if (signatures.some((s) => s.result === 'fail')) return 'fail';
  return signatures[0]!.result;
}

function authenticationHits(note: AuthenticationNote | undefined, scores: ReadonlyMap<string, number>): Hit[] {
  // No note: sender authentication is not configured, and nothing is known either way.
  if (!note) return [];
  const results: [test: string, detail: string | undefined][] = [];
  if (note.spf) results.push([authenticationTest('spf', note.spf.result), note.spf.domain]);
  if (note.dkim) results.push([authenticationTest('dkim', dkimResult(note.dkim)), note.dkim.find((s) => s.result === 'pass')?.domain ?? note.dkim[0]?.domain]);
  if (note.dmarc) results.push([authenticationTest('dmarc', note.dmarc.result), note.dmarc.domain]);
  if (note.arc) results.push([authenticationTest('arc', note.arc.result), undefined]);
  return results.map(([test, domain]) => ({ test, score: scores.get(test) ?? 0, ...(domain ? { detail: { domain } } : {}) }));
}

/**
 * Runs every test of one version of the rules on one message. DNS questions are asked in
 * parallel; a question without an answer (timeout, SERVFAIL) scores nothing.
 */
export async function evaluate(rules: Rules, facts: MessageFacts, env: Environment): Promise<Judgement> {
  const hits = new Hits();
  // The null sender is '' here: only a `<>` pattern matches it.
  const envelope = [facts.envelopeSender];
  const from = fromAddresses(facts.headers);
  const senders = [...envelope, ...from];

  // Allow entries first: an explicit "accept" wins over everything else, block entries included.
  for (const entry of rules.allow) {
    const matched = entryMatches(entry, facts, senders);
    if (matched === undefined) continue;
    if (entry.action === 'accept') return { hits: [{ test: entry.name, score: 0, detail: { matched } }], score: 0, action: { kind: 'accept', by: entry.name } };
    hits.add({ test: entry.name, score: entry.score ?? 0, detail: { matched } });
  }
  let action: Judgement['action'];
  let junkHit: Hit | undefined;
  for (const entry of rules.block) {
    const matched = entryMatches(entry, facts, senders);
    if (matched === undefined) continue;
    if (entry.action === 'reject') return { hits: [{ test: entry.name, score: 0, detail: { matched } }], score: 0, action: { kind: 'reject', by: entry.name } };
    if (entry.action === 'junk') {
      action ??= { kind: 'junk', by: entry.name };
      junkHit ??= { test: entry.name, score: 0, detail: { matched, action: 'junk' } };
      continue;
    }
    hits.add({ test: entry.name, score: entry.score ?? 0, detail: { matched } });
  }
  // A junk action has no score of its own, but must still be listed in the tests.
  const listed = junkHit ? [junkHit] : [];

  for (const rule of rules.headers) {
    const values = facts.headers.fields.filter((field) => field.key === rule.field).map((field) => decodeEncodedWords(field.value));
    if (values.some((value) => rule.pattern.test(value))) hits.add({ test: rule.name, score: rule.score });
  }
  let text: string | undefined;
  const body = () => (text ??= facts.body());
  for (const rule of rules.body) if (rule.pattern.test(body())) hits.add({ test: rule.name, score: rule.score });
  const needHosts = rules.urls.length > 0 || rules.dnsLists.some((list) => list.kind === 'domain');
  const hosts = needHosts ? urlHosts(body()) : [];
  for (const rule of rules.urls) {
    const host = hosts.find((h) => isWithin(h, rule.domains));
    if (host) hits.add({ test: rule.name, score: rule.score, detail: { domain: host } });
  }
  for (const rule of rules.senders) {
    const candidates = [...(rule.envelope ? envelope : []), ...(rule.from ? from : [])];
    const sender = candidates.find((address) => rule.matcher.match(address) !== undefined);
    if (sender !== undefined) hits.add({ test: rule.name, score: rule.score, detail: { sender: sender || '<>' } });
  }

  for (const hit of authenticationHits(facts.authentication, rules.scores)) hits.add(hit);
  for (const token of facts.headerNote?.problems ?? []) {
    const test = headerNoteTest(token);
    hits.add({ test, score: rules.scores.get(test) ?? 0 });
  }
  if (facts.helo) {
    const problem = checkHelo(facts.helo, facts.clientAddress, env.hostname);
    const test = problem === 'ip-mismatch' ? 'HELO_IP_MISMATCH' : problem === 'ours' ? 'HELO_OURS' : problem === 'not-fqdn' ? 'HELO_NOT_FQDN' : undefined;
    if (test) hits.add({ test, score: rules.scores.get(test) ?? 0, detail: { helo: facts.helo } });
  }

  const query = { resolver: env.resolver, timeoutMs: env.timeoutMs, onError: env.onDnsError };
  const senderDomains = [...new Set(senders.map(domainOf).filter((d): d is string => d !== undefined))];
  const reverseScored = (rules.scores.get('RDNS_NONE') ?? 0) !== 0 || (rules.scores.get('FCRDNS_FAIL') ?? 0) !== 0;
  const [addressHits, domainHits, reverse] = await Promise.all([
    askAddressLists(rules.dnsLists, facts.clientAddress, query),
    askDomainLists(rules.dnsLists, domainsToAsk(senderDomains, hosts, env.maxDomainLookups), query),
    reverseScored ? checkReverseDns(env.resolver, facts.clientAddress, facts.remoteHostname, env.timeoutMs) : undefined,
  ]);
  for (const hit of [...addressHits, ...domainHits]) hits.add(hit);
  if (reverse?.result === 'no-reverse') hits.add({ test: 'RDNS_NONE', score: rules.scores.get('RDNS_NONE') ?? 0 });
  if (reverse?.result === 'not-confirmed') hits.add({ test: 'FCRDNS_FAIL', score: rules.scores.get('FCRDNS_FAIL') ?? 0, detail: { name: reverse.name ?? '' } });

  const found = [...listed, ...hits.list];
  const score = Math.round(found.reduce((sum, hit) => sum + hit.score, 0) * 10) / 10;
  return { hits: found, score: Object.is(score, -0) ? 0 : score, ...(action ? { action } : {}) };
}
