/**
 * Payloads of the four record types (framing in record.ts):
 *
 * - `message`: u32 LE length of a JSON part, the JSON part, then the message bytes exactly as
 *   received. JSON: `{"envelope":{...}}`, plus `"state":{...}` when the message was copied
 *   forward by compaction (its delivery state at that moment travels with it).
 * - `state`: JSON `{"id":"...","recipients":[...],"bouncedAt":"..."}`: the whole delivery state
 *   of one message after an attempt round (or an administrator's retry); the last one wins.
 * - `done`: JSON `{"id":"..."}` (plus `bouncedAt` for the record): every recipient is final
 *   and the bounce, if any, went out; the message is finished.
 * - `removed`: JSON `{"id":"..."}`: an administrator deleted the message.
 */
import type { Envelope } from '@posthorn/contracts';
import { allocRecord, CorruptRecordError, frame, HEADER_BYTES } from './record.ts';
import { checkState, type MessageState } from './state.ts';

export { CorruptRecordError } from './record.ts';

/** Ids name messages in logs, admin commands and bounce ids: no separators, no leading dot, bounded. */
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

export function isValidId(id: unknown): id is string {
  return typeof id === 'string' && ID_PATTERN.test(id) && !id.endsWith('.tmp');
}

export function encodeMessage(envelope: Envelope, message: Buffer, state?: MessageState): Buffer[] {
  const json = JSON.stringify(state ? { envelope, state } : { envelope });
  const jsonBytes = Buffer.byteLength(json);
  const head = allocRecord(4 + jsonBytes);
  head.writeUInt32LE(jsonBytes, HEADER_BYTES);
  head.write(json, HEADER_BYTES + 4, 'utf8');
  return frame('message', head, message);
}

export interface DecodedMessage {
  readonly envelope: Envelope;
  readonly state: MessageState | undefined;
  /** Where the message bytes start inside the payload. */
  readonly bodyOffset: number;
  readonly size: number;
}

export function decodeMessage(payload: Buffer): DecodedMessage {
  if (payload.length < 4) throw new CorruptRecordError('message record too short');
  const jsonBytes = payload.readUInt32LE(0);
  if (jsonBytes > payload.length - 4) throw new CorruptRecordError('message record JSON runs past its end');
  const value = parseObject(payload.toString('utf8', 4, 4 + jsonBytes));
  const problem = envelopeProblem(value.envelope);
  if (problem) throw new CorruptRecordError(`bad envelope: ${problem}`);
  const envelope = value.envelope as Envelope;
  const state = value.state === undefined ? undefined : checkState(value.state, envelope);
  return { envelope, state, bodyOffset: 4 + jsonBytes, size: payload.length - 4 - jsonBytes };
}

export function encodeState(id: string, state: MessageState): Buffer[] {
  return encodeJson('state', { id, ...state });
}

/** The id a state record is about; its recipients are checked against the envelope later. */
export function decodeState(payload: Buffer): { id: string; value: unknown } {
  const value = parseObject(payload.toString('utf8'));
  if (!isValidId(value.id)) throw new CorruptRecordError('state record without a valid id');
  return { id: value.id, value };
}

export function encodeEnd(type: 'done' | 'removed', id: string, bouncedAt?: string): Buffer[] {
  return encodeJson(type, bouncedAt ? { id, bouncedAt } : { id });
}

export function decodeEnd(payload: Buffer): string {
  const value = parseObject(payload.toString('utf8'));
  if (!isValidId(value.id)) throw new CorruptRecordError('record without a valid id');
  return value.id;
}

function encodeJson(type: 'state' | 'done' | 'removed', value: unknown): Buffer[] {
  const json = JSON.stringify(value);
  const head = allocRecord(Buffer.byteLength(json));
  head.write(json, HEADER_BYTES, 'utf8');
  return frame(type, head);
}

function parseObject(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CorruptRecordError('bad JSON');
  }
  if (!isObject(value)) throw new CorruptRecordError('JSON is not an object');
  return value;
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
