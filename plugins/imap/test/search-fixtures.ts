/**
 * Helpers for the search tests: command arguments written as IMAP text, and in-memory
 * candidates that count how often their content is read.
 */
import type { MessageMeta } from '@posthorn/contracts';
import type { Arg } from '../src/protocol/values.ts';
import type { SearchCandidate } from '../src/search/evaluate.ts';

/** Tokenises `FROM "a b" (OR SEEN 1:3)` into Args: atoms, quoted strings, lists. */
export function args(text: string): Arg[] {
  let pos = 0;
  const list = (closing: boolean): Arg[] => {
    const items: Arg[] = [];
    while (pos < text.length) {
      const ch = text[pos]!;
      if (ch === ' ') {
        pos++;
      } else if (ch === '(') {
        pos++;
        items.push({ kind: 'list', items: list(true) });
      } else if (ch === ')') {
        if (!closing) throw new Error('unbalanced )');
        pos++;
        return items;
      } else if (ch === '"') {
        let value = '';
        pos++;
        while (text[pos] !== '"') {
          if (pos >= text.length) throw new Error('unterminated string');
          if (text[pos] === '\\') pos++;
          value += text[pos++];
        }
        pos++;
        items.push({ kind: 'string', value: Buffer.from(value, 'utf8'), literal: false });
      } else {
        const start = pos;
        while (pos < text.length && !' ()"'.includes(text[pos]!)) pos++;
        items.push({ kind: 'atom', value: text.slice(start, pos) });
      }
    }
    if (closing) throw new Error('unbalanced (');
    return items;
  };
  return list(false);
}

export interface TestMessage {
  readonly uid: number;
  readonly flags?: readonly string[];
  readonly modseq?: number;
  readonly internalDate?: Date;
  readonly size?: number;
  /** Header fields, name → values (already unfolded and decoded). */
  readonly headers?: Readonly<Record<string, readonly string[]>>;
  readonly body?: string;
}

export interface Counters {
  header: number;
  headerText: number;
  bodyText: number;
}

/** Candidates numbered 1..n in order, all sharing one set of read counters. */
export function candidates(messages: readonly TestMessage[]): { list: SearchCandidate[]; reads: Counters } {
  const reads: Counters = { header: 0, headerText: 0, bodyText: 0 };
  const list = messages.map((m, i): SearchCandidate => {
    const meta: MessageMeta = {
      uid: m.uid,
      id: `id-${m.uid}`,
      flags: m.flags ?? [],
      modseq: m.modseq ?? 1,
      internalDate: m.internalDate ?? new Date('2024-03-10T12:00:00Z'),
      size: m.size ?? 1000,
    };
    const headers = m.headers ?? {};
    return {
      seq: i + 1,
      meta,
      async header(name) {
        reads.header++;
        const key = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase());
        return key ? headers[key]! : [];
      },
      async headerText() {
        reads.headerText++;
        return Object.entries(headers)
          .flatMap(([k, vs]) => vs.map((v) => `${k}: ${v}\r\n`))
          .join('');
      },
      async bodyText() {
        reads.bodyText++;
        return m.body ?? '';
      },
    };
  });
  return { list, reads };
}
