import { BlockList } from 'node:net';
import { RuleSetError, type SchemaIssue } from '@posthorn/core';
import { BUILTIN_SCORES, isBuiltinTestName } from './builtin.ts';
import type { DnsList } from './dns-lists.ts';
import { addNetwork, parseCodeRange } from './ip.ts';
import type { DnsListData, ListEntryData, RuleFileData, ThresholdsData } from './schema.ts';
import { compileSenders, type SenderMatcher } from './senders.ts';

export interface Thresholds {
  readonly required: number;
  readonly junk: number | undefined;
  readonly reject: number | undefined;
}

export interface ListEntry {
  readonly name: string;
  readonly clients: BlockList | undefined;
  readonly senders: SenderMatcher | undefined;
  /** Senders count only when SPF or DKIM vouched for their domain. */
  readonly verified: boolean;
  readonly score: number | undefined;
  readonly action: 'accept' | 'junk' | 'reject' | undefined;
}

/** One version of the rules, as a transaction takes it at MAIL FROM. Never changed once built. */
export interface Rules {
  readonly thresholds: Thresholds;
  /** Scores of the built-in tests (defaults with the file's `scores` applied). */
  readonly scores: ReadonlyMap<string, number>;
  readonly headers: readonly { readonly name: string; readonly field: string; readonly pattern: RegExp; readonly score: number }[];
  readonly body: readonly { readonly name: string; readonly pattern: RegExp; readonly score: number }[];
  readonly urls: readonly { readonly name: string; readonly domains: ReadonlySet<string>; readonly score: number }[];
  readonly senders: readonly { readonly name: string; readonly matcher: SenderMatcher; readonly envelope: boolean; readonly from: boolean; readonly score: number }[];
  readonly allow: readonly ListEntry[];
  readonly block: readonly ListEntry[];
  readonly dnsLists: readonly DnsList[];
}

/** What the options contribute to every version of the rules. */
export interface RuleDefaults {
  readonly thresholds: ThresholdsData & { readonly required: number };
  readonly dnsLists: readonly DnsListData[];
}

class Problems {
  readonly issues: SchemaIssue[] = [];
  add(pointer: string, message: string): void {
    this.issues.push({ pointer, message });
  }
}

function regex(pattern: string, flags: string, pointer: string, problems: Problems): RegExp {
  try {
    return new RegExp(pattern, flags);
  } catch (err) {
    problems.add(pointer, `invalid regular expression: ${(err as Error).message}`);
    return /$^/;
  }
}

function compileEntry(entry: ListEntryData, pointer: string, problems: Problems): ListEntry {
  if ((entry.score === undefined) === (entry.action === undefined)) problems.add(pointer, 'needs either a score or an action');
  if (!entry.clients?.length && !entry.senders?.length) problems.add(pointer, 'needs clients or senders');
  let clients: BlockList | undefined;
  if (entry.clients?.length) {
    clients = new BlockList();
    for (const [index, spec] of entry.clients.entries()) {
      if (!addNetwork(clients, spec)) problems.add(`${pointer}/clients/${index}`, 'not an IP address or network (address/prefix)');
    }
  }
  let senders: SenderMatcher | undefined;
  if (entry.senders?.length) {
    const compiled = compileSenders(entry.senders);
    if ('invalid' in compiled) problems.add(`${pointer}/senders/${compiled.invalid}`, 'not an address or domain');
    else senders = compiled;
  }
  return { name: entry.name, clients, senders, verified: entry.verified, score: entry.score, action: entry.action };
}

function compileDnsList(list: DnsListData, pointer: string, problems: Problems): DnsList {
  if (list.score === undefined && !list.returnCodes?.length) problems.add(pointer, 'needs a score or returnCodes');
  const codes = (list.returnCodes ?? []).map((entry, index) => ({
    name: entry.name ?? list.name,
    score: entry.score,
    ranges: entry.codes.map((spec, at) => {
      const range = parseCodeRange(spec);
      if (!range) problems.add(`${pointer}/returnCodes/${index}/codes/${at}`, 'not an IPv4 address, range (a-b) or network (a/n)');
      return range ?? { from: 1, to: 0 };
    }),
  }));
  return { name: list.name, zone: list.zone.toLowerCase().replace(/\.$/, ''), kind: list.kind, score: list.score, codes };
}

/**
 * Builds the rules from a validated rule file (and the options' defaults). Everything a schema
 * cannot check is checked here and reported by JSON pointer, so a bad file is refused as a
 * whole with the line of each problem.
 */
export function compileRules(data: RuleFileData, defaults: RuleDefaults): Rules {
  const problems = new Problems();
  const names = new Map<string, string>();
  const claim = (name: string, pointer: string): void => {
    if (isBuiltinTestName(name)) problems.add(`${pointer}/name`, `${name} is the name of a built-in test; set its score under scores`);
    const first = names.get(name);
    if (first !== undefined && first !== pointer) problems.add(`${pointer}/name`, `${name} is already the name of ${first}`);
    else names.set(name, pointer);
  };

  const thresholds: Thresholds = {
    required: data.thresholds?.required ?? defaults.thresholds.required,
    junk: data.thresholds?.junk ?? defaults.thresholds.junk,
    reject: data.thresholds?.reject ?? defaults.thresholds.reject,
  };
  // Junk or reject below `required` would file or refuse mail the header calls no spam.
  if (thresholds.junk !== undefined && thresholds.junk < thresholds.required) problems.add('/thresholds/junk', 'must not be below required');
  if (thresholds.reject !== undefined && thresholds.reject < thresholds.required) problems.add('/thresholds/reject', 'must not be below required');

  const scores = new Map(BUILTIN_SCORES);
  for (const [name, score] of Object.entries(data.scores)) {
    if (!isBuiltinTestName(name)) problems.add(`/scores/${name}`, 'not a built-in test (rules carry their own score)');
    scores.set(name, score);
  }

  const headers = data.headers.map((rule, index) => {
    claim(rule.name, `/headers/${index}`);
    return { name: rule.name, field: rule.header.toLowerCase(), pattern: regex(rule.pattern, rule.flags, `/headers/${index}/pattern`, problems), score: rule.score };
  });
  const body = data.body.map((rule, index) => {
    claim(rule.name, `/body/${index}`);
    return { name: rule.name, pattern: regex(rule.pattern, rule.flags, `/body/${index}/pattern`, problems), score: rule.score };
  });
  const urls = data.urls.map((rule, index) => {
    claim(rule.name, `/urls/${index}`);
    return { name: rule.name, domains: new Set(rule.domains.map((d) => d.toLowerCase().replace(/\.$/, ''))), score: rule.score };
  });
  const senders = data.senders.flatMap((rule, index) => {
    claim(rule.name, `/senders/${index}`);
    const matcher = compileSenders(rule.patterns);
    if ('invalid' in matcher) {
      problems.add(`/senders/${index}/patterns/${matcher.invalid}`, 'not an address or domain');
      return [];
    }
    return [{ name: rule.name, matcher, envelope: rule.match.includes('envelope'), from: rule.match.includes('from'), score: rule.score }];
  });
  const allow = data.allow.map((entry, index) => {
    claim(entry.name, `/allow/${index}`);
    return compileEntry(entry, `/allow/${index}`, problems);
  });
  const block = data.block.map((entry, index) => {
    claim(entry.name, `/block/${index}`);
    if (entry.verified) problems.add(`/block/${index}/verified`, 'only allow entries can require verified senders');
    return compileEntry(entry, `/block/${index}`, problems);
  });

  const dnsLists: DnsList[] = [];
  const dnsClaim = (list: DnsListData, pointer: string): void => {
    // One list may use its name for several return codes; two lists may not share a name.
    const own = new Set([list.name, ...(list.returnCodes ?? []).map((entry) => entry.name ?? list.name)]);
    for (const name of own) claim(name, pointer);
  };
  for (const [index, list] of defaults.dnsLists.entries()) {
    dnsClaim(list, `(options)/dnsLists/${index}`);
    dnsLists.push(compileDnsList(list, `(options)/dnsLists/${index}`, problems));
  }
  for (const [index, list] of data.dnsLists.entries()) {
    dnsClaim(list, `/dnsLists/${index}`);
    dnsLists.push(compileDnsList(list, `/dnsLists/${index}`, problems));
  }

  if (problems.issues.length) throw new RuleSetError(problems.issues);
  return { thresholds, scores, headers, body, urls, senders, allow, block, dnsLists };
}
