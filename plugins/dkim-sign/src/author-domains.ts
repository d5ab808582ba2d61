import { normalizeDomain } from './names.ts';

/** Removes comments (RFC 5322 3.2.2), which may nest, outside quoted strings. */
function withoutComments(value: string): string {
  let out = '';
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const char = value[i]!;
    if (char === '\\' && (quoted || depth > 0)) {
      if (depth === 0) out += char + (value[i + 1] ?? '');
      i++;
    } else if (depth > 0) depth += char === '(' ? 1 : char === ')' ? -1 : 0;
    else if (quoted) {
      out += char;
      quoted = char !== '"';
    } else if (char === '(') depth = 1;
    else {
      if (char === '"') quoted = true;
      out += char;
    }
  }
  return out;
}

/** Splits at commas outside quoted strings, angle brackets and domain literals. */
function topLevelItems(value: string): string[] {
  const items: string[] = [];
  let current = '';
  let quoted = false;
  let nesting = 0;
  for (let i = 0; i < value.length; i++) {
    const char = value[i]!;
    if (quoted && char === '\\') {
      current += char + (value[i + 1] ?? '');
      i++;
      continue;
    }
    if (quoted) quoted = char !== '"';
    else if (char === '"') quoted = true;
    else if (char === '<' || char === '[') nesting++;
    else if ((char === '>' || char === ']') && nesting > 0) nesting--;
    else if (char === ',' && nesting === 0) {
      items.push(current);
      current = '';
      continue;
    }
    current += char;
  }
  items.push(current);
  return items;
}

/** The addr-spec of one mailbox: inside the angle brackets if there are any. */
function addrSpec(mailbox: string): string {
  const angle = /<([^<>]*)>\s*$/.exec(mailbox);
  return (angle ? angle[1]! : mailbox).trim();
}

/**
 * The author domains of a message: the domains of the mailboxes in its From fields (RFC 5322
 * 3.6.2), in A-labels and lower case, without duplicates. DMARC (RFC 7489 3.1) aligns the DKIM
 * signing domain with these, so they are the domains whose keys sign.
 */
export function authorDomains(fromValues: readonly string[]): string[] {
  const domains = new Set<string>();
  for (const value of fromValues) {
    for (const item of topLevelItems(withoutComments(value))) {
      const spec = addrSpec(item);
      const at = spec.lastIndexOf('@');
      if (at === -1) continue;
      const domain = normalizeDomain(spec.slice(at + 1));
      if (domain) domains.add(domain);
    }
  }
  return [...domains];
}
