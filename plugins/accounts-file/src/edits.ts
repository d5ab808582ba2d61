import { type Document, isMap, isPair, isScalar, isSeq, type Node, type Pair, Scalar, YAMLMap } from 'yaml';
import { lookupKey, parseAddress } from './addresses.ts';
import { parseYaml } from './load.ts';

/**
 * Edits of the accounts file for `posthorn user ...`. The admin's file must come back as they
 * left it, comments and layout included, so an edit is first tried as a splice of the source
 * text at the positions yaml's Document API reports (only the edited entry changes, byte for
 * byte). When the file has a shape the splice does not handle (no `users` key, a flow-style
 * `users` map), the edit goes through the Document API, which keeps comments but re-prints
 * the layout. Either way, the result is parsed again and checked before it is returned.
 */

/** The text with the user added. */
export function withUserAdded(text: string, id: string, passwordHash: string, displayName?: string): string {
  const check = (next: string) => userPassword(next, id) === passwordHash;
  const spliced = spliceAdd(text, id, passwordHash, displayName);
  if (spliced !== undefined && check(spliced)) return spliced;
  return viaDocument(text, (doc) => {
    const entry = new YAMLMap();
    entry.flow = true;
    entry.set('password', quoted(passwordHash));
    if (displayName !== undefined) entry.set('name', displayName);
    usersMap(doc).set(id, entry);
  });
}

/** The text without the user, or null when there is no such user. */
export function withUserRemoved(text: string, address: string): string | null {
  const { doc } = parseYaml(text);
  const pair = findUser(doc, address);
  if (!pair) return null;
  const check = (next: string) => findUser(parseYaml(next).doc, address) === undefined && countUsers(next) === countUsers(text) - 1;
  const spliced = spliceRemove(text, pair);
  if (spliced !== undefined && check(spliced)) return spliced;
  return viaDocument(text, (edited) => (edited.get('users', true) as YAMLMap).delete(findUser(edited, address)!.key));
}

/** The text with the user's password hash replaced, or null when there is no such user. */
export function withPassword(text: string, address: string, passwordHash: string): string | null {
  const { doc } = parseYaml(text);
  const pair = findUser(doc, address);
  if (!pair) return null;
  const spliced = splicePassword(text, pair, passwordHash);
  if (spliced !== undefined && userPassword(spliced, address) === passwordHash) return spliced;
  return viaDocument(text, (edited) => {
    const target = findUser(edited, address)!;
    if (isMap(target.value)) {
      target.value.set('password', quoted(passwordHash));
    } else {
      const entry = new YAMLMap();
      entry.flow = true;
      entry.set('password', quoted(passwordHash));
      target.value = entry;
    }
  });
}

function spliceAdd(text: string, id: string, passwordHash: string, displayName: string | undefined): string | undefined {
  const { doc } = parseYaml(text);
  const entry = `${yamlString(id)}: { password: ${JSON.stringify(passwordHash)}${displayName === undefined ? '' : `, name: ${yamlString(displayName)}`} }`;
  const users = doc.get('users', true) as Node | null | undefined;
  if (isMap(users) && !users.flow && users.items.length > 0) {
    const first = users.items[0]!.key as Node | null;
    const last = users.items.at(-1)!;
    const indent = first?.range ? blockIndent(text, first.range[0]) : undefined;
    const end = endOf(last);
    if (indent === undefined || end === undefined) return undefined;
    const at = afterLine(text, end);
    return text.slice(0, at) + (at === text.length && !text.endsWith('\n') ? '\n' : '') + ' '.repeat(indent) + entry + '\n' + text.slice(at);
  }
  // `users:` with nothing after it, or `users: {}`: the value becomes a block map.
  const empty = (isScalar(users) && users.value === null) || (isMap(users) && users.items.length === 0);
  if (empty && users?.range) {
    const [start, end] = users.range;
    return text.slice(0, start).replace(/[ \t]*$/, '') + '\n  ' + entry + (text.slice(end).startsWith('\n') || end === text.length ? '' : '\n') + text.slice(end);
  }
  return undefined;
}

function spliceRemove(text: string, pair: Pair): string | undefined {
  const key = pair.key as Node | null;
  const end = endOf(pair);
  if (!key?.range || end === undefined || blockIndent(text, key.range[0]) === undefined) return undefined;
  return text.slice(0, lineStart(text, key.range[0])) + text.slice(afterLine(text, end));
}

function splicePassword(text: string, pair: Pair, passwordHash: string): string | undefined {
  if (!isMap(pair.value)) return undefined;
  const password = pair.value.get('password', true);
  if (!isScalar(password) || !password.range) return undefined;
  return text.slice(0, password.range[0]) + JSON.stringify(passwordHash) + text.slice(password.range[1]);
}

/**
 * Where a pair's content ends in the source: its value, or its key for an empty value. For a
 * block collection this is the end of its last entry, not of the comments after it, which
 * belong to whatever follows.
 */
function endOf(pair: Pair): number | undefined {
  const value = pair.value as Node | null;
  if ((isMap(value) || isSeq(value)) && !value.flow && value.items.length > 0) {
    const last = value.items.at(-1)!;
    return isPair(last) ? endOf(last) : (last as Node | null)?.range?.[1];
  }
  return value?.range?.[1] ?? (pair.key as Node | null)?.range?.[1];
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

/** The offset just after the end of the line that contains `offset`. */
function afterLine(text: string, offset: number): number {
  const newline = text.indexOf('\n', offset);
  return newline === -1 ? text.length : newline + 1;
}

/** The indentation of a block map key, or undefined when something other than spaces precedes it. */
function blockIndent(text: string, offset: number): number | undefined {
  const before = text.slice(lineStart(text, offset), offset);
  return /^ *$/.test(before) ? before.length : undefined;
}

/** Plain when that is unambiguous, otherwise double-quoted (a JSON string is valid YAML). */
function yamlString(value: string): string {
  return /^[A-Za-z0-9][A-Za-z0-9._+@=-]*( [A-Za-z0-9._+@=-]+)*$/.test(value) && !/^(true|false|null|yes|no|on|off|~|[0-9.+-]+)$/i.test(value)
    ? value
    : JSON.stringify(value);
}

function viaDocument(text: string, change: (doc: Document) => void): string {
  const { doc } = parseYaml(text);
  change(doc);
  return doc.toString({ lineWidth: 0 });
}

/** The `users` map, created (or turned from an empty `users:` into a map) when needed. */
function usersMap(doc: Document): YAMLMap {
  const users = doc.get('users', true);
  if (isMap(users)) return users;
  const map = new YAMLMap();
  doc.set('users', map);
  return map;
}

/** The pair of the user whose address matches case-insensitively, as the lookups do. */
function findUser(doc: Document, address: string): Pair | undefined {
  const users = doc.get('users', true);
  if (!isMap(users)) return undefined;
  const wanted = keyOf(address);
  return users.items.find((pair) => {
    const key = isScalar(pair.key) ? pair.key.value : pair.key;
    return typeof key === 'string' && keyOf(key) === wanted;
  });
}

function countUsers(text: string): number {
  const users = parseYaml(text).doc.get('users', true);
  return isMap(users) ? users.items.length : 0;
}

function userPassword(text: string, address: string): unknown {
  const { doc } = parseYaml(text);
  if (doc.errors.length) return undefined;
  const pair = findUser(doc, address);
  return isMap(pair?.value) ? pair.value.get('password') : undefined;
}

function keyOf(address: string): string | undefined {
  const parsed = parseAddress(address);
  return parsed ? lookupKey(parsed.local, parsed.domain) : undefined;
}

/** A double-quoted scalar: PHC strings contain `$` and `,`, which plain flow scalars cannot. */
function quoted(value: string): Scalar {
  const scalar = new Scalar(value);
  scalar.type = Scalar.QUOTE_DOUBLE;
  return scalar;
}
