/**
 * RFC 5322 address-list parsing for ENVELOPE: display names, quoted strings, comments,
 * groups, routes (dropped), and broken addresses turned into something a client can show
 * instead of an error. Values stay raw: encoded-words are not decoded.
 */

export type AddressItem =
  | { readonly kind: 'mailbox'; readonly name: string | null; readonly mailbox: string; readonly host: string }
  | { readonly kind: 'group-start'; readonly name: string }
  | { readonly kind: 'group-end' };

/** Placeholders for missing pieces; a NIL host would read as a group marker to clients. */
export const MISSING_MAILBOX = 'MISSING_MAILBOX';
export const MISSING_DOMAIN = 'MISSING_DOMAIN';
export const INVALID_ADDRESS = 'INVALID_ADDRESS';

/** More addresses than this in one header are dropped (hostile headers). */
const MAX_ADDRESSES = 10_000;

type Token =
  | { readonly t: 'word'; readonly v: string; readonly quoted: boolean }
  | { readonly t: 'comment'; readonly v: string }
  | { readonly t: 'literal'; readonly v: string }
  | { readonly t: 'special'; readonly v: string };

const SPECIALS = '<>@,;:.[]\\';

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      i++;
    } else if (c === '"') {
      let v = '';
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        if (text[i] !== '\r' && text[i] !== '\n') v += text[i];
        i++;
      }
      i++;
      tokens.push({ t: 'word', v, quoted: true });
    } else if (c === '(') {
      let depth = 0;
      let v = '';
      while (i < text.length) {
        const d = text[i]!;
        i++;
        if (d === '\\' && i < text.length) {
          v += text[i];
          i++;
          continue;
        }
        if (d === '(') {
          if (depth++ === 0) continue;
        } else if (d === ')' && --depth === 0) break;
        v += d;
      }
      tokens.push({ t: 'comment', v: v.trim() });
    } else if (c === '[') {
      const close = text.indexOf(']', i);
      const end = close === -1 ? text.length : close + 1;
      tokens.push({ t: 'literal', v: text.slice(i, end) });
      i = end;
    } else if (SPECIALS.includes(c) || c === ')') {
      tokens.push({ t: 'special', v: c });
      i++;
    } else {
      let v = '';
      while (i < text.length && !' \t\r\n"()'.includes(text[i]!) && !SPECIALS.includes(text[i]!)) v += text[i++];
      tokens.push({ t: 'word', v, quoted: false });
    }
  }
  return tokens;
}

/** Parses an address-list header value (already unfolded). */
export function parseAddressList(text: string): AddressItem[] {
  const tokens = tokenize(text);
  const items: AddressItem[] = [];
  let inGroup = false;
  let i = 0;
  while (i < tokens.length && items.length < MAX_ADDRESSES) {
    const phrase: Token[] = [];
    const comments: string[] = [];
    let angle: Token[] | null = null;
    let endGroup = false;
    while (i < tokens.length) {
      const tok = tokens[i]!;
      i++;
      if (tok.t === 'special' && tok.v === ',') break;
      if (tok.t === 'special' && tok.v === ';') {
        if (inGroup) {
          endGroup = true;
          break;
        }
        continue;
      }
      if (tok.t === 'special' && tok.v === ':' && !inGroup && angle === null) {
        items.push({ kind: 'group-start', name: joinPhrase(phrase) ?? '' });
        inGroup = true;
        phrase.length = 0;
        comments.length = 0;
        continue;
      }
      if (tok.t === 'special' && tok.v === '<' && angle === null) {
        angle = [];
        while (i < tokens.length) {
          const inner = tokens[i]!;
          i++;
          if (inner.t === 'special' && inner.v === '>') break;
          if (inner.t === 'comment' || (inner.t === 'special' && inner.v === '<')) continue;
          angle.push(inner);
        }
        continue;
      }
      if (tok.t === 'comment') comments.push(tok.v);
      else if (angle === null) phrase.push(tok);
      // Anything after <addr-spec> up to the next comma is junk and is dropped.
    }
    const address = makeAddress(phrase, angle, comments);
    if (address) items.push(address);
    if (endGroup) {
      items.push({ kind: 'group-end' });
      inGroup = false;
    }
  }
  if (inGroup) items.push({ kind: 'group-end' });
  return items;
}

function makeAddress(phrase: Token[], angle: Token[] | null, comments: string[]): AddressItem | undefined {
  const lastComment = comments.filter((c) => c.length > 0).at(-1) ?? null;
  if (angle !== null) {
    // A source route (`@a,@b:`) is dropped: ENVELOPE addresses are route-less.
    let colon = -1;
    angle.forEach((tok, index) => {
      if (tok.t === 'special' && tok.v === ':') colon = index;
    });
    const spec = angle.slice(colon + 1);
    return { kind: 'mailbox', name: joinPhrase(phrase) ?? lastComment, ...addrSpec(spec) };
  }
  // Nothing but blanks or comments between commas is no address.
  if (phrase.length === 0) return undefined;
  return { kind: 'mailbox', name: lastComment, ...addrSpec(phrase) };
}

function addrSpec(tokens: Token[]): { mailbox: string; host: string } {
  let at = -1;
  tokens.forEach((tok, index) => {
    if (tok.t === 'special' && tok.v === '@') at = index;
  });
  if (!tokens.some((tok) => tok.t === 'word' || tok.t === 'literal')) {
    return { mailbox: tokens.length > 0 ? INVALID_ADDRESS : MISSING_MAILBOX, host: MISSING_DOMAIN };
  }
  // Without an @ the words are most likely a name or a local alias: keep them readable.
  if (at === -1) return { mailbox: joinPhrase(tokens) ?? MISSING_MAILBOX, host: MISSING_DOMAIN };
  const local = tokens.slice(0, at);
  const domain = tokens.slice(at + 1);
  return { mailbox: joinLocal(local) || MISSING_MAILBOX, host: joinLocal(domain) || MISSING_DOMAIN };
}

/** Local parts and domains are written without blanks: `john . doe` is `john.doe`. */
function joinLocal(tokens: Token[]): string {
  let out = '';
  for (const tok of tokens) {
    if (tok.t === 'word' || tok.t === 'literal' || (tok.t === 'special' && tok.v === '.')) out += tok.v;
    else if (tok.t === 'special' && tok.v === '@') out += '@';
  }
  return out;
}

/** A display name: words joined by single spaces, a period sticking to the word before it. */
function joinPhrase(tokens: Token[]): string | null {
  let out = '';
  for (const tok of tokens) {
    if (tok.t === 'comment') continue;
    if (tok.t === 'special' && tok.v !== '.') continue;
    if (tok.t === 'special') out += '.';
    else out += (out.length > 0 ? ' ' : '') + tok.v;
  }
  const name = out.trim();
  return name.length > 0 ? name : null;
}
