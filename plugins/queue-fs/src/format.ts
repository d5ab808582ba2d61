/**
 * The `.msg` file: everything the queue must not lose about one message, in one file that is
 * written once and never changed.
 *
 *   posthorn-queue 1\n                                 magic and format version
 *   {"size":1234,"crc32":305419896,"envelope":{...}}\n  header: one line of compact JSON
 *   <message bytes>                                      exactly `size` bytes, CRLF as received
 *
 * JSON never contains a raw newline, so the header ends at the first `\n` after the magic.
 * `crc32` is zlib's CRC-32 of the message bytes. A torn write shows up as a header that does
 * not parse or a body shorter than `size`; a damaged body as a checksum mismatch.
 */
import { crc32 } from 'node:zlib';
import type { Envelope } from '@posthorn/contracts';

export const MAGIC = 'posthorn-queue 1\n';
const MAGIC_BYTES = Buffer.from(MAGIC, 'latin1');
/** An envelope with thousands of recipients and notes stays far below this. */
export const MAX_HEADER_BYTES = 4 * 1024 * 1024;

/** Queue ids become file names: no separators, no leading dot, bounded length. */
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

export function isValidId(id: unknown): id is string {
  return typeof id === 'string' && ID_PATTERN.test(id) && !id.endsWith('.tmp');
}

/** Why a stored file cannot be used; `reason` goes to the log. */
export class CorruptFileError extends Error {
  readonly reason: string;
  constructor(reason: string) {
    super(`corrupt queue file: ${reason}`);
    this.name = 'CorruptFileError';
    this.reason = reason;
  }
}

export interface MessageHeader {
  readonly envelope: Envelope;
  readonly size: number;
  readonly crc32: number;
}

/** The bytes that go before the message: magic and header line. */
export function encodeHeader(envelope: Envelope, message: Buffer): Buffer {
  const header = JSON.stringify({ size: message.length, crc32: crc32(message), envelope });
  return Buffer.from(`${MAGIC}${header}\n`, 'utf8');
}

/**
 * Parses magic and header from the start of a file. Returns the header and the offset where
 * the message starts, or `undefined` when `head` ends before the header does (read more).
 */
export function decodeHeader(head: Buffer, expectedId: string): { header: MessageHeader; bodyOffset: number } | undefined {
  if (head.length < MAGIC_BYTES.length) {
    if (MAGIC_BYTES.subarray(0, head.length).equals(head)) return undefined;
    throw new CorruptFileError('bad magic');
  }
  if (!head.subarray(0, MAGIC_BYTES.length).equals(MAGIC_BYTES)) throw new CorruptFileError('bad magic');
  const end = head.indexOf(0x0a, MAGIC_BYTES.length);
  if (end === -1) {
    if (head.length - MAGIC_BYTES.length > MAX_HEADER_BYTES) throw new CorruptFileError('header too long');
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(head.toString('utf8', MAGIC_BYTES.length, end));
  } catch {
    throw new CorruptFileError('bad header JSON');
  }
  return { header: checkHeader(parsed, expectedId), bodyOffset: end + 1 };
}

/** Parses and verifies a whole `.msg` file. */
export function decodeMessageFile(file: Buffer, expectedId: string): { header: MessageHeader; message: Buffer } {
  const decoded = decodeHeader(file, expectedId);
  if (!decoded) throw new CorruptFileError('truncated header');
  const message = file.subarray(decoded.bodyOffset);
  if (message.length !== decoded.header.size) {
    throw new CorruptFileError(`length mismatch: header says ${decoded.header.size} bytes, file has ${message.length}`);
  }
  if (crc32(message) !== decoded.header.crc32) throw new CorruptFileError('checksum mismatch');
  return { header: decoded.header, message };
}

function checkHeader(value: unknown, expectedId: string): MessageHeader {
  const header = value as Partial<MessageHeader> | null;
  if (typeof header !== 'object' || header === null) throw new CorruptFileError('header is not an object');
  if (!Number.isSafeInteger(header.size) || (header.size as number) < 0) throw new CorruptFileError('bad size in header');
  if (!Number.isSafeInteger(header.crc32)) throw new CorruptFileError('bad checksum in header');
  const problem = envelopeProblem(header.envelope);
  if (problem) throw new CorruptFileError(`bad envelope: ${problem}`);
  if (header.envelope!.id !== expectedId) throw new CorruptFileError(`envelope id ${JSON.stringify(header.envelope!.id)} does not match the file name`);
  return header as MessageHeader;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What is wrong with an envelope, or undefined when it has the shape the queue relies on. */
export function envelopeProblem(value: unknown): string | undefined {
  if (!isObject(value)) return 'not an object';
  if (!isValidId(value.id)) return 'bad id';
  if (typeof value.mailFrom !== 'string') return 'bad mailFrom';
  if (!isObject(value.mailFromParams)) return 'bad mailFromParams';
  if (!Array.isArray(value.recipients) || value.recipients.length === 0) return 'no recipients';
  for (const rcpt of value.recipients) {
    if (!isObject(rcpt) || typeof rcpt.address !== 'string' || !isObject(rcpt.params)) return 'bad recipient';
  }
  if (typeof value.receivedAt !== 'string') return 'bad receivedAt';
  if (!isObject(value.origin)) return 'bad origin';
  if (!isObject(value.notes)) return 'bad notes';
  return undefined;
}
