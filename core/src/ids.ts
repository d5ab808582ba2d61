import { randomBytes } from 'node:crypto';

const PROCESS_TAG = randomBytes(4).readUInt32BE(0).toString(36).padStart(7, '0').slice(-6);
let counter = 0;

/**
 * A short id that sorts by creation time and is unique across processes and nodes: the time in
 * milliseconds, a random tag chosen per process, and a counter. Safe in file names and URLs.
 */
export function newId(): string {
  counter = (counter + 1) % 1679616; // 36^4
  return `${Date.now().toString(36).padStart(9, '0')}${PROCESS_TAG}${counter.toString(36).padStart(4, '0')}`;
}
