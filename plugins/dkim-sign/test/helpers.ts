/**
 * Independent checks of DKIM signatures: mailauth's verifier, and Debian's python3-dkim
 * (dkimpy) asking the test DNS server through dnspython. The public-key records are computed
 * here from the keys, not with the plugin's own code.
 */
import { spawn } from 'node:child_process';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { createResolver } from '@posthorn/core';
import type { DKIMResult } from 'mailauth';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';

/** The DKIM key record of a private key, as character-strings of at most 255 bytes. */
export function keyRecord(privateKey: KeyObject): string[] {
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  // An Ed25519 SubjectPublicKeyInfo ends with the 32-byte raw key (RFC 8410); RFC 8463 3.4
  // publishes only that.
  const value =
    privateKey.asymmetricKeyType === 'ed25519' ? `v=DKIM1; k=ed25519; p=${spki.subarray(spki.length - 32).toString('base64')}` : `v=DKIM1; k=rsa; p=${spki.toString('base64')}`;
  const parts: string[] = [];
  for (let i = 0; i < value.length; i += 255) parts.push(value.slice(i, i + 255));
  return parts;
}

/** mailauth's verdict on each signature, looking keys up in the test DNS server. */
export async function mailauthVerify(message: Buffer, dnsServer: string): Promise<DKIMResult[]> {
  const resolver = createResolver({ servers: [dnsServer], timeout: 1000, tries: 1 });
  const result = await dkimVerify(message, { resolver: (name, type) => resolver.resolve(name, type) as Promise<string[][]> });
  return result.results;
}

const DKIMPY = `
import sys
import dkim
import dns.resolver

resolver = dns.resolver.Resolver(configure=False)
resolver.nameservers = ['127.0.0.1']
resolver.port = int(sys.argv[1])

def txt(name, timeout=5):
    try:
        answer = resolver.resolve(name.decode('ascii'), 'TXT', lifetime=timeout)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return None
    return b''.join(answer[0].strings)

message = sys.stdin.buffer.read()

def check(index):
    try:
        return dkim.DKIM(message).verify(idx=index, dnsfunc=txt)
    except dkim.DKIMException as error:
        print(f'signature {index}: {error}', file=sys.stderr)
        return False

verdicts = [check(index) for index in range(int(sys.argv[2]))]
print(' '.join('ok' if verdict else 'failed' for verdict in verdicts))
sys.exit(0 if all(verdicts) else 1)
`;

/**
 * Verifies the topmost `count` signatures with dkimpy, the library behind Debian's dkimverify
 * (python3-dkim). dkimverify itself asks the system resolver, which cannot be pointed at a
 * loopback port; the same library call with a DNS function that asks the test server can.
 * `ok` only when every one verifies; `output` has one word per signature (`ok`, `failed`),
 * `errors` why.
 */
export function dkimpyVerify(message: Buffer, dnsPort: number, count = 1): Promise<{ ok: boolean; output: string; errors: string }> {
  return new Promise((resolveRun, rejectRun) => {
    const child = spawn('/usr/bin/python3', ['-c', DKIMPY, String(dnsPort), String(count)], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    let errors = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (errors += chunk));
    child.once('error', rejectRun);
    child.once('close', (code) => resolveRun({ ok: code === 0, output: output.trim(), errors: errors.trim() }));
    child.stdin.end(message);
  });
}

/** The unfolded DKIM-Signature fields of a message, topmost first, as tag maps. */
export function signatureTags(message: Buffer): Record<string, string>[] {
  const text = message.toString('latin1');
  const header = text.slice(0, text.indexOf('\r\n\r\n') + 2);
  const fields = header.split(/\r\n(?![ \t])/).filter((f) => /^DKIM-Signature:/i.test(f));
  return fields.map((field) => {
    const value = field.slice(field.indexOf(':') + 1).replace(/\r\n[ \t]/g, ' ');
    return Object.fromEntries(
      value
        .split(';')
        .map((tag) => tag.trim())
        .filter(Boolean)
        .map((tag) => [tag.slice(0, tag.indexOf('=')).trim(), tag.slice(tag.indexOf('=') + 1).replace(/\s+/g, '')]),
    );
  });
}
