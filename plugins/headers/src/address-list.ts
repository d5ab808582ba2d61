/**
 * Splits an address list (RFC 5322 3.4) at its top-level commas: commas inside quoted strings,
 * comments, angle brackets and domain literals do not count. Empty entries (obsolete syntax
 * `a, , b`) are dropped. Good enough to count mailboxes; not a full parser.
 */
export function splitAddressList(value: string): string[] {
  const items: string[] = [];
  let current = '';
  let quoted = false;
  let comment = 0;
  let angle = false;
  let literal = false;
  for (let i = 0; i < value.length; i++) {
    const char = value[i]!;
    if ((quoted || comment > 0) && char === '\\') {
      current += char + (value[i + 1] ?? '');
      i++;
      continue;
    }
    if (quoted) quoted = char !== '"';
    else if (comment > 0) comment += char === '(' ? 1 : char === ')' ? -1 : 0;
    else if (char === '"') quoted = true;
    else if (char === '(') comment = 1;
    else if (char === '<') angle = true;
    else if (char === '>') angle = false;
    else if (char === '[') literal = true;
    else if (char === ']') literal = false;
    else if (char === ',' && !angle && !literal) {
      items.push(current);
      current = '';
      continue;
    }
    current += char;
  }
  items.push(current);
  // An entry of nothing but white space and comments is no mailbox.
  return items.filter((item) => item.replace(/\([^)]*\)/g, '').trim() !== '');
}

/** How many mailboxes a From (or other mailbox-list) value names. */
export function countMailboxes(value: string): number {
  return splitAddressList(value).length;
}
