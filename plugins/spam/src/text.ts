import { HeaderList, type MessageContent } from '@posthorn/core';

/**
 * The text that header and body rules look at. Not a MIME library: enough decoding that a
 * rule about words sees the words whether the sender used base64, quoted-printable or RFC 2047
 * encoded words, and no more.
 */

function decodeCharset(bytes: Buffer, charset: string | undefined): string {
  try {
    return new TextDecoder(charset?.trim() || 'utf-8').decode(bytes);
  } catch {
    // An unknown charset: UTF-8 with replacement characters still shows the ASCII words.
    return new TextDecoder('utf-8').decode(bytes);
  }
}

/** RFC 2045 6.7: `=XX` escapes and soft line breaks. Input and output are latin1 strings. */
function decodeQuotedPrintable(text: string): Buffer {
  const unfolded = text.replace(/=[ \t]*\r?\n/g, '');
  return Buffer.from(
    unfolded.replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))),
    'latin1',
  );
}

/** RFC 2047 encoded words (`=?utf-8?B?...?=`, `=?iso-8859-1?Q?...?=`) in a header value. */
export function decodeEncodedWords(value: string): string {
  // White space between two adjacent encoded words is not part of the text (RFC 2047 6.2).
  const joined = value.replace(/(\?=)\s+(?==\?)/g, '$1');
  return joined.replace(/=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g, (word, charsetSpec: string, encoding: string, text: string) => {
    const charset = charsetSpec.split('*')[0]; // RFC 2231 language suffix
    const bytes =
      encoding.toUpperCase() === 'B' ? Buffer.from(text, 'base64') : decodeQuotedPrintable(text.replace(/_/g, ' '));
    try {
      return new TextDecoder(charset).decode(bytes);
    } catch {
      return word;
    }
  });
}

interface MediaType {
  readonly type: string;
  readonly params: Readonly<Record<string, string>>;
}

function parseMediaType(value: string | undefined): MediaType {
  if (!value) return { type: 'text/plain', params: {} };
  const [type = '', ...rest] = value.split(';');
  const params: Record<string, string> = {};
  for (const match of rest.join(';').matchAll(/([A-Za-z0-9*_.-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;\s]*)/g)) {
    const raw = match[2]!;
    params[match[1]!.toLowerCase()] = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
  }
  return { type: type.trim().toLowerCase() || 'text/plain', params };
}

const MAX_DEPTH = 5;
const MAX_PARTS = 100;

/** Appends the decoded text of one MIME entity (latin1 body) to `out`. */
function collect(body: string, headers: HeaderList, out: string[], depth: number, budget: { parts: number }): void {
  if (--budget.parts < 0) return;
  const media = parseMediaType(headers.get('Content-Type'));
  if (media.type.startsWith('multipart/')) {
    const boundary = media.params.boundary;
    if (!boundary || depth >= MAX_DEPTH) return;
    const delimiter = `--${boundary}`;
    // Parts lie between delimiter lines; what comes before the first and after the closing
    // one (preamble, epilogue) is not text anybody reads.
    const lines = [...body.matchAll(new RegExp(`(?:^|\\r?\\n)${delimiter.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(--)?[ \\t]*(?=\\r?\\n|$)`, 'g'))];
    for (const [index, line] of lines.entries()) {
      const next = lines[index + 1];
      // The closing delimiter (`--boundary--`) ends the parts; a body cut off by the size
      // limit ends with its last part running to the end.
      if (line[1] === '--') break;
      const part = body.slice(line.index + line[0].length, next ? next.index : body.length).replace(/^\r?\n/, '');
      const split = /\r?\n\r?\n/.exec(part);
      const head = split ? part.slice(0, split.index) : part;
      const rest = split ? part.slice(split.index + split[0].length) : '';
      collect(rest, HeaderList.parse(head.replace(/\r?\n/g, '\r\n')), out, depth + 1, budget);
    }
    return;
  }
  if (media.type === 'message/rfc822' && depth < MAX_DEPTH) {
    const split = /\r?\n\r?\n/.exec(body);
    if (split) collect(body.slice(split.index + split[0].length), HeaderList.parse(body.slice(0, split.index).replace(/\r?\n/g, '\r\n')), out, depth + 1, budget);
    return;
  }
  if (!media.type.startsWith('text/')) return;
  const encoding = headers.get('Content-Transfer-Encoding')?.trim().toLowerCase();
  const bytes =
    encoding === 'base64' ? Buffer.from(body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64') : encoding === 'quoted-printable' ? decodeQuotedPrintable(body) : Buffer.from(body, 'latin1');
  out.push(decodeCharset(bytes, media.params.charset));
}

/**
 * The readable text of a message's body: text parts decoded (base64, quoted-printable,
 * charset), other parts left out, at most `limit` bytes of the raw body considered.
 */
export function bodyText(message: MessageContent, limit: number): string {
  const raw = message.body();
  const body = raw.subarray(0, limit).toString('latin1');
  const out: string[] = [];
  collect(body, message.headers, out, 0, { parts: MAX_PARTS });
  return out.join('\n');
}

/** A host name in a URL: letters, digits, hyphens, dots; at least one dot; a TLD of letters. */
const HOST = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

/**
 * The host names of the URLs in a text (`http://`, `https://`, and `www.` without a scheme),
 * lower case, each once, in order of appearance.
 */
export function urlHosts(text: string): string[] {
  const hosts = new Set<string>();
  for (const match of text.matchAll(/\b(?:https?:\/\/(?:[^\s/?#@"'<>]*@)?|(?=www\.))([A-Za-z0-9.-]+)/gi)) {
    const host = match[1]!.toLowerCase().replace(/\.+$/, '');
    if (HOST.test(host)) hosts.add(host);
  }
  return [...hosts];
}
