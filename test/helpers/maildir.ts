/** Reading an account's Maildir as another mail program would: the files, not the index. */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { waitFor } from './wait.ts';

export interface StoredMessage {
  readonly file: string;
  readonly bytes: Buffer;
}

/** Every message file of the INBOX (`new/` and `cur/`; `tmp/` holds unfinished writes). */
export async function readInbox(maildir: string): Promise<StoredMessage[]> {
  const messages: StoredMessage[] = [];
  for (const sub of ['new', 'cur']) {
    const names = await readdir(join(maildir, sub)).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [] as string[];
      throw err;
    });
    for (const name of names.sort()) {
      const file = join(maildir, sub, name);
      // A file can move from new/ to cur/ between listing and reading; only ENOENT is tolerated.
      const bytes = await readFile(file).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? undefined : Promise.reject(err)));
      if (bytes) messages.push({ file, bytes });
    }
  }
  return messages;
}

/** Waits until the INBOX holds a message whose bytes contain `token`, and returns all such. */
export function waitForToken(maildir: string, token: string, timeoutMs?: number): Promise<StoredMessage[]> {
  return waitFor(
    async () => {
      const found = (await readInbox(maildir)).filter((m) => m.bytes.includes(token));
      return found.length ? found : undefined;
    },
    `a message with ${token} in ${maildir}`,
    timeoutMs,
  );
}

/**
 * Splits a stored message into the trace fields this server put on top and the rest: the
 * leading `Received:` field with its folded continuation lines. Returns undefined when the
 * message does not start with one.
 */
export function splitReceived(stored: Buffer): { received: string; rest: Buffer } | undefined {
  const text = stored.toString('latin1');
  if (!text.startsWith('Received: ')) return undefined;
  let end = 0;
  for (;;) {
    const crlf = text.indexOf('\r\n', end);
    if (crlf === -1) return undefined;
    end = crlf + 2;
    if (text[end] !== ' ' && text[end] !== '\t') break;
  }
  return { received: text.slice(0, end), rest: stored.subarray(end) };
}
