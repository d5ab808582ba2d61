import { decodeMailboxName, encodeMailboxName } from './utf7.ts';

/**
 * Mailbox names between the wire and the store. Inside the server a name is UTF-8 with `/` as
 * hierarchy delimiter and INBOX spelled `INBOX`; on the wire it is modified UTF-7 unless the
 * client enabled UTF-8 (ENABLE UTF8=ACCEPT or IMAP4rev2, RFC 6855 / RFC 9051 5.1).
 */

export const HIERARCHY_DELIMITER = '/';
export const INBOX = 'INBOX';
/** Longest name accepted, in UTF-8 bytes. */
export const MAX_MAILBOX_NAME_BYTES = 255;
/** Deepest hierarchy accepted; deeper trees only serve to make listing expensive. */
export const MAX_MAILBOX_LEVELS = 32;

export type MailboxNameResult = { readonly name: string } | { readonly error: string };

export interface MailboxNameOptions {
  /**
   * Accept one trailing delimiter and drop it: CREATE `foo/` declares that the client means to
   * create names below `foo` and creates `foo` (RFC 9051 6.3.4).
   */
  readonly allowTrailingDelimiter?: boolean;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
/** The first level is INBOX in any ASCII case; no `u` flag, so `ı` (U+0131) does not fold to `I`. */
const INBOX_ANY_CASE = /^inbox$/i;
/** C0, DEL and C1 controls: not Net-Unicode (RFC 5198) and unprintable in every client. */
const CONTROL = /[\x00-\x1f\x7f-\x9f]/;

/**
 * Text the client sent as a mailbox name, reference or pattern, as UTF-8: decoded from
 * modified UTF-7 unless UTF-8 was enabled. Undefined when it is not valid in that encoding.
 * A Buffer (the bytes of a string argument) is checked byte by byte; a string is taken as the
 * already-decoded argument.
 */
export function clientTextToUtf8(raw: string | Buffer, utf8Enabled: boolean): string | undefined {
  let text: string;
  if (typeof raw === 'string') {
    text = raw;
  } else if (utf8Enabled) {
    try {
      text = strictUtf8.decode(raw);
    } catch {
      return undefined;
    }
  } else {
    // Modified UTF-7 is 7-bit; latin1 keeps every byte as one character so 8-bit ones are refused.
    text = raw.toString('latin1');
  }
  if (utf8Enabled) return text.isWellFormed() ? text : undefined;
  return decodeMailboxName(text);
}

/** `INBOX` in any case, alone or as first level, becomes `INBOX` (RFC 9051 5.1). */
export function normaliseInbox(name: string): string {
  const slash = name.indexOf(HIERARCHY_DELIMITER);
  const first = slash < 0 ? name : name.slice(0, slash);
  if (first === INBOX || !INBOX_ANY_CASE.test(first)) return name;
  return INBOX + name.slice(first.length);
}

/**
 * Checks a UTF-8 mailbox name and normalises INBOX. Refuses what cannot be a mailbox here:
 * empty names and levels, `.` and `..` levels, wildcards, control characters, U+FFFD (the mark
 * of text that was not valid UTF-8), names too long or too deep.
 */
export function checkMailboxName(name: string, options: MailboxNameOptions = {}): MailboxNameResult {
  let candidate = name;
  if (options.allowTrailingDelimiter && candidate.length > 1 && candidate.endsWith(HIERARCHY_DELIMITER)) {
    candidate = candidate.slice(0, -1);
  }
  if (candidate === '') return { error: 'Mailbox name is empty' };
  if (!candidate.isWellFormed() || candidate.includes('\uFFFD')) return { error: 'Mailbox name is not valid Unicode' };
  if (CONTROL.test(candidate)) return { error: 'Mailbox name contains a control character' };
  if (candidate.includes('%') || candidate.includes('*')) return { error: 'Mailbox name contains a wildcard (% or *)' };
  if (Buffer.byteLength(candidate, 'utf8') > MAX_MAILBOX_NAME_BYTES) {
    return { error: `Mailbox name is longer than ${MAX_MAILBOX_NAME_BYTES} bytes` };
  }
  if (candidate.startsWith(HIERARCHY_DELIMITER)) return { error: 'Mailbox name starts with the hierarchy delimiter' };
  if (candidate.endsWith(HIERARCHY_DELIMITER)) return { error: 'Mailbox name ends with the hierarchy delimiter' };
  const levels = candidate.split(HIERARCHY_DELIMITER);
  if (levels.length > MAX_MAILBOX_LEVELS) return { error: `Mailbox name has more than ${MAX_MAILBOX_LEVELS} levels` };
  for (const level of levels) {
    if (level === '') return { error: 'Mailbox name has an empty hierarchy level' };
    if (level === '.' || level === '..') return { error: `Mailbox name has a "${level}" level` };
  }
  return { name: normaliseInbox(candidate) };
}

/**
 * A mailbox name argument as the store's name: decoded (modified UTF-7 unless UTF-8 was
 * enabled), checked and INBOX-normalised. The error is text for a tagged NO.
 */
export function mailboxNameFromClient(
  raw: string | Buffer,
  utf8Enabled: boolean,
  options: MailboxNameOptions = {},
): MailboxNameResult {
  const text = clientTextToUtf8(raw, utf8Enabled);
  if (text === undefined) {
    return { error: utf8Enabled ? 'Mailbox name is not valid UTF-8' : 'Mailbox name is not valid modified UTF-7' };
  }
  return checkMailboxName(text, options);
}

/** A store name as the client must see it: modified UTF-7 unless UTF-8 was enabled. */
export function mailboxNameToClient(name: string, utf8Enabled: boolean): string {
  return utf8Enabled ? name : encodeMailboxName(name);
}

/** The names above `name` in the hierarchy, outermost first: `a/b/c` gives `a`, `a/b`. */
export function ancestorNames(name: string): string[] {
  const out: string[] = [];
  let at = name.indexOf(HIERARCHY_DELIMITER);
  while (at > 0) {
    out.push(name.slice(0, at));
    at = name.indexOf(HIERARCHY_DELIMITER, at + 1);
  }
  return out;
}

/** Whether `name` is `parent` or below it. */
export function isWithin(name: string, parent: string): boolean {
  return name === parent || (name.length > parent.length && name.startsWith(parent) && name[parent.length] === HIERARCHY_DELIMITER);
}
