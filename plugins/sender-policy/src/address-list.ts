/**
 * A small parser for the address fields an impersonation check reads (From:, Sender:;
 * RFC 5322 3.4 with RFC 6532 UTF-8, and RFC 6854 groups). It finds the addr-specs a mail
 * program would display, and refuses anything it cannot read with certainty: a check that
 * guesses can be talked past.
 *
 * Comments are dropped (they are not addresses), quoted strings are unquoted, an obsolete
 * route inside angle brackets (`<@relay:user@host>`) is dropped, display names are ignored.
 */

export interface Mailbox {
  /** Local part, unquoted: `"a b"@x` gives `a b`. */
  readonly local: string;
  /** Domain as written (lower-casing and IDNA are the caller's business). */
  readonly domain: string;
}

export type ParseResult = { readonly ok: true; readonly mailboxes: readonly Mailbox[] } | { readonly ok: false; readonly error: string };

type Token =
  | { readonly kind: 'atom'; readonly text: string }
  | { readonly kind: 'quoted'; readonly text: string }
  | { readonly kind: 'literal'; readonly text: string }
  | { readonly kind: 'special'; readonly text: string };

const SPECIALS = '()<>[]:;@\\,."';

class AddressSyntaxError extends Error {}

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const char = input[i]!;
    if (char === ' ' || char === '\t' || char === '\r' || char === '\n') {
      i++;
    } else if (char === '(') {
      // Comments nest (RFC 5322 3.2.2) and may hold quoted pairs.
      let depth = 0;
      for (; i < input.length; i++) {
        const c = input[i];
        if (c === '\\') i++;
        else if (c === '(') depth++;
        else if (c === ')' && --depth === 0) break;
      }
      if (depth !== 0) throw new AddressSyntaxError('unterminated comment');
      i++;
    } else if (char === '"') {
      let text = '';
      for (i++; i < input.length && input[i] !== '"'; i++) text += input[i] === '\\' ? (input[++i] ?? '') : input[i];
      if (i >= input.length) throw new AddressSyntaxError('unterminated quoted string');
      tokens.push({ kind: 'quoted', text });
      i++;
    } else if (char === '[') {
      const end = input.indexOf(']', i);
      if (end === -1) throw new AddressSyntaxError('unterminated domain literal');
      tokens.push({ kind: 'literal', text: input.slice(i, end + 1) });
      i = end + 1;
    } else if (SPECIALS.includes(char)) {
      if (char === ')' || char === ']' || char === '\\') throw new AddressSyntaxError(`unexpected ${char}`);
      tokens.push({ kind: 'special', text: char });
      i++;
    } else {
      let text = '';
      while (i < input.length && !SPECIALS.includes(input[i]!) && !/[\s\x00-\x1f\x7f]/.test(input[i]!)) text += input[i++];
      if (!text) throw new AddressSyntaxError('control character');
      tokens.push({ kind: 'atom', text });
    }
  }
  return tokens;
}

const isSpecial = (token: Token | undefined, text: string): boolean => token?.kind === 'special' && token.text === text;

/** local-part "@" domain, from exactly these tokens. */
function addrSpec(tokens: readonly Token[]): Mailbox {
  const at = tokens.findIndex((token) => isSpecial(token, '@'));
  if (at <= 0 || at === tokens.length - 1) throw new AddressSyntaxError('not an addr-spec');
  const localTokens = tokens.slice(0, at);
  const domainTokens = tokens.slice(at + 1);
  // dot-separated words: atoms and quoted strings (obs-local-part mixes them).
  const local = wordsWithDots(localTokens, (token) => token.kind === 'atom' || token.kind === 'quoted');
  let domain: string;
  if (domainTokens.length === 1 && domainTokens[0]!.kind === 'literal') domain = domainTokens[0]!.text;
  else domain = wordsWithDots(domainTokens, (token) => token.kind === 'atom');
  return { local, domain };
}

function wordsWithDots(tokens: readonly Token[], isWord: (token: Token) => boolean): string {
  let text = '';
  tokens.forEach((token, index) => {
    const expectWord = index % 2 === 0;
    if (expectWord ? !isWord(token) : !isSpecial(token, '.')) throw new AddressSyntaxError('malformed address');
    text += token.text;
  });
  if (tokens.length % 2 === 0) throw new AddressSyntaxError('malformed address');
  return text;
}

/** One mailbox: `addr-spec` or `[display-name] <addr-spec>`. */
function mailbox(tokens: readonly Token[]): Mailbox {
  const open = tokens.findIndex((token) => isSpecial(token, '<'));
  if (open === -1) return addrSpec(tokens);
  const close = tokens.findIndex((token) => isSpecial(token, '>'));
  if (close !== tokens.length - 1 || close < open) throw new AddressSyntaxError('text after the angle-addr');
  // The display name is a phrase: words (and obs-phrase dots) only, never an address.
  if (!tokens.slice(0, open).every((token) => token.kind === 'atom' || token.kind === 'quoted' || isSpecial(token, '.'))) {
    throw new AddressSyntaxError('special characters in the display name');
  }
  let inner = tokens.slice(open + 1, close);
  const colon = inner.findIndex((token) => isSpecial(token, ':'));
  // obs-route: `<@a,@b:user@host>`; the route is not part of the address.
  if (colon !== -1 && isSpecial(inner[0], '@')) inner = inner.slice(colon + 1);
  if (inner.some((token) => isSpecial(token, '<') || isSpecial(token, '>'))) throw new AddressSyntaxError('nested angle brackets');
  return addrSpec(inner);
}

/** Splits at top-level commas; empty elements (obs-mbox-list) are skipped. */
function splitList(tokens: readonly Token[]): Token[][] {
  const parts: Token[][] = [[]];
  for (const token of tokens) {
    if (isSpecial(token, ',')) parts.push([]);
    else parts[parts.length - 1]!.push(token);
  }
  return parts.filter((part) => part.length > 0);
}

/**
 * Every mailbox of an address-list field value, groups expanded. An empty group
 * (`undisclosed-recipients:;`) contributes none.
 */
export function parseAddressList(value: string): ParseResult {
  try {
    const tokens = tokenize(value);
    const mailboxes: Mailbox[] = [];
    let i = 0;
    while (i < tokens.length) {
      // An element ends at a top-level comma, or is a group `phrase : list ;`.
      const colon = tokens.findIndex((token, index) => index >= i && isSpecial(token, ':'));
      const comma = tokens.findIndex((token, index) => index >= i && isSpecial(token, ','));
      const angle = tokens.findIndex((token, index) => index >= i && isSpecial(token, '<'));
      const isGroup = colon !== -1 && (comma === -1 || colon < comma) && (angle === -1 || colon < angle);
      if (isGroup) {
        if (!tokens.slice(i, colon).every((token) => token.kind === 'atom' || token.kind === 'quoted')) throw new AddressSyntaxError('malformed group name');
        const semicolon = tokens.findIndex((token, index) => index > colon && isSpecial(token, ';'));
        if (semicolon === -1) throw new AddressSyntaxError('group without ;');
        const members = tokens.slice(colon + 1, semicolon);
        if (members.some((token) => isSpecial(token, ':'))) throw new AddressSyntaxError('nested group');
        for (const part of splitList(members)) mailboxes.push(mailbox(part));
        i = semicolon + 1;
        if (i < tokens.length && !isSpecial(tokens[i], ',')) throw new AddressSyntaxError('text after a group');
        i++;
        continue;
      }
      const end = comma === -1 ? tokens.length : comma;
      const element = tokens.slice(i, end);
      if (element.length > 0) mailboxes.push(mailbox(element));
      i = end + 1;
    }
    return { ok: true, mailboxes };
  } catch (err) {
    if (err instanceof AddressSyntaxError) return { ok: false, error: err.message };
    throw err;
  }
}
