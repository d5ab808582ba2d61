/**
 * A deliberately small, strict reader of the notices, for the tests (mailparser is not
 * installed, and a strict reader catches more): splits header and body, unfolds fields, parses
 * Content-Type parameters, splits a multipart body at its boundary, decodes 7bit/8bit/QP, and
 * reads the field blocks of message/delivery-status.
 */
import assert from 'node:assert/strict';

export interface Field {
  readonly name: string;
  readonly value: string;
}

export interface Entity {
  readonly fields: readonly Field[];
  readonly body: Buffer;
}

export interface ContentType {
  readonly type: string;
  readonly params: Readonly<Record<string, string>>;
}

export interface ParsedReport {
  readonly top: Entity;
  readonly boundary: string;
  readonly parts: readonly Entity[];
  /** Blocks of the delivery-status part: the per-message one first. */
  readonly status: readonly Readonly<Record<string, string>>[];
  readonly text: string;
  /** The text with its line breaks and indentation collapsed to single spaces, for matching. */
  readonly prose: string;
  /** The third part, its transfer encoding undone. */
  readonly returned: Buffer;
}

/** Checks the rules every line of a message must keep: CRLF only, at most 998 octets. */
export function assertWireShape(message: Buffer): void {
  const text = message.toString('latin1');
  assert.ok(!/\r(?!\n)/.test(text), 'bare CR');
  assert.ok(!/(?<!\r)\n/.test(text), 'bare LF');
  for (const line of text.split('\r\n')) assert.ok(line.length <= 998, `line of ${line.length} octets`);
}

export function parseEntity(data: Buffer): Entity {
  const text = data.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  const headerText = end === -1 ? text : text.slice(0, end + 2);
  const body = end === -1 ? Buffer.alloc(0) : data.subarray(end + 4);
  const fields: Field[] = [];
  for (const line of headerText.split('\r\n').filter((l, i, all) => !(l === '' && i === all.length - 1))) {
    if (/^[ \t]/.test(line)) {
      assert.ok(fields.length, 'continuation line without a field');
      const last = fields.pop()!;
      fields.push({ name: last.name, value: `${last.value}${line}` });
      continue;
    }
    const colon = line.indexOf(':');
    assert.ok(colon > 0, `not a header field: ${JSON.stringify(line)}`);
    const name = line.slice(0, colon);
    assert.match(name, /^[\x21-\x39\x3b-\x7e]+$/, 'field name');
    fields.push({ name, value: line.slice(colon + 1).trim() });
  }
  return { fields, body };
}

export function fieldValues(entity: Entity, name: string): string[] {
  return entity.fields.filter((f) => f.name.toLowerCase() === name.toLowerCase()).map((f) => f.value);
}

export function fieldValue(entity: Entity, name: string): string | undefined {
  const values = fieldValues(entity, name);
  assert.ok(values.length <= 1, `${name} appears ${values.length} times`);
  return values[0];
}

export function parseContentType(value: string): ContentType {
  const match = /^\s*([A-Za-z0-9!#$&^_.+-]+\/[A-Za-z0-9!#$&^_.+-]+)\s*(.*)$/s.exec(value);
  assert.ok(match, `bad Content-Type: ${value}`);
  const params: Record<string, string> = {};
  let rest = match[2]!;
  while (rest.trim()) {
    const param = /^\s*;\s*([A-Za-z0-9!#$&^_.+-]+)=("((?:[^"\\]|\\.)*)"|[^\s;"]+)\s*/s.exec(rest);
    assert.ok(param, `bad Content-Type parameters: ${rest}`);
    params[param[1]!.toLowerCase()] = param[3] !== undefined ? param[3].replace(/\\(.)/g, '$1') : param[2]!;
    rest = rest.slice(param[0].length);
  }
  return { type: match[1]!.toLowerCase(), params };
}

/** Splits a multipart body (RFC 2046 5.1.1): delimiter lines at line starts, then the close delimiter. */
export function splitMultipart(body: Buffer, boundary: string): Entity[] {
  const text = body.toString('latin1');
  const delimiter = `--${boundary}`;
  const lines = text.split('\r\n');
  const parts: string[][] = [];
  let current: string[] | undefined;
  let closed = false;
  for (const line of lines) {
    if (closed) break;
    if (line === delimiter || line === `${delimiter}--`) {
      if (current) parts.push(current);
      current = [];
      if (line.endsWith('--')) closed = true;
      continue;
    }
    assert.ok(!line.includes(delimiter), 'boundary inside a part');
    current?.push(line);
  }
  assert.ok(closed, 'no close delimiter');
  // The CRLF before a delimiter belongs to the delimiter, so the last line split off is the part's end.
  return parts.map((part) => parseEntity(Buffer.from(part.join('\r\n'), 'latin1')));
}

export function decodeBody(entity: Entity): Buffer {
  const encoding = (fieldValue(entity, 'Content-Transfer-Encoding') ?? '7bit').toLowerCase();
  if (encoding === '7bit') {
    assert.ok(!entity.body.some((b) => b > 127), '8-bit byte in a 7bit part');
    return entity.body;
  }
  if (encoding === '8bit') return entity.body;
  assert.equal(encoding, 'quoted-printable');
  return decodeQuotedPrintable(entity.body.toString('latin1'));
}

export function decodeQuotedPrintable(text: string): Buffer {
  const out: number[] = [];
  const lines = text.split('\r\n');
  lines.forEach((line, index) => {
    assert.ok(line.length <= 76, `quoted-printable line of ${line.length} characters`);
    let soft = false;
    for (let i = 0; i < line.length; i++) {
      const char = line[i]!;
      if (char === '=') {
        if (i === line.length - 1) {
          soft = true;
          break;
        }
        const hex = line.slice(i + 1, i + 3);
        assert.match(hex, /^[0-9A-F]{2}$/, 'bad =XX');
        out.push(parseInt(hex, 16));
        i += 2;
      } else {
        assert.ok(char.charCodeAt(0) < 128 && char !== '\r' && char !== '\n', 'raw byte in quoted-printable');
        out.push(char.charCodeAt(0));
      }
    }
    if (!soft && index < lines.length - 1) out.push(0x0d, 0x0a);
  });
  return Buffer.from(out);
}

/** Blocks of fields separated by empty lines (RFC 3464 2.1); field names lower-cased. */
export function parseDeliveryStatus(body: Buffer): Record<string, string>[] {
  const text = body.toString('latin1');
  assert.ok(!/[^\x20-\x7e\r\n\t]/.test(text), 'the delivery-status part is 7-bit text');
  const blocks = text.split(/\r\n\r\n/).map((block) => block.replace(/\r\n$/, '')).filter((block) => block.trim());
  return blocks.map((block) => {
    const record: Record<string, string> = {};
    for (const field of parseEntity(Buffer.from(`${block}\r\n`, 'latin1')).fields) {
      const key = field.name.toLowerCase();
      assert.ok(!(key in record), `${field.name} twice in one block`);
      record[key] = field.value;
    }
    return record;
  });
}

/** Parses a notice and checks its MIME structure on the way. */
export function parseReport(message: Buffer): ParsedReport {
  assertWireShape(message);
  const top = parseEntity(message);
  assert.equal(fieldValue(top, 'MIME-Version'), '1.0');
  const contentType = parseContentType(fieldValue(top, 'Content-Type') ?? '');
  assert.equal(contentType.type, 'multipart/report');
  assert.equal(contentType.params['report-type'], 'delivery-status');
  const boundary = contentType.params.boundary;
  assert.ok(boundary && /^[0-9A-Za-z'()+_,\-./:=? ]{1,70}$/.test(boundary) && !boundary.endsWith(' '), 'boundary syntax (RFC 2046 5.1.1)');
  const parts = splitMultipart(top.body, boundary);
  assert.equal(parts.length, 3, 'three parts');
  const types = parts.map((part) => parseContentType(fieldValue(part, 'Content-Type') ?? 'text/plain').type);
  assert.equal(types[0], 'text/plain');
  assert.equal(types[1], 'message/delivery-status');
  assert.ok(types[2] === 'message/rfc822' || types[2] === 'text/rfc822-headers', `third part ${types[2]}`);
  const topEncoding = (fieldValue(top, 'Content-Transfer-Encoding') ?? '7bit').toLowerCase();
  const partEncodings = parts.map((part) => (fieldValue(part, 'Content-Transfer-Encoding') ?? '7bit').toLowerCase());
  // A multipart is labelled with the widest encoding of its parts (RFC 2045 6.4).
  assert.equal(topEncoding, partEncodings.includes('8bit') ? '8bit' : '7bit');
  if (types[2] === 'message/rfc822') assert.ok(['7bit', '8bit'].includes(partEncodings[2]!), 'message/rfc822 is never re-encoded');
  const text = decodeBody(parts[0]!).toString('latin1');
  assert.equal(parseContentType(fieldValue(parts[0]!, 'Content-Type')!).params.charset, 'us-ascii');
  return { top, boundary, parts, status: parseDeliveryStatus(decodeBody(parts[1]!)), text, prose: text.replace(/\s+/g, ' '), returned: decodeBody(parts[2]!) };
}
