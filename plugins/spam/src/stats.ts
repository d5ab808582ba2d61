import type { JsonValue } from '@posthorn/contracts';

export type Outcome = 'ham' | 'spam' | 'junk' | 'reject' | 'accept';

/**
 * Counters since the server started: messages by outcome, hits per test, DNS questions per
 * list that got no answer. For the operator who tunes scores (`posthorn spam stats`).
 */
export class SpamStats {
  readonly since = new Date();
  #messages = 0;
  readonly #outcomes = new Map<Outcome, number>();
  readonly #tests = new Map<string, number>();
  readonly #dnsErrors = new Map<string, number>();

  record(outcome: Outcome, tests: readonly string[]): void {
    this.#messages++;
    this.#outcomes.set(outcome, (this.#outcomes.get(outcome) ?? 0) + 1);
    for (const test of tests) this.#tests.set(test, (this.#tests.get(test) ?? 0) + 1);
  }

  dnsError(list: string): void {
    this.#dnsErrors.set(list, (this.#dnsErrors.get(list) ?? 0) + 1);
  }

  /** Plain data, tests by hit count (most first, then by name). */
  snapshot(): { [key: string]: JsonValue } {
    const sorted = (map: Map<string, number>) => Object.fromEntries([...map].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
    return {
      since: this.since.toISOString(),
      messages: this.#messages,
      outcomes: Object.fromEntries(['ham', 'spam', 'junk', 'reject', 'accept'].map((o) => [o, this.#outcomes.get(o as Outcome) ?? 0])),
      tests: sorted(this.#tests),
      dnsErrors: sorted(this.#dnsErrors),
    };
  }
}
