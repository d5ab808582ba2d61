import { argon2Sync, randomBytes } from 'node:crypto';

// What the mail-reading benches (bench:pop3, bench:imap) put into both servers: accounts,
// password hashes and message bodies, the same bytes for Posthorn and Dovecot.

export const DOMAIN = 'bench.test';
export const PASSWORD = 'bench password 1';

/** Argon2id costs: both servers verify the very same PHC strings. */
export const HASHES = {
  // The cheapest Argon2id both accept (8 KiB, one pass): the login rate measures the servers,
  // not the hash.
  cheap: { memory: 8, passes: 1, label: 'Argon2id m=8 KiB, t=1' },
  // OWASP's minimum recommendation for Argon2id: what a careful operator configures.
  owasp: { memory: 19456, passes: 2, label: 'Argon2id m=19 MiB, t=2 (OWASP minimum)' },
} as const;
export type HashKind = keyof typeof HASHES;

/** Accounts that share one purpose (and one set of messages) in the bench. */
export interface AccountGroup {
  readonly name: string;
  readonly users: readonly string[];
  readonly hash: HashKind;
  /** The messages every account of the group holds, in this order (UID 1 is the first). */
  readonly messages: readonly Buffer[];
  /** Body size, for the report. */
  readonly bytes: number;
}

/** A PHC string `$argon2id$v=19$m=..,t=..,p=1$salt$hash`, as accounts-file and Dovecot's ARGON2ID read it. */
export function argon2idPhc(password: string, kind: HashKind): string {
  const { memory, passes } = HASHES[kind];
  const nonce = randomBytes(16);
  const tag = argon2Sync('argon2id', { message: password, nonce, parallelism: 1, tagLength: 32, memory, passes });
  const b64 = (buffer: Buffer) => buffer.toString('base64').replace(/=+$/, '');
  return `$argon2id$v=19$m=${memory},t=${passes},p=1$${b64(nonce)}$${b64(tag)}`;
}

/**
 * A message of about `bytes` bytes: a plain header and lines of 76 characters, every tenth of
 * which starts with a dot (so POP3 servers do their dot-stuffing), CRLF throughout.
 */
export function message(bytes: number, index: number): Buffer {
  const head = `From: Sender <sender@example.org>\r\nTo: <someone@${DOMAIN}>\r\nSubject: bench message ${index}\r\nMessage-ID: <${index}.${bytes}@example.org>\r\nDate: Sun, 29 Nov 2026 06:00:00 +0000\r\n\r\n`;
  const lines: string[] = [];
  let size = head.length;
  for (let i = 0; size < bytes; i++) {
    const line = `${i % 10 === 0 ? '.' : ''}line ${i} of message ${index}: `.padEnd(76, 'abcdefghijklmnopqrstuvwxyz');
    lines.push(line);
    size += line.length + 2;
  }
  return Buffer.from(`${head}${lines.join('\r\n')}\r\n`, 'latin1');
}

