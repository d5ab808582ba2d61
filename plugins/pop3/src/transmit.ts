import type { MailboxSelector, MailStore, MessageMeta } from '@posthorn/contracts';
import type { Pop3Connection } from './connection.ts';
import { DotStuffer, TopCutter } from './dot-stuffing.ts';
import { Replies } from './replies.ts';

/** Bytes read from the store at a time: a message up to this size is read in one call. */
export const RETR_CHUNK = 1024 * 1024;
/** TOP usually needs the header and a few lines: a smaller first read. */
const TOP_CHUNK = 64 * 1024;

/** Why a transmission ended early, for the log. */
export type TransmitResult = 'sent' | 'refused' | 'aborted';

/**
 * Sends a message as the response to RETR (whole) or TOP (`topLines` set). The first part is
 * read before the status line, so a message that cannot be read gets a clean -ERR. A message
 * larger than one chunk is read and sent chunk by chunk, each write waiting for the client to
 * take the previous one, so a session holds at most one chunk whatever the message size. A
 * read that fails after the +OK cannot be reported in-band: the connection is dropped, and
 * the client sees an unterminated response instead of a truncated message it would keep.
 */
export async function transmit(
  connection: Pop3Connection,
  store: MailStore,
  box: MailboxSelector,
  message: MessageMeta,
  topLines?: number,
  /** The whole message, already being read (RETR's read-ahead). */
  readAhead?: Promise<Buffer>,
): Promise<{ readonly result: TransmitResult; readonly error?: Error }> {
  const chunkSize = topLines === undefined ? RETR_CHUNK : TOP_CHUNK;
  const whole = message.size <= chunkSize;
  let offset = 0;
  const read = async (): Promise<Buffer> => {
    const chunk = whole ? await store.readMessage(box, message.uid, { start: 0, end: message.size }) : await store.readMessage(box, message.uid, { start: offset, end: offset + chunkSize });
    offset += chunk.length;
    return chunk;
  };

  let chunk: Buffer;
  try {
    chunk = whole && readAhead ? await readAhead.catch(() => read()) : await read();
  } catch (err) {
    connection.send((err as { code?: string }).code === 'NONEXISTENT' ? Replies.messageGone : Replies.readFailed);
    return { result: 'refused', error: err as Error };
  }
  // The status line goes out in the same write as the first part: one segment for a small message.
  let out: Buffer[] = [Buffer.from(`${topLines === undefined ? Replies.message(message.size) : Replies.top}\r\n`, 'latin1')];
  const stuffer = new DotStuffer();
  const cutter = topLines === undefined ? undefined : new TopCutter(topLines);
  for (;;) {
    stuffer.push(cutter ? cutter.take(chunk) : chunk, out);
    // A short (or empty) read is the end of the file.
    const last = whole || chunk.length < chunkSize || cutter?.done === true;
    if (last) stuffer.end(out);
    connection.write(out);
    out = [];
    if (last) return { result: 'sent' };
    await connection.drained();
    if (connection.isClosed) return { result: 'aborted' };
    try {
      chunk = await read();
    } catch (err) {
      connection.destroy();
      return { result: 'aborted', error: err as Error };
    }
  }
}
