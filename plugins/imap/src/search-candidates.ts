import type { MessageMeta } from '@posthorn/contracts';
import { decodeEncodedWords, headerValues } from './message/headers.ts';
import { type MimePart, parseStructure } from './message/structure.ts';
import { partText } from './message/text.ts';
import type { CachedMessage } from './message-cache.ts';
import type { SearchCandidate } from './search/evaluate.ts';

/** Text parts searched by BODY and TEXT; attachments of other types are not text. */
const MAX_TEXT_PARTS = 50;
const EMPTY = Buffer.alloc(0);

/**
 * A message as SEARCH sees it: metadata at once, and the content only when a key asks for it,
 * loaded once per message (through the shared cache) however many keys ask.
 */
export class MessageCandidate implements SearchCandidate {
  readonly seq: number;
  readonly meta: MessageMeta;
  readonly #load: () => Promise<CachedMessage>;
  #loaded: Promise<CachedMessage> | undefined;

  constructor(seq: number, meta: MessageMeta, load: () => Promise<CachedMessage>) {
    this.seq = seq;
    this.meta = meta;
    this.#load = load;
  }

  async header(name: string): Promise<readonly string[]> {
    const { structure } = await this.#message();
    return headerValues(structure, name).map(decodeEncodedWords);
  }

  async headerText(): Promise<string> {
    const { structure } = await this.#message();
    return structure.headers.map((field) => `${field.name}: ${decodeEncodedWords(field.value)}`).join('\n');
  }

  async bodyText(): Promise<string> {
    const { raw, structure } = await this.#message();
    const texts: string[] = [];
    collectText(raw, structure, texts);
    return texts.join('\n');
  }

  /** A message expunged meanwhile reads as empty: it matches no content key, and the search goes on. */
  #message(): Promise<CachedMessage> {
    this.#loaded ??= this.#load().catch((err: { code?: string }) => {
      if (err?.code !== 'NONEXISTENT') throw err;
      return { raw: EMPTY, structure: parseStructure(EMPTY) };
    });
    return this.#loaded;
  }
}

/** The decoded text of every text/* leaf, depth first (encapsulated messages included). */
function collectText(raw: Buffer, part: MimePart, out: string[]): void {
  if (out.length >= MAX_TEXT_PARTS) return;
  if (part.children.length) {
    for (const child of part.children) collectText(raw, child, out);
    return;
  }
  if (part.message) {
    out.push(part.message.headers.map((field) => decodeEncodedWords(field.value)).join('\n'));
    collectText(raw, part.message, out);
    return;
  }
  const text = partText(raw, part);
  if (text !== undefined) out.push(text);
}
