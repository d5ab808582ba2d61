import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bodyStructure } from '../src/message/bodystructure.ts';
import { decodeTransferEncoding } from '../src/message/binary.ts';
import { envelope } from '../src/message/envelope.ts';
import { parseFetchAtt } from '../src/message/fetch-items.ts';
import { fetchValue } from '../src/message/fetch-values.ts';
import { decodeEncodedWords, headerValues } from '../src/message/headers.ts';
import { extractSection, parseSection } from '../src/message/section.ts';
import { parseStructure, type MimePart } from '../src/message/structure.ts';
import { ALTERNATIVE, BARE_LF, FORWARD, GROUPS, MALFORMED, MIXED, NO_SEPARATOR, RFC2231, SIMPLE } from './message-fixtures.ts';

/** A small deterministic generator, so a failure can be replayed from its seed. */
function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x100000000;
  };
}

const SEEDS = [ALTERNATIVE, BARE_LF, FORWARD, GROUPS, MALFORMED, MIXED, NO_SEPARATOR, RFC2231, SIMPLE];
const INTERESTING = ['\r\n', '\n', '\r', '--', ':', ';', '"', '(', ')', '<', '>', '@', ',', '=', '=?utf-8?q?', '?=', '*0*=', "''", '\0', '\t', ' ', 'boundary=', 'Content-Type: multipart/mixed; boundary=outer\r\n', 'Content-Type: message/rfc822\r\n', '--outer\r\n', '--inner--'];

function mutate(source: Buffer, next: () => number): Buffer {
  const bytes = [...source];
  const edits = 1 + Math.floor(next() * 12);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(next() * (bytes.length + 1));
    const kind = next();
    if (kind < 0.3) bytes.splice(at, 1 + Math.floor(next() * 20));
    else if (kind < 0.6) bytes.splice(at, 0, ...Buffer.from(INTERESTING[Math.floor(next() * INTERESTING.length)]!));
    else if (kind < 0.8) bytes[at] = Math.floor(next() * 256);
    else {
      const from = Math.floor(next() * bytes.length);
      bytes.splice(at, 0, ...bytes.slice(from, from + Math.floor(next() * 200)));
    }
  }
  return Buffer.from(bytes.map((b) => b & 0xff));
}

function walk(part: MimePart, path: number[], visit: (part: MimePart, path: number[]) => void, depth = 0): void {
  visit(part, path);
  if (depth > 30) return;
  part.children.forEach((child, i) => walk(child, [...path, i + 1], visit, depth + 1));
  if (part.message) walk(part.message, path, visit, depth + 1);
}

const SECTIONS = ['', 'HEADER', 'TEXT', '1', '2', '1.MIME', '2.HEADER', '2.TEXT', '2.1', '2.1.MIME', 'HEADER.FIELDS (FROM TO)', '1.HEADER.FIELDS.NOT (X)', '3.2.1'];

function exercise(raw: Buffer): void {
  const root = parseStructure(raw);
  walk(root, [], (part) => {
    assert.ok(part.headerStart <= part.headerEnd && part.headerEnd <= part.bodyStart && part.bodyStart <= part.bodyEnd);
    assert.ok(part.bodyEnd <= raw.length);
    assert.equal(part.size, part.bodyEnd - part.bodyStart);
    for (const name of ['from', 'subject', 'content-type']) for (const v of headerValues(part, name)) decodeEncodedWords(v);
  });
  envelope(root);
  bodyStructure(root, true);
  bodyStructure(root, false);
  for (const text of SECTIONS) {
    const spec = parseSection(text);
    if (!('error' in spec)) extractSection(raw, root, spec);
  }
  for (const att of ['BINARY[1]', 'BINARY.SIZE[2]', 'BINARY[]', 'BODY[1.1]<3.9>', 'ENVELOPE', 'BODYSTRUCTURE']) {
    const item = parseFetchAtt(att);
    if (!('error' in item)) fetchValue(item, raw, root);
  }
  decodeTransferEncoding(raw, 'base64');
  decodeTransferEncoding(raw, 'quoted-printable');
}

test('mutated real-world messages never throw and keep offsets consistent', () => {
  const next = random(0x5eed);
  for (let round = 0; round < 600; round++) {
    const source = SEEDS[round % SEEDS.length]!;
    const raw = mutate(source, next);
    try {
      exercise(raw);
    } catch (error) {
      assert.fail(`round ${round}: ${(error as Error).stack}\n${JSON.stringify(raw.toString('latin1'))}`);
    }
  }
});

test('random bytes and random structured text never throw', () => {
  const next = random(42);
  for (let round = 0; round < 300; round++) {
    const length = Math.floor(next() * 2000);
    const raw = Buffer.alloc(length);
    for (let i = 0; i < length; i++) raw[i] = Math.floor(next() * 256);
    exercise(raw);
    const pieces: string[] = [];
    for (let i = 0; i < 60; i++) pieces.push(INTERESTING[Math.floor(next() * INTERESTING.length)]!, 'x');
    exercise(Buffer.from(`From: ${pieces.join('')}\r\nTo: ${pieces.reverse().join('')}\r\n\r\n${pieces.join('')}`));
  }
});

test('hostile shapes stay bounded: deep multipart nesting, huge parameter continuations', () => {
  let body = 'leaf';
  for (let i = 0; i < 500; i++) body = `Content-Type: multipart/mixed; boundary=b${i}\r\n\r\n--b${i}\r\n${body}\r\n--b${i}--`;
  let part = parseStructure(Buffer.from(body));
  let depth = 0;
  while (part.children[0]) {
    part = part.children[0];
    depth++;
  }
  assert.ok(depth <= 20, `depth ${depth}`);
  exercise(Buffer.from(body));

  const params = Array.from({ length: 5000 }, (_, i) => `name*${i}*=%41`).join('; ');
  const root = parseStructure(Buffer.from(`Content-Type: text/plain; ${params}\r\n\r\nx`));
  assert.ok(root.params.length <= 2);
  exercise(Buffer.from(`From: ${'a,'.repeat(50_000)}\r\nTo: ${'('.repeat(10_000)}\r\n\r\n`));
});
