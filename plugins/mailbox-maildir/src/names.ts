import { MailStoreError } from './errors.ts';

/**
 * Mailbox names and account names as directory names. Mailbox names use `/` as hierarchy
 * delimiter; on disk, Maildir++ keeps INBOX in the account root and every other mailbox in a
 * folder `.<segment>.<segment>` beside it. Each segment is encoded so that it can contain no
 * `.` (the Maildir++ delimiter), `/` or `%`, which makes the mapping one-to-one (two names
 * never share a folder) and keeps every folder a plain child of the account root.
 */

export const INBOX = 'INBOX';

/** Kept as they are in folder names; everything else becomes %XX per UTF-8 byte. */
const SAFE = /[A-Za-z0-9 _\-+=,@!#$&'()~;\[\]{}^`|]/;

const MAX_NAME_LENGTH = 1024;
/** NAME_MAX of common file systems. */
const MAX_FOLDER_BYTES = 255;

function encodeSegment(segment: string, keepDots: boolean): string {
  let out = '';
  for (const char of segment) {
    if (SAFE.test(char) || (keepDots && char === '.')) {
      out += char;
    } else {
      for (const byte of Buffer.from(char, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    }
  }
  return out;
}

function decodeSegment(encoded: string): string | undefined {
  if (!/^(?:[^%]|%[0-9A-F]{2})+$/.test(encoded)) return undefined;
  const bytes: number[] = [];
  for (let i = 0; i < encoded.length; ) {
    if (encoded[i] === '%') {
      bytes.push(parseInt(encoded.slice(i + 1, i + 3), 16));
      i += 3;
    } else {
      const code = encoded.codePointAt(i)!;
      const char = String.fromCodePoint(code);
      bytes.push(...Buffer.from(char, 'utf8'));
      i += char.length;
    }
  }
  let decoded: string;
  try {
    decoded = new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes));
  } catch {
    return undefined;
  }
  // Only the canonical encoding counts, so that one folder can only ever mean one name.
  return encodeSegment(decoded, false) === encoded ? decoded : undefined;
}

/**
 * Checks and normalises a mailbox name: INBOX in any case is INBOX (RFC 9051 5.1), also as the
 * first level of a hierarchy. Returns the reason for a name that cannot be a mailbox.
 */
export function normaliseMailboxName(name: unknown): { ok: true; name: string } | { ok: false; reason: string } {
  if (typeof name !== 'string' || name === '') return { ok: false, reason: 'empty mailbox name' };
  if (name.length > MAX_NAME_LENGTH) return { ok: false, reason: 'mailbox name too long' };
  if (/[\x00-\x1f\x7f]/.test(name)) return { ok: false, reason: 'control character in mailbox name' };
  const segments = name.split('/');
  for (const segment of segments) {
    if (segment === '') return { ok: false, reason: 'empty hierarchy level in mailbox name' };
    if (segment === '.' || segment === '..') return { ok: false, reason: `"${segment}" in mailbox name` };
  }
  if (segments[0]!.toUpperCase() === INBOX) segments[0] = INBOX;
  const normalised = segments.join('/');
  if (normalised !== INBOX && Buffer.byteLength(folderOf(normalised)) > MAX_FOLDER_BYTES) return { ok: false, reason: 'mailbox name too long' };
  return { ok: true, name: normalised };
}

/** The mailbox name, or a CANNOT error (for names about to be created). */
export function mailboxNameOrThrow(name: unknown): string {
  const checked = normaliseMailboxName(name);
  if (!checked.ok) throw new MailStoreError('CANNOT', checked.reason);
  return checked.name;
}

/** The folder of a (normalised) mailbox relative to the account root: '' for INBOX. */
export function folderOf(name: string): string {
  if (name === INBOX) return '';
  return '.' + name.split('/').map((segment) => encodeSegment(segment, false)).join('.');
}

/** The mailbox a folder name stands for, or undefined when it is not one of ours. */
export function nameOfFolder(folder: string): string | undefined {
  if (!folder.startsWith('.') || folder === '.' || folder === '..') return undefined;
  const segments = folder.slice(1).split('.').map(decodeSegment);
  if (segments.some((segment) => segment === undefined)) return undefined;
  const checked = normaliseMailboxName(segments.join('/'));
  return checked.ok && folderOf(checked.name) === folder ? checked.name : undefined;
}

/** Whether `name` is `parent` or below it. */
export function isWithin(name: string, parent: string): boolean {
  return name === parent || name.startsWith(parent + '/');
}

/**
 * The directory of an account below the mail root: `<domain>/<local part>`, each encoded so
 * that no account id can point outside the root or at another account's directory.
 */
export function accountPath(user: string): { key: string; domain: string; local: string } {
  const at = user.lastIndexOf('@');
  const local = at > 0 ? user.slice(0, at) : '';
  const domain = at > 0 ? user.slice(at + 1).toLowerCase() : '';
  if (!local || !domain || /[\x00-\x1f\x7f]/.test(user)) throw new MailStoreError('NONEXISTENT', `not an account name: ${JSON.stringify(user)}`);
  const component = (part: string) => {
    // Dots stay readable (example.org), but a component may not start with one (., .., hidden).
    const encoded = encodeSegment(part, true);
    return encoded.startsWith('.') ? '%2E' + encoded.slice(1) : encoded;
  };
  return { key: `${local}@${domain}`, domain: component(domain), local: component(local) };
}
