import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DotStuffer, TopCutter } from '../src/dot-stuffing.ts';
import { LineReader } from '../src/line-reader.ts';

/** Runs the stuffer over `input` cut into the given chunk sizes (the rest in one piece). */
function stuff(input: string, cuts: number[] = []): string {
  const bytes = Buffer.from(input, 'latin1');
  const stuffer = new DotStuffer();
  const out: Buffer[] = [];
  let at = 0;
  for (const cut of cuts) {
    stuffer.push(bytes.subarray(at, at + cut), out);
    at += cut;
  }
  stuffer.push(bytes.subarray(at), out);
  stuffer.end(out);
  return Buffer.concat(out).toString('latin1');
}

/** Every way of cutting `input` into two and three pieces gives the same output. */
function assertCutIndependent(input: string, expected: string): void {
  assert.equal(stuff(input), expected, 'in one piece');
  for (let i = 0; i <= input.length; i++) {
    assert.equal(stuff(input, [i]), expected, `cut at ${i}`);
    for (let j = 0; i + j <= input.length; j++) assert.equal(stuff(input, [i, j]), expected, `cut at ${i} and ${i + j}`);
  }
}

describe('DotStuffer', () => {
  it('sends a CRLF message byte for byte, with one more dot on lines that start with one', () => {
    assertCutIndependent('Subject: x\r\n\r\n.hidden\r\nnormal\r\n..two\r\n.\r\nend\r\n', 'Subject: x\r\n\r\n..hidden\r\nnormal\r\n...two\r\n..\r\nend\r\n.\r\n');
  });

  it('stuffs a dot at the very start of the message', () => {
    assertCutIndependent('.first\r\n', '..first\r\n.\r\n');
  });

  it('turns bare LFs into CRLF, so no line ending a client sees hides an end of response', () => {
    assertCutIndependent('a\nb\r\n.\n.x\n', 'a\r\nb\r\n..\r\n..x\r\n.\r\n');
  });

  it('leaves a bare CR alone but completes a last line without its ending', () => {
    assertCutIndependent('a\rb\r\nno end', 'a\rb\r\nno end\r\n.\r\n');
    assertCutIndependent('ends in CR\r', 'ends in CR\r\n.\r\n');
  });

  it('sends an empty message as the terminator alone', () => {
    assert.equal(stuff(''), '.\r\n');
  });

  it('passes a message without dots and bare LFs through as the input slice itself (no copy)', () => {
    const input = Buffer.from('Subject: x\r\n\r\nbody\r\n');
    const out: Buffer[] = [];
    new DotStuffer().push(input, out);
    assert.equal(out.length, 1);
    assert.equal(out[0]!.buffer, input.buffer);
  });
});

function top(input: string, lines: number, cuts: number[] = []): string {
  const bytes = Buffer.from(input, 'latin1');
  const cutter = new TopCutter(lines);
  const parts: Buffer[] = [];
  let at = 0;
  for (const size of [...cuts, bytes.length]) {
    if (cutter.done) break;
    parts.push(cutter.take(bytes.subarray(at, at + size)));
    at += size;
  }
  return Buffer.concat(parts).toString('latin1');
}

describe('TopCutter', () => {
  const message = 'A: 1\r\nB: 2\r\n\r\nline 1\r\nline 2\r\nline 3\r\n';

  it('keeps the header, the blank line and n body lines, wherever the input is cut', () => {
    for (const [n, expected] of [
      [0, 'A: 1\r\nB: 2\r\n\r\n'],
      [1, 'A: 1\r\nB: 2\r\n\r\nline 1\r\n'],
      [2, 'A: 1\r\nB: 2\r\n\r\nline 1\r\nline 2\r\n'],
      [3, message],
      [10, message],
    ] as const) {
      assert.equal(top(message, n), expected, `n=${n}`);
      for (let i = 1; i < message.length; i++) assert.equal(top(message, n, [i]), expected, `n=${n}, cut at ${i}`);
      for (let i = 1; i < message.length - 1; i++) assert.equal(top(message, n, [i, 1]), expected, `n=${n}, cut at ${i} and ${i + 1}`);
    }
  });

  it('finds the end of a header with bare LF line endings too', () => {
    assert.equal(top('A: 1\nB: 2\n\nbody 1\nbody 2\n', 1), 'A: 1\nB: 2\n\nbody 1\n');
  });

  it('sends all of a message that has no body', () => {
    assert.equal(top('A: 1\r\nB: 2\r\n', 0), 'A: 1\r\nB: 2\r\n');
  });

  it('says when it is done, so the rest of a large message is not read', () => {
    const cutter = new TopCutter(0);
    cutter.take(Buffer.from('A: 1\r\n\r\nbody'));
    assert.equal(cutter.done, true);
  });
});

describe('LineReader', () => {
  const text = (reader: LineReader) => {
    const line = reader.next();
    return line === undefined ? undefined : line.tooLong ? 'TOO LONG' : line.bytes.toString('latin1');
  };

  it('hands out lines one at a time, CRLF or bare LF, and waits for the rest of a partial line', () => {
    const reader = new LineReader(100);
    reader.push(Buffer.from('USER a\r\nPASS b\nST'));
    assert.equal(text(reader), 'USER a');
    assert.equal(text(reader), 'PASS b');
    assert.equal(text(reader), undefined);
    reader.push(Buffer.from('AT\r\n'));
    assert.equal(text(reader), 'STAT');
    assert.equal(text(reader), undefined);
  });

  it('reports an over-long line once, at its end, without holding it', () => {
    const reader = new LineReader(10);
    reader.push(Buffer.from('x'.repeat(50)));
    assert.equal(text(reader), undefined);
    assert.ok(reader.pending <= 10, 'nothing of the long line is kept');
    reader.push(Buffer.from('y'.repeat(50)));
    assert.ok(reader.pending <= 10);
    reader.push(Buffer.from('zz\r\nNOOP\r\n'));
    assert.equal(text(reader), 'TOO LONG');
    assert.equal(text(reader), 'NOOP');
  });

  it('counts the line ending in the limit', () => {
    const reader = new LineReader(6);
    reader.push(Buffer.from('NOOP\r\nNOOPS\r\n'));
    assert.equal(text(reader), 'NOOP');
    assert.equal(text(reader), 'TOO LONG');
  });

  it('forgets what it holds on clear (STLS)', () => {
    const reader = new LineReader(100);
    reader.push(Buffer.from('USER injected\r\nPA'));
    reader.clear();
    assert.equal(text(reader), undefined);
    assert.equal(reader.pending, 0);
  });
});
