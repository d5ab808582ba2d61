/**
 * Splits the header block of a message or MIME part into fields, keeping byte offsets so
 * that FETCH can hand back exact header lines (HEADER.FIELDS) without re-serialising.
 */

/** One header field as it appears in the message. */
export interface HeaderField {
  /** The field name as written (without the colon or any whitespace before it). */
  readonly name: string;
  /** Everything after the colon up to the field's final line end, folding kept. */
  readonly raw: string;
  /** The value unfolded (line breaks removed) and trimmed of surrounding blanks. */
  readonly value: string;
  /** Offset of the field's first byte (the name). */
  readonly start: number;
  /** Offset just past the field's last line end (or the end of the block if it has none). */
  readonly end: number;
}

export interface HeaderBlock {
  readonly fields: readonly HeaderField[];
  /** Where the header fields end: the start of the blank line, or of the first non-header line. */
  readonly headerEnd: number;
  /** Where the body starts: after the blank line; equal to headerEnd when there is none. */
  readonly bodyStart: number;
}

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const TAB = 0x09;
const COLON = 0x3a;

/**
 * Parses the header fields in raw[start, limit). The header ends at the first blank line
 * (CRLF or bare LF) or, as Postfix does for broken mail, at the first line that is neither a
 * field nor a continuation: that line then starts the body, so junk is not swallowed into the
 * header and real header fields before it survive.
 */
export function parseHeaderBlock(raw: Buffer, start: number, limit: number): HeaderBlock {
  const fields: HeaderField[] = [];
  let open: { start: number; nameEnd: number; valueStart: number; end: number } | undefined;
  const close = (): void => {
    if (!open) return;
    fields.push(makeField(raw, open.start, open.nameEnd, open.valueStart, open.end));
    open = undefined;
  };

  let pos = start;
  while (pos < limit) {
    const lf = raw.indexOf(LF, pos);
    const hasLf = lf !== -1 && lf < limit;
    const next = hasLf ? lf + 1 : limit;
    let contentEnd = hasLf ? lf : limit;
    if (hasLf && contentEnd > pos && raw[contentEnd - 1] === CR) contentEnd--;

    if (hasLf && contentEnd === pos) {
      close();
      return { fields, headerEnd: pos, bodyStart: next };
    }
    const first = raw[pos];
    if ((first === SP || first === TAB) && open) {
      open.end = next;
    } else {
      const nameEnd = fieldNameEnd(raw, pos, contentEnd);
      if (nameEnd === -1) {
        close();
        return { fields, headerEnd: pos, bodyStart: pos };
      }
      close();
      open = { start: pos, nameEnd, valueStart: raw.indexOf(COLON, nameEnd) + 1, end: next };
    }
    pos = next;
  }
  close();
  return { fields, headerEnd: limit, bodyStart: limit };
}

/**
 * The end of a valid field name on the line raw[pos, end), or -1 when the line is not a
 * header field. Names are printable ASCII without colon; blanks before the colon are allowed
 * (RFC 5322 obsolete syntax).
 */
function fieldNameEnd(raw: Buffer, pos: number, end: number): number {
  let i = pos;
  while (i < end) {
    const c = raw[i]!;
    if (c === COLON || c === SP || c === TAB) break;
    if (c < 33 || c > 126) return -1;
    i++;
  }
  if (i === pos) return -1;
  const nameEnd = i;
  while (i < end && (raw[i] === SP || raw[i] === TAB)) i++;
  return i < end && raw[i] === COLON ? nameEnd : -1;
}

function makeField(raw: Buffer, start: number, nameEnd: number, valueStart: number, end: number): HeaderField {
  let valueEnd = end;
  if (valueEnd > valueStart && raw[valueEnd - 1] === LF) valueEnd--;
  if (valueEnd > valueStart && raw[valueEnd - 1] === CR) valueEnd--;
  const rawValue = raw.toString('utf8', valueStart, valueEnd);
  return {
    name: raw.toString('latin1', start, nameEnd),
    raw: rawValue,
    value: unfold(rawValue),
    start,
    end,
  };
}

/** RFC 5322 unfolding: drop the line breaks, keep the blanks that follow them, then trim. */
export function unfold(text: string): string {
  return text.replace(/\r?\n/g, '').replace(/^[ \t]+|[ \t]+$/g, '');
}
