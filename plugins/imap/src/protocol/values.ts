/**
 * The two shapes IMAP data takes inside the server: what the parser makes of a client's
 * command (Arg), and what a command hands the writer to send back (ImapValue).
 */

/** One argument of a client command, as the tokenizer found it. */
export type Arg =
  /**
   * Anything unquoted: atoms, numbers, NIL, flags (`\Seen`), sequence sets (`1:*,4`), list
   * patterns (`%`, `*`) and fetch attributes with their bracketed section and partial range
   * kept whole (`BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.100>`).
   */
  | { readonly kind: 'atom'; readonly value: string }
  /** A quoted string or a literal (`{n}`, `{n+}`, `~{n}`), as the bytes the client sent. */
  | { readonly kind: 'string'; readonly value: Buffer; readonly literal: boolean; readonly binary?: boolean }
  /** A parenthesised list. */
  | { readonly kind: 'list'; readonly items: readonly Arg[] };

/** An atom the writer sends as it is (flags, keywords, `BODY[1.2]`, `UID`). */
export interface Atom {
  readonly atom: string;
}

/** Sent as a literal8 (`~{n}`, RFC 3516) because it may hold NUL bytes. */
export interface Literal8 {
  readonly literal8: Buffer;
}

/**
 * What the writer serialises: null is NIL; a number is a number; a string is quoted, or a
 * literal when it cannot be quoted (CR, LF, NUL, `"` and `\` are escaped or force a literal);
 * a Buffer is always a literal; arrays are parenthesised lists.
 */
export type ImapValue = null | number | bigint | string | Buffer | Atom | Literal8 | readonly ImapValue[];

export function atom(value: string): Atom {
  return { atom: value };
}

export function isAtomArg(arg: Arg | undefined, value?: string): arg is { readonly kind: 'atom'; readonly value: string } {
  return arg?.kind === 'atom' && (value === undefined || arg.value.toUpperCase() === value.toUpperCase());
}

/** The text of an atom or string argument (astring in RFC 9051), or undefined for a list. */
export function argText(arg: Arg | undefined): string | undefined {
  if (!arg) return undefined;
  if (arg.kind === 'atom') return arg.value;
  if (arg.kind === 'string') return arg.value.toString('utf8');
  return undefined;
}
