import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
// DataGuard is internal to the SMTP listener; it is tested directly because chunk boundaries
// cannot be controlled through a socket.
import { DataGuard, type DataViolation } from '../src/smtp/data-guard.ts';

const b = (text: string) => Buffer.from(text, 'latin1');

/** Scans the chunks in order and returns the verdict at the end of data. */
function verdict(chunks: (string | Buffer)[], maxLineLength = 1000): DataViolation | undefined {
  const guard = new DataGuard(maxLineLength);
  for (const chunk of chunks) guard.scan(typeof chunk === 'string' ? b(chunk) : chunk);
  return guard.finish();
}

describe('DataGuard line endings', () => {
  it('passes CRLF-only data', () => {
    assert.equal(verdict(['Subject: x\r\n\r\nline one\r\nline two\r\n']), undefined);
  });

  it('passes empty data and empty chunks', () => {
    assert.equal(verdict([]), undefined);
    assert.equal(verdict(['', 'a\r\n', '']), undefined);
  });

  it('refuses a bare LF', () => {
    assert.equal(verdict(['Subject: x\r\n\r\nline\n.\nmore\r\n']), 'bare-lf');
    assert.equal(verdict(['\n']), 'bare-lf');
  });

  it('refuses a bare CR', () => {
    assert.equal(verdict(['Subject: x\r\n\r\nline\r.\rmore\r\n']), 'bare-cr');
    assert.equal(verdict(['a\rb\r\n']), 'bare-cr');
  });

  it('refuses a CR at the very end of data', () => {
    assert.equal(verdict(['line\r\nlast\r']), 'bare-cr');
  });

  it('refuses LF CR (reversed line ending)', () => {
    assert.equal(verdict(['a\n\rb\r\n']), 'bare-lf');
  });

  it('accepts CR at the end of one chunk and LF at the start of the next', () => {
    assert.equal(verdict(['line one\r', '\nline two\r\n']), undefined);
    assert.equal(verdict(['a\r', '\n', 'b\r', '\n']), undefined);
  });

  it('refuses CR at the end of one chunk followed by anything but LF', () => {
    assert.equal(verdict(['line one\r', 'x\r\n']), 'bare-cr');
    assert.equal(verdict(['line one\r', '\r\n']), 'bare-cr');
  });

  it('refuses LF at the start of a chunk when the previous one did not end in CR', () => {
    assert.equal(verdict(['line one', '\nline two\r\n']), 'bare-lf');
  });

  it('stays refused once a violation was seen', () => {
    const guard = new DataGuard(1000);
    guard.scan(b('bad\n'));
    guard.scan(b('good\r\n'));
    assert.equal(guard.violation, 'bare-lf');
    assert.equal(guard.finish(), 'bare-lf');
  });
});

describe('DataGuard line length', () => {
  // The limit counts the CRLF: RFC 5321 4.5.3.1.6 allows 1000 octets including it.
  const line = (length: number) => `${'x'.repeat(length - 2)}\r\n`;

  it('accepts a line of exactly the limit, CRLF included, and refuses one byte more', () => {
    assert.equal(verdict([line(1000)]), undefined);
    assert.equal(verdict([line(1001)]), 'line-too-long');
    assert.equal(verdict([line(10), line(10), line(10)], 10), undefined);
    assert.equal(verdict([line(10) + line(11)], 10), 'line-too-long');
  });

  it('counts a line across chunks', () => {
    const exact = line(1000);
    assert.equal(verdict([exact.slice(0, 500), exact.slice(500)]), undefined);
    assert.equal(verdict([exact.slice(0, 998), exact.slice(998)]), undefined);
    assert.equal(verdict([exact.slice(0, 999), exact.slice(999)]), undefined);
    const over = line(1001);
    assert.equal(verdict([over.slice(0, 500), over.slice(500)]), 'line-too-long');
    assert.equal(verdict([over.slice(0, 999), over.slice(999)]), 'line-too-long');
    assert.equal(verdict([over.slice(0, 1000), over.slice(1000)]), 'line-too-long');
  });

  it('counts a line spread over many small chunks', () => {
    const exact = line(1000);
    const chunks: string[] = [];
    for (let i = 0; i < exact.length; i += 7) chunks.push(exact.slice(i, i + 7));
    assert.equal(verdict(chunks), undefined);
    assert.equal(verdict([...chunks.slice(0, -1), `x${chunks.at(-1)!}`]), 'line-too-long');
  });

  it('starts counting again after each line ending', () => {
    assert.equal(verdict([line(1000), line(1000), line(1000)]), undefined);
    assert.equal(verdict([`${line(1000)}${line(1000).slice(0, 10)}`, line(1000).slice(10)]), undefined);
  });

  it('refuses a long line that has not ended yet, without waiting for its end', () => {
    const guard = new DataGuard(10);
    guard.scan(b('x'.repeat(11)));
    assert.equal(guard.violation, 'line-too-long');
  });

  it('0 turns the length check off', () => {
    assert.equal(verdict([line(100_000)], 0), undefined);
    assert.equal(verdict(['a\nb'], 0), 'bare-lf');
  });
});

describe('DataGuard does not depend on how data is split', () => {
  const samples: [string, string, number][] = [
    ['clean', 'Subject: x\r\n\r\nline one\r\nline two\r\n', 1000],
    ['bare LF', 'Subject: x\r\n\r\nline\n.\nmore\r\n', 1000],
    ['bare CR', 'Subject: x\r\n\r\nline\r.\rmore\r\n', 1000],
    ['smuggling with LF.CRLF', 'hello\n.\r\nMAIL FROM:<evil@x>\r\n', 1000],
    ['smuggling with CR.CRLF', 'hello\r.\r\nMAIL FROM:<evil@x>\r\n', 1000],
    ['smuggling with CRLF.LF', 'hello\r\n.\nMAIL FROM:<evil@x>\r\n', 1000],
    ['smuggling with CRLF.CR', 'hello\r\n.\rMAIL FROM:<evil@x>\r\n', 1000],
    ['trailing CR', 'line\r\nlast\r', 1000],
    ['bare LF before a bare CR', 'a\nb\rc\r\n', 1000],
    ['bare CR before a bare LF', 'a\rb\nc\r\n', 1000],
    ['a long line before a bare CR', 'xxxxxxxxxxxx\r\nok\rz\r\n', 10],
    ['a bare LF before a long line', 'a\nxxxxxxxxxxxxxx\r\n', 10],
    ['a long line ending in a bare CR', 'xxxxxxxxx\rx\r\n', 10],
    ['a long line ending in a bare LF', 'xxxxxxxxxx\nx\r\n', 10],
    ['exactly the limit', 'xxxxxxxx\r\nxxxxxxxx\r\n', 10],
    ['one over the limit', 'xxxxxxxx\r\nxxxxxxxxx\r\n', 10],
    ['over the limit without a line ending', 'xxxxxxxxxxxx', 10],
    ['CRCRLF', 'a\r\r\nb\r\n', 1000],
    ['8-bit bytes', 'Subject: caf\xe9\r\n\r\n\xff\xfe\x00\r\n', 1000],
  ];

  for (const [label, text, max] of samples) {
    it(`${label}: every two-chunk split gives the one-chunk verdict`, () => {
      const whole = verdict([text], max);
      const data = b(text);
      for (let at = 0; at <= data.length; at++) {
        assert.equal(verdict([data.subarray(0, at), data.subarray(at)], max), whole, `split at ${at} of ${JSON.stringify(text)}`);
      }
    });

    it(`${label}: byte-by-byte scanning gives the one-chunk verdict`, () => {
      const data = b(text);
      const bytes = [...data].map((byte) => Buffer.from([byte]));
      assert.equal(verdict(bytes, max), verdict([text], max));
    });
  }

  it('random strings of x, CR and LF: every split, and byte by byte, agree with one chunk', () => {
    // A fixed seed: the same strings every run, so a failure can be reproduced.
    let seed = 0x2545f491;
    const random = () => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) / 0x1_0000_0000;
    };
    const alphabet = ['x', 'x', 'x', '\r', '\n', '\r\n'];
    for (let n = 0; n < 500; n++) {
      let text = '';
      const parts = 1 + Math.floor(random() * 12);
      for (let i = 0; i < parts; i++) text += alphabet[Math.floor(random() * alphabet.length)];
      const max = 3 + Math.floor(random() * 5);
      const whole = verdict([text], max);
      const data = b(text);
      for (let at = 0; at <= data.length; at++) {
        assert.equal(verdict([data.subarray(0, at), data.subarray(at)], max), whole, `split at ${at} of ${JSON.stringify(text)}, max ${max}`);
      }
      assert.equal(verdict([...data].map((byte) => Buffer.from([byte])), max), whole, `byte by byte: ${JSON.stringify(text)}, max ${max}`);
    }
  });

  it('the samples cover each kind of verdict', () => {
    const kinds = new Set(samples.map(([, text, max]) => verdict([text], max)));
    assert.deepEqual([...kinds].sort(), ['bare-cr', 'bare-lf', 'line-too-long', undefined].sort());
  });
});
