import type { MailboxInfo, SpecialUse } from '@posthorn/contracts';
import { atom, type ImapValue } from '../protocol/values.ts';
import type { ListRequest, LsubRequest } from './list-command.ts';
import { isDelimiterRequest, listMatcherAny } from './list-pattern.ts';
import { ancestorNames, HIERARCHY_DELIMITER, INBOX, isWithin, mailboxNameToClient } from './names.ts';

/**
 * The answers to LIST (RFC 9051 6.3.9, RFC 5258 LIST-EXTENDED, RFC 6154 SPECIAL-USE) and LSUB
 * (RFC 3501 6.3.9) over the account's mailboxes, as entries the caller encodes and writes.
 *
 * Names that are not mailboxes take part too: hierarchy levels with no mailbox of their own
 * (`a` when only `a/b` exists) and subscriptions whose mailbox is gone. A `%` pattern stops at
 * such a level and still has to show the client that something lies below.
 */

export type { ListRequest, ListReturn, ListSelection, LsubRequest } from './list-command.ts';
export { parseListCommand, parseLsubCommand } from './list-command.ts';

export interface ListEntry {
  /** UTF-8 store name; "" for the root of the delimiter answer. */
  readonly name: string;
  readonly attributes: string[];
  /** CHILDINFO extended data (RECURSIVEMATCH): the selection criteria a descendant meets. */
  readonly childInfo?: string[];
  /** Whether the name is a mailbox that can be selected, i.e. worth a LIST-STATUS answer. */
  readonly selectable: boolean;
}

export interface ListOptions {
  /** Subscriptions to names with no mailbox (kept after a DELETE, RFC 9051 6.3.7). */
  readonly subscribedNames?: readonly string[];
}

interface NameNode {
  readonly name: string;
  exists: boolean;
  subscribed: boolean;
  specialUse?: SpecialUse;
  /** Some existing mailbox lies below this name. */
  hasChildren: boolean;
  /** Some name below meets the selection criteria. */
  selectedDescendant: boolean;
  /** Some name below meets the selection criteria but matches no pattern. */
  unmatchedSelectedDescendant: boolean;
}

/** The answer to an empty pattern: the delimiter and the (only) root, "" (RFC 9051 6.3.9). */
export function delimiterEntry(): ListEntry {
  return { name: '', attributes: ['\\Noselect'], selectable: false };
}

function nameTree(boxes: readonly MailboxInfo[], subscribedNames: readonly string[]): Map<string, NameNode> {
  const nodes = new Map<string, NameNode>();
  const nodeOf = (name: string): NameNode => {
    let node = nodes.get(name);
    if (!node) {
      node = { name, exists: false, subscribed: false, hasChildren: false, selectedDescendant: false, unmatchedSelectedDescendant: false };
      nodes.set(name, node);
    }
    return node;
  };
  for (const box of boxes) {
    const node = nodeOf(box.name);
    node.exists = true;
    node.subscribed ||= box.subscribed;
    if (box.specialUse) node.specialUse = box.specialUse;
    for (const ancestor of ancestorNames(box.name)) nodeOf(ancestor).hasChildren = true;
  }
  for (const name of subscribedNames) {
    nodeOf(name).subscribed = true;
    for (const ancestor of ancestorNames(name)) nodeOf(ancestor);
  }
  return nodes;
}

/** INBOX and what lies below it first, then level by level so that parents precede children. */
function compareNames(a: string, b: string): number {
  const aInbox = isWithin(a, INBOX);
  if (aInbox !== isWithin(b, INBOX)) return aInbox ? -1 : 1;
  const aLevels = a.split(HIERARCHY_DELIMITER);
  const bLevels = b.split(HIERARCHY_DELIMITER);
  const shared = Math.min(aLevels.length, bLevels.length);
  for (let i = 0; i < shared; i++) {
    if (aLevels[i] !== bLevels[i]) return aLevels[i]! < bLevels[i]! ? -1 : 1;
  }
  return aLevels.length - bLevels.length;
}

/** Marks on every ancestor whether a selected descendant exists, and one no pattern matches. */
function markSelectedDescendants(
  nodes: Map<string, NameNode>,
  selected: (node: NameNode) => boolean,
  matches: (name: string) => boolean,
): Map<string, boolean> {
  const matched = new Map<string, boolean>();
  for (const node of nodes.values()) matched.set(node.name, matches(node.name));
  for (const node of nodes.values()) {
    if (!selected(node)) continue;
    const unmatched = !matched.get(node.name);
    for (const ancestor of ancestorNames(node.name)) {
      const parent = nodes.get(ancestor)!;
      parent.selectedDescendant = true;
      if (unmatched) parent.unmatchedSelectedDescendant = true;
    }
  }
  return matched;
}

/**
 * The LIST answer. Attributes: `\Noselect` (or `\NonExistent` in the extended syntax) for names
 * that are not mailboxes, `\HasChildren`/`\HasNoChildren` always, special-use attributes always
 * (as Dovecot does), `\Subscribed` when asked for. The STATUS return option is left to the
 * caller: it applies to the entries with `selectable`.
 */
export function listResponses(boxes: readonly MailboxInfo[], request: ListRequest, options: ListOptions = {}): ListEntry[] {
  const out: ListEntry[] = [];
  if (request.patterns.some(isDelimiterRequest)) out.push(delimiterEntry());
  const patterns = request.patterns.filter((pattern) => !isDelimiterRequest(pattern));
  if (patterns.length === 0) return out;

  const { selection, returns } = request;
  const filtered = selection.subscribed || selection.specialUse;
  const selected = (node: NameNode): boolean =>
    filtered ? (!selection.subscribed || node.subscribed) && (!selection.specialUse || (node.exists && node.specialUse !== undefined)) : node.exists;
  const criteria = [...(selection.subscribed ? ['SUBSCRIBED'] : []), ...(selection.specialUse ? ['SPECIAL-USE'] : [])];
  const showSubscribed = returns.subscribed || selection.subscribed;

  const nodes = nameTree(boxes, options.subscribedNames ?? []);
  const matched = markSelectedDescendants(nodes, selected, listMatcherAny(request.reference, patterns));

  const names = [...nodes.keys()].filter((name) => matched.get(name)).sort(compareNames);
  for (const name of names) {
    const node = nodes.get(name)!;
    let shown: boolean;
    if (selected(node)) shown = true;
    // A level that fails the criteria stands in for descendants the pattern cannot reach: with
    // no criteria that is the `%` rule for missing levels, with criteria it takes RECURSIVEMATCH.
    else if (!filtered || selection.recursiveMatch) shown = node.unmatchedSelectedDescendant;
    else shown = false;
    if (!shown) continue;

    const attributes: string[] = [];
    if (!node.exists) attributes.push(request.extended ? '\\NonExistent' : '\\Noselect');
    attributes.push(node.hasChildren ? '\\HasChildren' : '\\HasNoChildren');
    if (node.exists && node.specialUse) attributes.push(node.specialUse);
    if (showSubscribed && node.subscribed) attributes.push('\\Subscribed');
    const entry: ListEntry = { name, attributes, selectable: node.exists };
    out.push(selection.recursiveMatch && node.selectedDescendant ? { ...entry, childInfo: [...criteria] } : entry);
  }
  return out;
}

/**
 * The LSUB answer: subscribed names matching the pattern, whether or not their mailbox
 * exists; and, for a `%` that stops above a subscribed name, the level it stops at, flagged
 * `\Noselect` (RFC 3501 6.3.9).
 */
export function lsubResponses(boxes: readonly MailboxInfo[], request: LsubRequest, options: ListOptions = {}): ListEntry[] {
  const out: ListEntry[] = [];
  if (request.patterns.some(isDelimiterRequest)) out.push(delimiterEntry());
  const patterns = request.patterns.filter((pattern) => !isDelimiterRequest(pattern));
  if (patterns.length === 0) return out;

  const subscribedBoxes = boxes.filter((box) => box.subscribed);
  const nodes = nameTree(subscribedBoxes, options.subscribedNames ?? []);
  const matched = markSelectedDescendants(nodes, (node) => node.subscribed, listMatcherAny(request.reference, patterns));

  const names = [...nodes.keys()].filter((name) => matched.get(name)).sort(compareNames);
  for (const name of names) {
    const node = nodes.get(name)!;
    if (node.subscribed) out.push({ name, attributes: [], selectable: node.exists });
    else if (node.unmatchedSelectedDescendant) out.push({ name, attributes: ['\\Noselect'], selectable: false });
  }
  return out;
}

/**
 * What follows `* LIST ` or `* LSUB `: the attribute list, the delimiter, the name (modified
 * UTF-7 unless UTF-8 was enabled) and, for LIST, the CHILDINFO extended data, e.g.
 * `[[atom('\\HasNoChildren')], '/', 'INBOX']`.
 */
export function formatListEntry(entry: ListEntry, utf8Enabled: boolean, command: 'LIST' | 'LSUB'): ImapValue[] {
  const out: ImapValue[] = [entry.attributes.map(atom), HIERARCHY_DELIMITER, mailboxNameToClient(entry.name, utf8Enabled)];
  if (command === 'LIST' && entry.childInfo && entry.childInfo.length > 0) out.push(['CHILDINFO', entry.childInfo]);
  return out;
}
