import type { DKIMSignOptions } from 'mailauth';
import { dkimSign } from 'mailauth/lib/dkim/sign.js';
import type { SigningKey } from './keys.ts';

export interface SignOptions {
  readonly canonicalization: string;
  readonly headers: readonly string[];
}

const FIELD_PREFIX = 'DKIM-Signature: ';

/**
 * Signs a message with every key given (RFC 6376, RFC 8463) and returns the values of the
 * DKIM-Signature fields, folding included, in the order of the keys. Throws when any key
 * fails: a message must not leave half-signed because one key is broken.
 */
export async function signMessage(message: Buffer, keys: readonly SigningKey[], options: SignOptions): Promise<string[]> {
  // mailauth reads the per-signature entries from `signatureData` and ignores the top-level
  // key fields its type declares as required; it also writes into each entry, so they are
  // made fresh for every call.
  const request = {
    // Strict: refuse what RFC 6376 and RFC 8301 forbid instead of signing it with a warning.
    strict: true,
    canonicalization: options.canonicalization,
    headerList: [...options.headers],
    signatureData: keys.map((key) => ({ signingDomain: key.domain, selector: key.selector, privateKey: key.pem, algorithm: key.algorithm })),
  } as unknown as DKIMSignOptions;
  const result = await dkimSign(message, request);
  if (result.errors.length) {
    const reasons = result.errors.map((e) => `${e.selector}._domainkey.${e.signingDomain}: ${e.err?.message ?? 'failed'}`);
    throw new Error(`DKIM signing failed: ${reasons.join('; ')}`);
  }
  const fields = result.signatures.split(/\r\n(?![ \t])/).filter(Boolean);
  if (fields.length !== keys.length) throw new Error(`DKIM signing made ${fields.length} signatures for ${keys.length} keys`);
  return fields.map((field) => {
    // The field is re-created as `DKIM-Signature: <value>`; anything else would change the
    // bytes that simple header canonicalization signed.
    if (!field.startsWith(FIELD_PREFIX)) throw new Error('unexpected DKIM-Signature field from the signer');
    return field.slice(FIELD_PREFIX.length);
  });
}
