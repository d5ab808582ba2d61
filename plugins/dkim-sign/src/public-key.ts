import { createPublicKey, type KeyObject } from 'node:crypto';

/**
 * The value of the DKIM key record (RFC 6376 3.6.1): for RSA the SubjectPublicKeyInfo in DER,
 * for Ed25519 the raw 32-byte public key (RFC 8463 3.4), both in base64.
 */
export function keyRecordValue(privateKey: KeyObject): string {
  const publicKey = createPublicKey(privateKey);
  if (publicKey.asymmetricKeyType === 'ed25519') {
    const x = publicKey.export({ format: 'jwk' }).x;
    if (!x) throw new Error('Ed25519 key without a public part');
    return `v=DKIM1; k=ed25519; p=${Buffer.from(x, 'base64url').toString('base64')}`;
  }
  if (publicKey.asymmetricKeyType === 'rsa') {
    return `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`;
  }
  throw new Error(`unsupported key type ${publicKey.asymmetricKeyType}`);
}

/**
 * A TXT value as zone-file character-strings: a character-string holds at most 255 bytes
 * (RFC 1035 3.3), so a 2048-bit RSA key is split into several; verifiers join them.
 */
export function txtCharacterStrings(value: string): string[] {
  const parts: string[] = [];
  for (let i = 0; i < value.length; i += 255) parts.push(value.slice(i, i + 255));
  return parts;
}

/** `name IN TXT "part" "part"`, ready to paste into a zone file. */
export function zoneLine(name: string, value: string): string {
  return `${name} IN TXT ${txtCharacterStrings(value).map((part) => `"${part.replace(/["\\]/g, '\\$&')}"`).join(' ')}`;
}
