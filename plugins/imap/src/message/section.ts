/**
 * FETCH body sections (RFC 9051 6.4.5): parsing the text between `[` and `]`, finding the
 * bytes it names, and applying a `<origin.count>` partial range.
 */

import type { MimePart } from './structure.ts';

export type SectionText = 'HEADER' | 'HEADER.FIELDS' | 'HEADER.FIELDS.NOT' | 'TEXT' | 'MIME';

export interface SectionSpec {
  /** Part numbers (`1.2` is [1, 2]); empty for the whole message. */
  readonly part: readonly number[];
  /** What of the part is wanted; null for the part's body (or the whole message when part is empty). */
  readonly text: SectionText | null;
  /** Field names for HEADER.FIELDS and HEADER.FIELDS.NOT, as the client wrote them. */
  readonly fields: readonly string[];
}

const MAX_PART_NUMBER = 0xffffffff;
/** Deeper part paths cannot exist (the parser opens no more levels), so longer ones are refused. */
const MAX_PART_PATH = 64;

/** Parses a section-spec; `binary` allows only part numbers (section-binary of RFC 3516). */
export function parseSection(text: string, binary = false): SectionSpec | { readonly error: string } {
  const part: number[] = [];
  let rest = text;
  const numbers = /^[0-9]+(?:\.[0-9]+)*/.exec(rest);
  if (numbers) {
    for (const piece of numbers[0].split('.')) {
      if (/^0/.test(piece) || Number(piece) > MAX_PART_NUMBER) return { error: `Invalid part number in section: ${piece}` };
      part.push(Number(piece));
    }
    if (part.length > MAX_PART_PATH) return { error: 'Section part path too long' };
    rest = rest.slice(numbers[0].length);
    if (rest === '') return { part, text: null, fields: [] };
    if (!rest.startsWith('.')) return { error: 'Invalid section' };
    rest = rest.slice(1);
  } else if (rest === '') {
    return { part, text: null, fields: [] };
  }
  if (binary) return { error: 'BINARY sections take part numbers only' };

  const keyword = /^[A-Za-z.]+/.exec(rest)?.[0].toUpperCase() ?? '';
  rest = rest.slice(keyword.length);
  switch (keyword) {
    case 'HEADER':
    case 'TEXT':
      return rest === '' ? { part, text: keyword, fields: [] } : { error: 'Invalid section' };
    case 'MIME':
      if (part.length === 0) return { error: 'MIME needs a part number' };
      return rest === '' ? { part, text: keyword, fields: [] } : { error: 'Invalid section' };
    case 'HEADER.FIELDS':
    case 'HEADER.FIELDS.NOT': {
      const fields = parseHeaderList(rest);
      if (!fields) return { error: `Invalid header list in ${keyword}` };
      return { part, text: keyword, fields };
    }
    default:
      return { error: 'Invalid section' };
  }
}

/** ` (name name ...)`: one blank, then a non-empty list of atoms or quoted strings. */
function parseHeaderList(text: string): string[] | undefined {
  const match = /^ \((.*)\)$/s.exec(text);
  if (!match) return undefined;
  const body = match[1]!;
  const fields: string[] = [];
  let i = 0;
  while (i < body.length) {
    if (body[i] === ' ') {
      i++;
      continue;
    }
    let name = '';
    if (body[i] === '"') {
      i++;
      while (i < body.length && body[i] !== '"') {
        if (body[i] === '\\') i++;
        name += body[i] ?? '';
        i++;
      }
      if (i >= body.length) return undefined;
      i++;
    } else {
      while (i < body.length && body[i] !== ' ') {
        if ('()"{'.includes(body[i]!) || body.charCodeAt(i) < 0x21 || body.charCodeAt(i) > 0x7e) return undefined;
        name += body[i];
        i++;
      }
    }
    if (name === '' || name.includes(':')) return undefined;
    fields.push(name);
  }
  return fields.length > 0 ? fields : undefined;
}

/** The section as the FETCH response names it: keywords upper case, field names as requested. */
export function formatSection(spec: SectionSpec): string {
  const pieces: string[] = [];
  if (spec.part.length > 0) pieces.push(spec.part.join('.'));
  if (spec.text) {
    let text: string = spec.text;
    if (spec.text === 'HEADER.FIELDS' || spec.text === 'HEADER.FIELDS.NOT') {
      text += ` (${spec.fields.map(formatFieldName).join(' ')})`;
    }
    pieces.push(text);
  }
  return pieces.join('.');
}

function formatFieldName(name: string): string {
  return /^[^(){ %*"\\\]\x00-\x20\x7f-\uffff]+$/.test(name) ? name : `"${name.replace(/[\\"]/g, '\\$&')}"`;
}

/**
 * Finds the part a part path names. Numbers walk into multipart children; a step past a
 * message/rfc822 part walks into its encapsulated message first; a message that is not
 * multipart has a part 1, its own body (but a leaf part has no part 1).
 */
export function resolvePart(root: MimePart, path: readonly number[]): MimePart | undefined {
  let current = root;
  let isMessage = true;
  for (const n of path) {
    if (!isMessage && current.message) {
      current = current.message;
      isMessage = true;
    }
    if (current.children.length > 0) {
      const child = current.children[n - 1];
      if (!child) return undefined;
      current = child;
    } else if (!(isMessage && n === 1)) {
      return undefined;
    }
    isMessage = false;
  }
  return current;
}

const CRLF = Buffer.from('\r\n');
const EMPTY = Buffer.alloc(0);

/** The bytes a section names; an empty buffer when the part does not exist. */
export function extractSection(raw: Buffer, root: MimePart, spec: SectionSpec): Buffer {
  const part = resolvePart(root, spec.part);
  if (!part) return EMPTY;
  if (spec.text === null) {
    return spec.part.length === 0 ? raw : raw.subarray(part.bodyStart, part.bodyEnd);
  }
  if (spec.text === 'MIME') return raw.subarray(part.headerStart, part.bodyStart);

  // HEADER, HEADER.FIELDS[.NOT] and TEXT apply to a message: the root, or an encapsulated one.
  const message = spec.part.length === 0 ? root : part.message;
  if (!message) return EMPTY;
  switch (spec.text) {
    case 'HEADER':
      return raw.subarray(message.headerStart, message.bodyStart);
    case 'TEXT':
      return raw.subarray(message.bodyStart, message.bodyEnd);
    case 'HEADER.FIELDS':
    case 'HEADER.FIELDS.NOT':
      return headerFieldLines(raw, message, spec.fields, spec.text === 'HEADER.FIELDS.NOT');
  }
}

/** The matching (or, with `not`, non-matching) field lines in order, then the blank line. */
function headerFieldLines(raw: Buffer, message: MimePart, names: readonly string[], not: boolean): Buffer {
  const wanted = new Set(names.map((name) => name.toLowerCase()));
  const pieces: Buffer[] = [];
  for (const field of message.headers) {
    if (wanted.has(field.name.toLowerCase()) === not) continue;
    const bytes = raw.subarray(field.start, field.end);
    pieces.push(bytes);
    if (bytes[bytes.length - 1] !== 0x0a) pieces.push(CRLF);
  }
  pieces.push(CRLF);
  return Buffer.concat(pieces);
}

/**
 * A `<origin.count>` partial range: the bytes from origin, at most count of them (all when
 * count is undefined); empty when origin is past the end.
 */
export function applyPartial(buf: Buffer, origin: number, count?: number): Buffer {
  if (origin >= buf.length) return EMPTY;
  return buf.subarray(origin, count === undefined ? buf.length : Math.min(buf.length, origin + count));
}
