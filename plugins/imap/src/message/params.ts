/**
 * Parses MIME structured header values such as Content-Type and Content-Disposition:
 * a leading token (`text/plain`, `attachment`) and `; name=value` parameters, with RFC 822
 * comments, quoted strings and RFC 2231 extended/continued parameters.
 */

import { decodeCharset } from './charset.ts';

/** A parameter with RFC 2231 continuations merged. */
export interface MimeParam {
  /** The parameter name in lower case, without any RFC 2231 `*` suffix. */
  readonly name: string;
  /** The value as text: unquoted, continuations joined and RFC 2231 encoding decoded. */
  readonly value: string;
  /**
   * Set when the parameter used RFC 2231 extended syntax. `encoded` is the merged value in
   * that syntax (`charset'language'percent-encoded`), which is what BODYSTRUCTURE reports
   * (as `name*`) so that clients still learn the charset.
   */
  readonly extended?: { readonly charset: string; readonly language: string; readonly encoded: string };
}

export interface MimeValue {
  /** The leading value with comments and blanks removed, e.g. `text/plain`. */
  readonly value: string;
  readonly params: readonly MimeParam[];
}

/** Bounds against hostile headers: how many raw parameters and continuation sections count. */
const MAX_PARAMS = 256;
const MAX_SECTION = 999;

interface RawParam {
  readonly name: string;
  readonly section: number | null;
  readonly extended: boolean;
  readonly value: string;
}

export function parseMimeValue(text: string): MimeValue {
  const scanner = new Scanner(text);
  let leading = '';
  while (!scanner.done() && scanner.peek() !== ';') {
    const c = scanner.peek();
    if (c === '(') {
      scanner.skipComment();
      leading += ' ';
    } else if (c === '"') leading += scanner.readQuoted();
    else if (c === '\t' || c === '\r' || c === '\n') {
      leading += ' ';
      scanner.pos++;
    } else {
      leading += c;
      scanner.pos++;
    }
  }
  // `text / plain` is one value; `text/plain charset=x` (a missing `;`) ends at the blank.
  const value = leading.replace(/ *\/ */g, '/').trim().split(/ +/)[0] ?? '';

  const raw: RawParam[] = [];
  while (!scanner.done() && raw.length < MAX_PARAMS) {
    scanner.pos++; // the ';'
    const param = readParam(scanner);
    if (param) raw.push(param);
    while (!scanner.done() && scanner.peek() !== ';') {
      if (scanner.peek() === '"') scanner.readQuoted();
      else if (scanner.peek() === '(') scanner.skipComment();
      else scanner.pos++;
    }
  }
  return { value, params: mergeParams(raw) };
}

function readParam(scanner: Scanner): RawParam | undefined {
  scanner.skipBlanksAndComments();
  let name = '';
  while (!scanner.done()) {
    const c = scanner.peek();
    if (c === '=' || c === ';' || c === '(' || c === '"' || c === ' ' || c === '\t' || c === '\r' || c === '\n') break;
    name += c;
    scanner.pos++;
  }
  scanner.skipBlanksAndComments();
  if (!name || scanner.peek() !== '=') return undefined;
  scanner.pos++;
  scanner.skipBlanksAndComments();
  let value: string;
  if (scanner.peek() === '"') {
    value = scanner.readQuoted();
  } else {
    // Unquoted values are read up to the next ';' or comment so that the common broken form
    // `name=my file.txt` keeps its spaces.
    value = '';
    while (!scanner.done() && scanner.peek() !== ';' && scanner.peek() !== '(') {
      value += scanner.peek();
      scanner.pos++;
    }
    value = value.replace(/[ \t\r\n]+$/, '');
  }
  const match = /^(.*?)\*(?:(\d+)\*?)?$/.exec(name);
  if (!match) return { name: name.toLowerCase(), section: null, extended: false, value };
  const base = match[1]!.toLowerCase();
  if (match[2] === undefined) return { name: base, section: null, extended: true, value };
  const section = Number(match[2]);
  if (section > MAX_SECTION) return undefined;
  return { name: base, section, extended: name.endsWith('*'), value };
}

/** Joins RFC 2231 continuations and decodes extended values; the first of duplicates wins. */
function mergeParams(raw: readonly RawParam[]): MimeParam[] {
  const order: string[] = [];
  const groups = new Map<string, RawParam[]>();
  for (const param of raw) {
    let group = groups.get(param.name);
    if (!group) {
      group = [];
      groups.set(param.name, group);
      order.push(param.name);
    }
    group.push(param);
  }

  const result: MimeParam[] = [];
  for (const name of order) {
    const group = groups.get(name)!;
    const sections = new Map<number, RawParam>();
    for (const param of group) {
      if (param.section !== null && !sections.has(param.section)) sections.set(param.section, param);
    }
    const single = group.find((p) => p.section === null && p.extended) ?? group.find((p) => p.section === null);
    if (sections.size > 0 && sections.has(0)) {
      const parts: RawParam[] = [];
      for (let i = 0; sections.has(i); i++) parts.push(sections.get(i)!);
      result.push(joinSections(name, parts));
    } else if (single) {
      result.push(single.extended ? joinSections(name, [single]) : { name, value: single.value });
    }
  }
  return result;
}

function joinSections(name: string, parts: readonly RawParam[]): MimeParam {
  const first = parts[0]!;
  if (!parts.some((p) => p.extended)) return { name, value: parts.map((p) => p.value).join('') };

  let charset = '';
  let language = '';
  const bytes: number[] = [];
  let encoded = '';
  parts.forEach((part, index) => {
    let text = part.value;
    if (index === 0 && first.extended) {
      const match = /^([^']*)'([^']*)'(.*)$/s.exec(text);
      if (match) {
        charset = match[1]!;
        language = match[2]!;
        text = match[3]!;
      }
    }
    if (part.extended) {
      encoded += text;
      percentDecode(text, bytes);
    } else {
      const plain = Buffer.from(text, 'utf8');
      for (const b of plain) bytes.push(b);
      encoded += percentEncode(plain);
    }
  });
  const buffer = Uint8Array.from(bytes);
  const value = decodeCharset(buffer, charset || 'us-ascii') ?? Buffer.from(buffer).toString('latin1');
  return { name, value, extended: { charset, language, encoded: `${charset}'${language}'${encoded}` } };
}

function percentDecode(text: string, out: number[]): void {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x25 && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) {
      out.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c < 0x80) {
      out.push(c);
    } else {
      for (const b of Buffer.from(text[i]!, 'utf8')) out.push(b);
    }
  }
}

function percentEncode(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) {
    const safe = b > 0x20 && b < 0x7f && !`*'%()<>@,;:\\"/[]?=`.includes(String.fromCharCode(b));
    out += safe ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** A cursor over a header value that knows RFC 822 comments and quoted strings. */
class Scanner {
  readonly #text: string;
  pos = 0;

  constructor(text: string) {
    this.#text = text;
  }

  done(): boolean {
    return this.pos >= this.#text.length;
  }

  peek(): string {
    return this.#text[this.pos] ?? '';
  }

  skipBlanksAndComments(): void {
    while (!this.done()) {
      const c = this.peek();
      if (c === '(') this.skipComment();
      else if (c === ' ' || c === '\t' || c === '\r' || c === '\n') this.pos++;
      else return;
    }
  }

  /** Skips a (possibly nested) comment; an unclosed one runs to the end. */
  skipComment(): void {
    let depth = 0;
    while (!this.done()) {
      const c = this.peek();
      this.pos++;
      if (c === '\\') this.pos++;
      else if (c === '(') depth++;
      else if (c === ')' && --depth === 0) return;
    }
  }

  /** Reads a quoted string starting at the opening quote and returns its unescaped content. */
  readQuoted(): string {
    let out = '';
    this.pos++;
    while (!this.done()) {
      const c = this.peek();
      this.pos++;
      if (c === '"') return out;
      if (c === '\\' && !this.done()) {
        out += this.peek();
        this.pos++;
      } else if (c !== '\r' && c !== '\n') {
        out += c;
      }
    }
    return out;
  }
}
