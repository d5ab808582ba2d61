import type { HeaderList } from '@posthorn/core';

/**
 * The SpamAssassin header fields (Mail::SpamAssassin::Conf, add_header): mail programs and
 * filters (Sieve, procmail) already know them.
 */

const LINE = 78;

/** `7.3`, `-0.5`, `5.0`: one decimal, as SpamAssassin prints scores. */
export function formatScore(score: number): string {
  const text = score.toFixed(1);
  return text === '-0.0' ? '0.0' : text;
}

/**
 * `Yes, score=7.3 required=5.0 tests=A,B autolearn=no`, tests in alphabetical order, folded
 * after a comma (continuation lines start with a TAB, as SpamAssassin writes them) so that the
 * field keeps within 78 characters where the names allow.
 */
export function statusValue(spam: boolean, score: number, required: number, tests: readonly string[]): string {
  const name = 'X-Spam-Status: ';
  const words = [`${spam ? 'Yes' : 'No'},`, `score=${formatScore(score)}`, `required=${formatScore(required)}`];
  const lines: string[] = [];
  let line = name + words.join(' ') + ' tests=';
  const names = tests.length ? [...tests].sort() : ['none'];
  for (const [index, test] of names.entries()) {
    const piece = index < names.length - 1 ? `${test},` : test;
    if (line.length + piece.length > LINE && !line.endsWith('=')) {
      lines.push(line);
      line = `\t${piece}`;
    } else {
      line += piece;
    }
  }
  const tail = 'autolearn=no';
  if (line.length + 1 + tail.length > LINE) {
    lines.push(line);
    line = `\t${tail}`;
  } else {
    line += ` ${tail}`;
  }
  lines.push(line);
  return lines.join('\r\n').slice(name.length);
}

/** Removes every X-Spam-* field: what another filter (or the sender) claims is no verdict of ours. */
export function removeSpamFields(headers: HeaderList): string[] {
  const names = new Set(headers.fields.filter((field) => field.key.startsWith('x-spam-')).map((field) => field.name));
  const removed: string[] = [];
  for (const name of names) if (headers.remove(name)) removed.push(name);
  return removed;
}

/** Adds X-Spam-Flag (when spam), X-Spam-Score and X-Spam-Status at the bottom of the header. */
export function addSpamFields(headers: HeaderList, verdict: { spam: boolean; score: number; required: number; tests: readonly string[] }): void {
  if (verdict.spam) headers.append('X-Spam-Flag', 'YES');
  headers.append('X-Spam-Score', formatScore(verdict.score));
  headers.append('X-Spam-Status', statusValue(verdict.spam, verdict.score, verdict.required, verdict.tests));
}
