/**
 * Syntax check of the address fields of RFC 5322 3.4 (with the obsolete forms of 4.4 that real
 * mail still uses, and UTF-8 in atoms as RFC 6532 allows). It answers "is this well formed and
 * how many mailboxes does it name"; it does not build address objects.
 */

type Token =
  | { readonly kind: 'word'; readonly text: string }
  | { readonly kind: 'literal'; readonly text: string }
  | { readonly kind: 'special'; readonly text: string };

/** atext (RFC 5322 3.2.3), plus any non-ASCII character (RFC 6532 3.2). */
const ATEXT = /[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u0080-\u{10ffff}]/u;

/** Splits a field value into words, domain literals and specials; comments and white space go. */
function tokenize(value: string): Token[] | undefined {
  const tokens: Token[] = [];
  const chars = [...value];
  let i = 0;
  while (i < chars.length) {
    const char = chars[i]!;
    if (char === ' ' || char === '\t' || char === '\r' || char === '\n') {
      i++;
    } else if (char === '(') {
      let depth = 0;
      for (; i < chars.length; i++) {
        if (chars[i] === '\\') i++;
        else if (chars[i] === '(') depth++;
        else if (chars[i] === ')' && --depth === 0) break;
      }
      if (depth !== 0) return undefined;
      i++;
    } else if (char === '"') {
      let text = '';
      let closed = false;
      for (i++; i < chars.length; i++) {
        if (chars[i] === '\\') text += chars[++i] ?? '';
        else if (chars[i] === '"') {
          closed = true;
          break;
        } else text += chars[i];
      }
      if (!closed) return undefined;
      tokens.push({ kind: 'word', text });
      i++;
    } else if (char === '[') {
      const end = chars.indexOf(']', i);
      if (end === -1) return undefined;
      const text = chars.slice(i, end + 1).join('');
      if (/[[\\]/.test(text.slice(1, -1))) return undefined;
      tokens.push({ kind: 'literal', text });
      i = end + 1;
    } else if (ATEXT.test(char)) {
      let text = '';
      while (i < chars.length && ATEXT.test(chars[i]!)) text += chars[i++];
      tokens.push({ kind: 'word', text });
    } else {
      tokens.push({ kind: 'special', text: char });
      i++;
    }
  }
  return tokens;
}

class Parser {
  readonly #tokens: Token[];
  #at = 0;
  mailboxes = 0;
  groups = 0;

  constructor(tokens: Token[]) {
    this.#tokens = tokens;
  }

  get done(): boolean {
    return this.#at >= this.#tokens.length;
  }

  #peek(): Token | undefined {
    return this.#tokens[this.#at];
  }

  #isSpecial(text: string): boolean {
    const token = this.#peek();
    return token?.kind === 'special' && token.text === text;
  }

  #take(text: string): boolean {
    if (!this.#isSpecial(text)) return false;
    this.#at++;
    return true;
  }

  /** `word *("." word)`: a dot-atom or obsolete local part / domain. */
  #dotted(): boolean {
    if (this.#peek()?.kind !== 'word') return false;
    this.#at++;
    while (this.#isSpecial('.')) {
      this.#at++;
      if (this.#peek()?.kind !== 'word') return false;
      this.#at++;
    }
    return true;
  }

  #domain(): boolean {
    if (this.#peek()?.kind === 'literal') {
      this.#at++;
      return true;
    }
    return this.#dotted();
  }

  #addrSpec(): boolean {
    return this.#dotted() && this.#take('@') && this.#domain();
  }

  /** A mailbox, or (when allowed) a group; false when it is neither. */
  address(allowGroup: boolean): boolean {
    const start = this.#at;
    // A phrase: words, and dots after the first word (obs-phrase).
    let words = 0;
    while (this.#peek()?.kind === 'word' || (words > 0 && this.#isSpecial('.'))) {
      words++;
      this.#at++;
    }
    if (this.#take('<')) {
      if (!this.#addrSpec() || !this.#take('>')) return false;
      this.mailboxes++;
      return true;
    }
    if (words > 0 && allowGroup && this.#take(':')) {
      this.groups++;
      // A group may be empty (`undisclosed-recipients:;`) and its list may have empty entries.
      while (!this.#isSpecial(';')) {
        if (this.#take(',')) continue;
        if (this.done || !this.address(false)) return false;
      }
      this.#at++;
      return true;
    }
    this.#at = start;
    if (!this.#addrSpec()) return false;
    this.mailboxes++;
    return true;
  }

  /** `address *("," address)`, empty entries allowed (obs-addr-list) but at least one address. */
  list(allowGroups: boolean): boolean {
    let addresses = 0;
    while (!this.done) {
      if (this.#take(',')) continue;
      if (!this.address(allowGroups)) return false;
      addresses++;
      if (!this.done && !this.#take(',')) return false;
    }
    return addresses > 0;
  }
}

/** Which grammar a field follows (RFC 5322 3.6.2, 3.6.3). */
export type AddressFieldKind = 'mailbox' | 'mailbox-list' | 'address-list';

/** Whether a field value (unfolded) is well formed for its kind. */
export function isWellFormedAddressField(value: string, kind: AddressFieldKind): boolean {
  const tokens = tokenize(value);
  if (!tokens || tokens.length === 0) return false;
  const parser = new Parser(tokens);
  if (!parser.list(kind === 'address-list')) return false;
  return kind !== 'mailbox' || (parser.mailboxes === 1 && parser.groups === 0);
}

/** The address fields checked in incoming mail, by lower-case name. */
export const ADDRESS_FIELDS: Readonly<Record<string, AddressFieldKind>> = Object.freeze({
  from: 'mailbox-list',
  sender: 'mailbox',
  'reply-to': 'address-list',
  to: 'address-list',
  cc: 'address-list',
});
