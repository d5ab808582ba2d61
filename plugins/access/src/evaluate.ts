import type { AccessEntry, AccessList } from './rules.ts';
import type { Facts, StageIndex } from './stages.ts';

/**
 * The first entry in file order that is checked between stages `from` and `upTo` and matches
 * the facts, looking only at entries before `before` (an earlier stage's match, which wins over
 * everything after it). Undefined when none matches.
 */
export function firstMatch(list: AccessList, facts: Facts, from: StageIndex, upTo: StageIndex, before = Number.POSITIVE_INFINITY): AccessEntry | undefined {
  for (const entry of list.entries) {
    if (entry.index >= before) return undefined;
    if (entry.stage >= from && entry.stage <= upTo && entry.matches(facts)) return entry;
  }
  return undefined;
}
