import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addressLiteral, HeaderField, receivedValue, rfc5322Date } from '@posthorn/core';

const date = new Date(Date.UTC(2024, 0, 2, 3, 4, 5));

type Facts = Parameters<typeof receivedValue>[0];

function facts(overrides: Partial<Facts> = {}): Facts {
  return {
    helo: 'client.example.org',
    remoteHostname: 'host.example.org',
    remoteAddress: '192.0.2.7',
    hostname: 'mx.example.net',
    esmtp: true,
    tls: undefined,
    authenticated: false,
    utf8: false,
    id: 'abc123',
    recipients: ['bob@example.net'],
    date,
    ...overrides,
  };
}

/** The `with` keyword of a Received value. */
function protocolOf(value: string): string {
  return /\bwith (\S+)/.exec(value)?.[1] ?? '';
}

// IANA "Mail Transmission Types" registry (RFC 3848, RFC 6531): the keywords a Received field may name.
const REGISTERED = new Set(['SMTP', 'ESMTP', 'ESMTPA', 'ESMTPS', 'ESMTPSA', 'UTF8SMTP', 'UTF8SMTPA', 'UTF8SMTPS', 'UTF8SMTPSA']);

describe('receivedValue', () => {
  it('writes the trace fields in RFC 5321 order', () => {
    assert.equal(
      receivedValue(facts()),
      'from client.example.org (host.example.org [192.0.2.7])\r\n\tby mx.example.net (Posthorn) with ESMTP id abc123\r\n\tfor <bob@example.net>; Tue, 02 Jan 2024 03:04:05 +0000',
    );
  });

  it('names the protocol with the registered keywords', () => {
    const cases: [Partial<Facts>, string][] = [
      [{ esmtp: false }, 'SMTP'],
      [{ esmtp: true }, 'ESMTP'],
      [{ tls: { version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' } }, 'ESMTPS'],
      [{ authenticated: true }, 'ESMTPA'],
      [{ tls: {}, authenticated: true }, 'ESMTPSA'],
      [{ utf8: true }, 'UTF8SMTP'],
      [{ utf8: true, tls: {} }, 'UTF8SMTPS'],
      [{ utf8: true, authenticated: true }, 'UTF8SMTPA'],
      [{ utf8: true, tls: {}, authenticated: true }, 'UTF8SMTPSA'],
    ];
    for (const [overrides, keyword] of cases) {
      assert.equal(protocolOf(receivedValue(facts(overrides))), keyword, JSON.stringify(overrides));
    }
  });

  it('never names an unregistered keyword, whatever the combination', () => {
    for (const esmtp of [false, true]) {
      for (const tls of [undefined, {}]) {
        for (const authenticated of [false, true]) {
          for (const utf8 of [false, true]) {
            const keyword = protocolOf(receivedValue(facts({ esmtp, tls, authenticated, utf8 })));
            assert.ok(REGISTERED.has(keyword), `${keyword} for ${JSON.stringify({ esmtp, tls, authenticated, utf8 })}`);
          }
        }
      }
    }
  });

  it('adds the TLS version and cipher as a comment', () => {
    const value = receivedValue(facts({ tls: { version: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256' } }));
    assert.match(value, /with ESMTPS \(TLSv1\.3 TLS_AES_128_GCM_SHA256\) id abc123/);
  });

  it('writes IPv6 addresses as IPv6 address literals', () => {
    assert.match(receivedValue(facts({ remoteAddress: '2001:db8::1' })), /\(host\.example\.org \[IPv6:2001:db8::1\]\)/);
    assert.equal(addressLiteral('::1'), '[IPv6:::1]');
    assert.equal(addressLiteral('192.0.2.1'), '[192.0.2.1]');
  });

  it('leaves the name out when there was no reverse name, and says unknown without a HELO', () => {
    assert.match(receivedValue(facts({ remoteHostname: undefined, helo: undefined })), /^from unknown \(\[192\.0\.2\.7\]\)/);
  });

  it('names the recipient only when there is exactly one', () => {
    assert.match(receivedValue(facts({ recipients: ['only@example.net'] })), /\r\n\tfor <only@example\.net>;/);
    assert.doesNotMatch(receivedValue(facts({ recipients: ['a@example.net', 'b@example.net'] })), /for </);
    assert.doesNotMatch(receivedValue(facts({ recipients: [] })), /for </);
  });

  it('hides the client on request', () => {
    const value = receivedValue(facts({ hideClient: true }));
    assert.match(value, /^by mx\.example\.net/);
    assert.doesNotMatch(value, /192\.0\.2\.7|client\.example\.org/);
  });

  it('ends with the date after the last semicolon', () => {
    const value = receivedValue(facts());
    assert.equal(value.slice(value.lastIndexOf(';') + 2), rfc5322Date(date));
    assert.equal(rfc5322Date(date), 'Tue, 02 Jan 2024 03:04:05 +0000');
  });

  const hostile = [
    'evil\r\nBcc: victim@example.org',
    'evil\nX-Injected: 1',
    'evil; Mon, 01 Jan 2000 00:00:00 +0000',
    'evil (comment) by forged.example',
    'a)b(c',
    'x'.repeat(5000),
    'nul\x00byte',
    '"quoted"<angle>',
    'ünïcode.example',
  ];

  for (const helo of hostile) {
    it(`keeps a hostile HELO inside its token: ${JSON.stringify(helo.slice(0, 40))}`, () => {
      const value = receivedValue(facts({ helo, remoteHostname: helo, tls: { version: helo, cipher: helo } }));
      // Still a valid field value: no bare line breaks, nothing but the folds we made.
      assert.doesNotThrow(() => HeaderField.create('Received', value));
      assert.equal(value.split('\r\n').length, 3, 'only the two folds Posthorn makes');
      assert.ok(!/[\x00-\x08\x0a-\x1f\x7f]/.test(value.replace(/\r\n\t/g, '')), 'no control characters');
      // The date is still the part after the only semicolon.
      assert.equal(value.split(';').length, 2);
      assert.ok(value.endsWith(rfc5322Date(date)));
      // The comment with the client's address is not closed early.
      const from = value.split('\r\n')[0]!;
      assert.match(from, /^from \S+ \(\S+ \[192\.0\.2\.7\]\)$/);
      assert.ok(from.length < 600, 'long names are cut');
    });
  }

  it('leaves out a recipient that could break the field', () => {
    for (const rcpt of ['a@b>\r\nBcc: c@d', 'x>y@example.org', 'nul\x00@example.org', 'tab\t@example.org']) {
      const value = receivedValue(facts({ recipients: [rcpt] }));
      assert.doesNotMatch(value, /for </, JSON.stringify(rcpt));
      assert.doesNotThrow(() => HeaderField.create('Received', value));
    }
  });
});
