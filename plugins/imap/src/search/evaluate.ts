/**
 * Runs a SearchProgram over the messages of a mailbox.
 *
 * The program is compiled once into matchers, each with a cost: metadata (flags, size,
 * INTERNALDATE, UID, sequence number, modseq) costs nothing, one header field costs a
 * header read, TEXT and BODY cost the whole message (SENT* reads the Date header). Within an AND the cheap tests run
 * first and the first failure stops; OR stops at the first success; so a search that
 * needs only metadata never reads a message, and `UNSEEN BODY x` reads only unseen ones.
 * Matchers answer synchronously when they can and only return a promise when they have
 * to load something, so metadata searches over 100,000 messages never touch the event loop.
 */
import type { MessageMeta } from '@posthorn/contracts';
import { sequenceSetMatcher } from '../protocol/sequence.ts';
import { dayAtOffset, dayOfDateHeader } from './dates.ts';
import type { DateOp, DayNumber, SearchKey, SearchProgram } from './program.ts';

export interface SearchCandidate {
  readonly seq: number;
  /** uid, flags, modseq, internalDate, size. */
  readonly meta: MessageMeta;
  /**
   * Unfolded values of a header field (name case-insensitive), RFC 2047-decoded; [] when
   * absent. Loads lazily.
   */
  header(name: string): Promise<readonly string[]>;
  /** The whole header block as text (decoded where possible). */
  headerText(): Promise<string>;
  /** The body text (transfer encoding decoded, text parts). */
  bodyText(): Promise<string>;
}

export interface SearchContext {
  /** Messages in the mailbox: what `*` means in a sequence-number set. */
  readonly maxSeq: number;
  /** Highest UID in use: what `*` means in a UID set. */
  readonly maxUid: number;
  /** The saved result (`$`, RFC 5182) as UIDs; absent means empty. */
  readonly savedResult?: readonly number[];
  /** UIDs that are \Recent to this session (RECENT, NEW, OLD); absent means none. */
  readonly recent?: ReadonlySet<number>;
  /** For OLDER/YOUNGER; defaults to the current time. */
  readonly now?: Date;
  /**
   * The zone in which an INTERNALDATE's day is taken for BEFORE/ON/SINCE, as minutes east
   * of UTC. Default 0 (UTC); use the zone FETCH INTERNALDATE is written in.
   */
  readonly internalDateOffsetMinutes?: number;
  /** How many candidates may be loading at once when content must be read. Default 8. */
  readonly concurrency?: number;
}

export interface SearchResult {
  /** Sequence numbers of the matches, ascending. */
  readonly seqs: readonly number[];
  /** Their UIDs, in the same order (so also ascending). */
  readonly uids: readonly number[];
  /** Their modseqs, in the same order. */
  readonly modseqs: readonly number[];
  /** When the program has a MODSEQ key and something matched: the highest modseq matched. */
  readonly highestModseq?: number;
}

/** Cost classes, in the order an AND tries them. */
const META = 0;
const HEADER = 1;
const BODY = 2;

type Outcome = boolean | Promise<boolean>;
type Test = (candidate: SearchCandidate, texts: TextCache) => Outcome;

interface Matcher {
  readonly cost: number;
  readonly test: Test;
}

/** Runs `program` over `candidates` (in ascending sequence order) and returns the matches. */
export async function evaluateSearch(
  program: SearchProgram,
  candidates: Iterable<SearchCandidate>,
  ctx: SearchContext,
): Promise<SearchResult> {
  const matcher = compile(program.key, ctx);
  const seqs: number[] = [];
  const uids: number[] = [];
  const modseqs: number[] = [];
  const accept = (candidate: SearchCandidate): void => {
    seqs.push(candidate.seq);
    uids.push(candidate.meta.uid);
    modseqs.push(candidate.meta.modseq);
  };

  if (matcher.cost === META) {
    for (const candidate of candidates) {
      if (matcher.test(candidate, NO_TEXTS) === true) accept(candidate);
    }
  } else {
    await evaluateConcurrently(matcher, candidates, ctx.concurrency ?? 8, accept);
  }

  if (!isAscending(seqs)) sortTogether(seqs, uids, modseqs);
  const result: SearchResult = { seqs, uids, modseqs };
  if (program.usesModseq && modseqs.length > 0) {
    let highest = 0;
    for (const modseq of modseqs) if (modseq > highest) highest = modseq;
    return { ...result, highestModseq: highest };
  }
  return result;
}

/**
 * Tests candidates with up to `limit` loading at once, keeping their order: each worker
 * takes the next candidate from the shared iterator, and results land by index.
 */
async function evaluateConcurrently(
  matcher: Matcher,
  candidates: Iterable<SearchCandidate>,
  limit: number,
  accept: (candidate: SearchCandidate) => void,
): Promise<void> {
  const iterator = candidates[Symbol.iterator]();
  const verdicts: (SearchCandidate | undefined)[] = [];
  let index = 0;
  // After one load fails the search is over (the error goes to the caller); stop the others.
  let failed = false;
  const worker = async (): Promise<void> => {
    try {
      while (!failed) {
        const step = iterator.next();
        if (step.done) return;
        const mine = index++;
        const candidate = step.value;
        let outcome = matcher.test(candidate, new TextCache(candidate));
        if (outcome !== true && outcome !== false) outcome = await outcome;
        if (outcome) verdicts[mine] = candidate;
      }
    } catch (err) {
      failed = true;
      throw err;
    }
  };
  const workers: Promise<void>[] = [];
  for (let i = 0; i < Math.max(1, limit); i++) workers.push(worker());
  await Promise.all(workers);
  for (const candidate of verdicts) if (candidate) accept(candidate);
}

/** Lower-cased texts of one candidate, loaded once however many keys look at them. */
class TextCache {
  readonly #candidate: SearchCandidate | undefined;
  #headers: Map<string, Promise<string[]>> | undefined;
  #headerText: Promise<string> | undefined;
  #bodyText: Promise<string> | undefined;

  constructor(candidate?: SearchCandidate) {
    this.#candidate = candidate;
  }

  header(name: string): Promise<string[]> {
    const key = name.toLowerCase();
    this.#headers ??= new Map();
    let values = this.#headers.get(key);
    if (!values) {
      values = this.#need().header(name).then((list) => list.map((v) => v.toLowerCase()));
      this.#headers.set(key, values);
    }
    return values;
  }

  headerText(): Promise<string> {
    this.#headerText ??= this.#need().headerText().then((text) => text.toLowerCase());
    return this.#headerText;
  }

  bodyText(): Promise<string> {
    this.#bodyText ??= this.#need().bodyText().then((text) => text.toLowerCase());
    return this.#bodyText;
  }

  #need(): SearchCandidate {
    if (!this.#candidate) throw new Error('search: content requested by a metadata-only search');
    return this.#candidate;
  }
}

/** Metadata-only programs get this, so a wrongly costed matcher fails loudly in tests. */
const NO_TEXTS = new TextCache();

function compile(key: SearchKey, ctx: SearchContext): Matcher {
  switch (key.type) {
    case 'all':
      return meta(() => true);
    case 'recent': {
      const recent = ctx.recent;
      return meta((c) => recent?.has(c.meta.uid) ?? false);
    }
    case 'flag': {
      const exact = key.flag;
      const lower = key.flag.toLowerCase();
      const present = key.present;
      return meta((c) => hasFlag(c.meta.flags, exact, lower) === present);
    }
    case 'size': {
      const size = key.size;
      return key.op === 'larger' ? meta((c) => c.meta.size > size) : meta((c) => c.meta.size < size);
    }
    case 'internal-date': {
      // The day's bounds as instants at the chosen offset, so each message costs one compare.
      const offset = ctx.internalDateOffsetMinutes ?? 0;
      const start = dayStart(key.day, offset);
      const end = dayStart(key.day, offset, 1);
      const time = (c: SearchCandidate): number => c.meta.internalDate.getTime();
      if (key.op === 'before') return meta((c) => time(c) < start);
      if (key.op === 'since') return meta((c) => time(c) >= start);
      return meta((c) => time(c) >= start && time(c) < end);
    }
    case 'age': {
      const now = (ctx.now ?? new Date()).getTime();
      const edge = now - key.seconds * 1000;
      return key.op === 'older'
        ? meta((c) => c.meta.internalDate.getTime() <= edge)
        : meta((c) => c.meta.internalDate.getTime() > edge);
    }
    case 'seq': {
      if (key.set.kind === 'saved') return savedMatcher(ctx);
      const has = sequenceSetMatcher(key.set, ctx.maxSeq);
      return meta((c) => has(c.seq));
    }
    case 'uid': {
      if (key.set.kind === 'saved') return savedMatcher(ctx);
      const has = sequenceSetMatcher(key.set, ctx.maxUid);
      return meta((c) => has(c.meta.uid));
    }
    case 'modseq': {
      const modseq = key.modseq;
      return meta((c) => c.meta.modseq >= modseq);
    }
    case 'sent-date':
      return sentDateMatcher(key.op, key.day, ctx);
    case 'header': {
      const field = key.field;
      const needle = key.value.toLowerCase();
      return {
        cost: HEADER,
        test: (_c, texts) =>
          texts.header(field).then((values) => (needle === '' ? values.length > 0 : values.some((v) => v.includes(needle)))),
      };
    }
    case 'body': {
      const needle = key.value.toLowerCase();
      return { cost: BODY, test: (_c, texts) => texts.bodyText().then((body) => body.includes(needle)) };
    }
    case 'text': {
      const needle = key.value.toLowerCase();
      return {
        cost: BODY,
        test: async (_c, texts) => (await texts.headerText()).includes(needle) || (await texts.bodyText()).includes(needle),
      };
    }
    case 'not':
      return not(compile(key.key, ctx));
    case 'or':
      return or(compile(key.left, ctx), compile(key.right, ctx));
    case 'and':
      return and(flattenAnd(key.keys).map((k) => compile(k, ctx)));
  }
}

function meta(test: (candidate: SearchCandidate) => boolean): Matcher {
  return { cost: META, test };
}

/** `$`: by UID whatever the key (RFC 5182 saves UIDs); `*` plays no part, so any max works. */
function savedMatcher(ctx: SearchContext): Matcher {
  const saved = new Set(ctx.savedResult ?? []);
  return meta((c) => saved.has(c.meta.uid));
}

/** Flags compare case-insensitively; the exact spelling is tried first as it is the usual one. */
function hasFlag(flags: readonly string[], exact: string, lower: string): boolean {
  for (const flag of flags) {
    if (flag === exact || (flag.length === lower.length && flag.toLowerCase() === lower)) return true;
  }
  return false;
}

/** The instant a day (plus `days`) begins at a fixed offset from UTC. */
function dayStart(day: DayNumber, offsetMinutes: number, days = 0): number {
  const year = Math.floor(day / 10000);
  const month = Math.floor(day / 100) % 100;
  const date = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not turn years 0-99 into 1900-1999.
  date.setUTCFullYear(year, month - 1, (day % 100) + days);
  return date.getTime() - offsetMinutes * 60_000;
}

function dayComparer(op: DateOp, day: DayNumber): (value: DayNumber) => boolean {
  if (op === 'before') return (value) => value < day;
  if (op === 'on') return (value) => value === day;
  return (value) => value >= day;
}

/**
 * SENT*: the Date header's day. Without a usable Date header the INTERNALDATE stands in,
 * as RFC 5256 does for SORT DATE, so such messages still sort into some day.
 */
function sentDateMatcher(op: DateOp, day: DayNumber, ctx: SearchContext): Matcher {
  const compare = dayComparer(op, day);
  const offset = ctx.internalDateOffsetMinutes ?? 0;
  return {
    cost: HEADER,
    test: async (c, texts) => {
      const values = await texts.header('Date');
      const sent = values.length > 0 ? dayOfDateHeader(values[0]!) : undefined;
      const value = sent ?? dayAtOffset(c.meta.internalDate, offset);
      return value !== undefined && compare(value);
    },
  };
}

function not(inner: Matcher): Matcher {
  return {
    cost: inner.cost,
    test: (c, texts) => {
      const outcome = inner.test(c, texts);
      return typeof outcome === 'boolean' ? !outcome : outcome.then((v) => !v);
    },
  };
}

function or(a: Matcher, b: Matcher): Matcher {
  const [first, second] = a.cost <= b.cost ? [a, b] : [b, a];
  return {
    cost: Math.max(a.cost, b.cost),
    test: (c, texts) => {
      const outcome = first.test(c, texts);
      if (outcome === true) return true;
      if (outcome === false) return second.test(c, texts);
      return outcome.then((v) => v || second.test(c, texts));
    },
  };
}

/** Nested groups flatten into one list so their cheap parts can move to the front too. */
function flattenAnd(keys: readonly SearchKey[]): SearchKey[] {
  return keys.flatMap((k) => (k.type === 'and' ? flattenAnd(k.keys) : [k]));
}

function and(parts: Matcher[]): Matcher {
  const tests = parts.slice().sort((x, y) => x.cost - y.cost);
  const cost = tests.length === 0 ? META : tests[tests.length - 1]!.cost;
  const rest = async (c: SearchCandidate, texts: TextCache, from: number): Promise<boolean> => {
    for (let i = from; i < tests.length; i++) if (!(await tests[i]!.test(c, texts))) return false;
    return true;
  };
  return {
    cost,
    test: (c, texts) => {
      for (let i = 0; i < tests.length; i++) {
        const outcome = tests[i]!.test(c, texts);
        if (outcome === false) return false;
        if (outcome !== true) return outcome.then((v) => v && rest(c, texts, i + 1));
      }
      return true;
    },
  };
}

function isAscending(values: readonly number[]): boolean {
  for (let i = 1; i < values.length; i++) if (values[i]! <= values[i - 1]!) return false;
  return true;
}

function sortTogether(seqs: number[], uids: number[], modseqs: number[]): void {
  const order = seqs.map((_, i) => i).sort((x, y) => seqs[x]! - seqs[y]!);
  const [s, u, m] = [order.map((i) => seqs[i]!), order.map((i) => uids[i]!), order.map((i) => modseqs[i]!)];
  // Element by element: spreading 100,000 arguments into splice() would overflow the stack.
  for (let i = 0; i < order.length; i++) {
    seqs[i] = s[i]!;
    uids[i] = u[i]!;
    modseqs[i] = m[i]!;
  }
}
