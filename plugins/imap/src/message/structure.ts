/**
 * The MIME tree of a message with byte offsets into the raw bytes, the one parse that
 * ENVELOPE, BODYSTRUCTURE, BODY[section] and BINARY[section] all work from. It never throws:
 * broken mail gets the RFC 2045 defaults, and nesting depth and part count are bounded.
 */

import { parseHeaderBlock, type HeaderField } from './header-block.ts';
import { parseMimeValue, type MimeParam } from './params.ts';

export type { HeaderField } from './header-block.ts';
export type { MimeParam } from './params.ts';

export interface ContentDisposition {
  /** The disposition type in lower case (`inline`, `attachment`, ...). */
  readonly type: string;
  readonly params: readonly MimeParam[];
}

export interface MimePart {
  /** Offset of the first header byte (for an encapsulated message, the start of its body region). */
  readonly headerStart: number;
  /** Offset just past the last header field: the blank line, or the first non-header line, starts here. */
  readonly headerEnd: number;
  /** Offset of the body: after the blank line; equal to headerEnd when there is no blank line. */
  readonly bodyStart: number;
  /** Offset just past the body (for a multipart child, before the CRLF that precedes the next boundary). */
  readonly bodyEnd: number;
  readonly headers: readonly HeaderField[];
  /**
   * The effective media type in lower case, with RFC 2045 defaults applied (text/* gets
   * charset=us-ascii when it names none): text/plain when
   * Content-Type is absent or unusable (message/rfc822 inside multipart/digest), text/plain for a
   * multipart without a usable boundary, application/octet-stream for a message/rfc822 that
   * cannot be opened (transfer-encoded, or nested too deep).
   */
  readonly type: string;
  readonly subtype: string;
  readonly params: readonly MimeParam[];
  /** Content-ID, unfolded, or null. */
  readonly id: string | null;
  /** Content-Description, unfolded and not decoded, or null. */
  readonly description: string | null;
  /** Content-Transfer-Encoding in lower case; `7bit` when absent. */
  readonly encoding: string;
  readonly disposition: ContentDisposition | null;
  /** Content-Language tags, or null when the field is absent or empty. */
  readonly language: readonly string[] | null;
  readonly location: string | null;
  readonly md5: string | null;
  /** Body size in bytes. */
  readonly size: number;
  /** Body size in lines (LF count), for text/* and message/rfc822|global; 0 for other types. */
  readonly lines: number;
  /** The parts of a multipart, in order; empty for everything else. */
  readonly children: readonly MimePart[];
  /** The encapsulated message of a message/rfc822 or message/global part, else null. */
  readonly message: MimePart | null;
}

/** Deeper nesting is not opened: the part is reported as a leaf. */
export const MAX_DEPTH = 20;
/** Parts beyond this many in one message are not split further. */
export const MAX_PARTS = 5000;

interface ParseState {
  readonly raw: Buffer;
  parts: number;
}

/** Parses a whole message. */
export function parseStructure(raw: Buffer): MimePart {
  return parsePart({ raw, parts: 0 }, 0, raw.length, 0, false);
}

/** Looks up a parameter value by name (case-insensitive). */
export function paramValue(params: readonly MimeParam[], name: string): string | undefined {
  const lower = name.toLowerCase();
  return params.find((p) => p.name === lower)?.value;
}

function parsePart(state: ParseState, start: number, end: number, depth: number, inDigest: boolean): MimePart {
  state.parts++;
  const { raw } = state;
  const block = parseHeaderBlock(raw, start, end);
  const headers = block.fields;
  const first = (name: string): HeaderField | undefined => headers.find((f) => f.name.toLowerCase() === name);

  let type = inDigest ? 'message' : 'text';
  let subtype = inDigest ? 'rfc822' : 'plain';
  let params: readonly MimeParam[] = inDigest ? [] : [{ name: 'charset', value: 'us-ascii' }];
  const contentType = first('content-type');
  if (contentType) {
    const parsed = parseMimeValue(contentType.value);
    const match = /^([^/\s]+)\/([^/\s]+)$/.exec(parsed.value);
    if (match) {
      type = match[1]!.toLowerCase();
      subtype = match[2]!.toLowerCase();
      params = parsed.params;
    }
  }

  const encodingField = first('content-transfer-encoding');
  const encoding = (encodingField ? parseMimeValue(encodingField.value).value.toLowerCase() : '') || '7bit';
  const dispositionField = first('content-disposition');
  let disposition: ContentDisposition | null = null;
  if (dispositionField) {
    const parsed = parseMimeValue(dispositionField.value);
    if (parsed.value) disposition = { type: parsed.value.toLowerCase(), params: parsed.params };
  }

  const bodyStart = block.bodyStart;
  const bodyEnd = Math.max(end, bodyStart);
  let children: MimePart[] = [];
  let message: MimePart | null = null;
  const canDescend = depth < MAX_DEPTH && state.parts < MAX_PARTS;

  if (type === 'multipart') {
    const boundary = paramValue(params, 'boundary');
    if (boundary && canDescend) {
      children = parseMultipart(state, bodyStart, bodyEnd, boundary, depth + 1, subtype === 'digest');
    }
    if (children.length === 0) {
      type = 'text';
      subtype = 'plain';
      params = [{ name: 'charset', value: 'us-ascii' }];
    }
  } else if (type === 'message' && (subtype === 'rfc822' || subtype === 'global')) {
    // RFC 2046 allows only identity encodings here; an encoded message cannot be opened in place.
    if (canDescend && isIdentityEncoding(encoding)) {
      message = parsePart(state, bodyStart, bodyEnd, depth + 1, false);
    } else {
      type = 'application';
      subtype = 'octet-stream';
    }
  }

  // RFC 2045 5.2: text without a charset parameter is us-ascii; saying so spares clients the rule.
  if (type === 'text' && paramValue(params, 'charset') === undefined) {
    params = [{ name: 'charset', value: 'us-ascii' }, ...params];
  }

  const countLines = type === 'text' || message !== null;
  return {
    headerStart: start,
    headerEnd: block.headerEnd,
    bodyStart,
    bodyEnd,
    headers,
    type,
    subtype,
    params,
    id: first('content-id')?.value ?? null,
    description: first('content-description')?.value ?? null,
    encoding,
    disposition,
    language: parseLanguage(first('content-language')?.value),
    location: first('content-location')?.value ?? null,
    md5: first('content-md5')?.value ?? null,
    size: bodyEnd - bodyStart,
    lines: countLines ? countLf(raw, bodyStart, bodyEnd) : 0,
    children,
    message,
  };
}

export function isIdentityEncoding(encoding: string): boolean {
  return encoding === '7bit' || encoding === '8bit' || encoding === 'binary';
}

/**
 * Splits a multipart body at its boundary lines (RFC 2046 5.1.1). The line break before a
 * boundary belongs to the boundary. A boundary line is `--boundary` at the start of a line
 * followed by `--`, blanks or the line end, so a longer boundary that merely starts with
 * this one (a nested part's) does not match. Without a close delimiter the last part runs
 * to the end; preamble and epilogue are dropped.
 */
function parseMultipart(
  state: ParseState,
  start: number,
  end: number,
  boundary: string,
  depth: number,
  digest: boolean,
): MimePart[] {
  const { raw } = state;
  const delimiter = Buffer.from(`--${boundary}`, 'utf8');
  const children: MimePart[] = [];
  let partStart = -1;
  let pos = start;
  while (pos < end) {
    const found = raw.indexOf(delimiter, pos);
    if (found === -1 || found + delimiter.length > end) break;
    pos = found + 1;
    if (found !== start && raw[found - 1] !== 0x0a) continue;
    const after = found + delimiter.length;
    const close = after + 1 < end && raw[after] === 0x2d && raw[after + 1] === 0x2d;
    if (!close && after < end && !isBlankOrEol(raw[after]!)) continue;

    if (partStart !== -1) {
      let partEnd = found;
      if (partEnd > start && raw[partEnd - 1] === 0x0a) partEnd--;
      if (partEnd > start && raw[partEnd - 1] === 0x0d) partEnd--;
      children.push(parsePart(state, partStart, Math.max(partEnd, partStart), depth, digest));
      if (state.parts >= MAX_PARTS) return children;
    }
    if (close) return children;
    const lf = raw.indexOf(0x0a, after);
    partStart = lf === -1 || lf >= end ? end : lf + 1;
    pos = partStart;
  }
  if (partStart !== -1) children.push(parsePart(state, partStart, end, depth, digest));
  return children;
}

function isBlankOrEol(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0d || byte === 0x0a;
}

function countLf(raw: Buffer, start: number, end: number): number {
  let lines = 0;
  let pos = raw.indexOf(0x0a, start);
  while (pos !== -1 && pos < end) {
    lines++;
    pos = raw.indexOf(0x0a, pos + 1);
  }
  return lines;
}

function parseLanguage(value: string | undefined): string[] | null {
  if (value === undefined) return null;
  const tags = value
    .replace(/\([^)]*\)/g, ' ')
    .split(',')
    .map((tag) => tag.trim())
    .filter((tag) => tag.length > 0);
  return tags.length > 0 ? tags : null;
}
