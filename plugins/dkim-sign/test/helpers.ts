/**
 * DKIM test helpers of this plugin: key records computed here from the keys (not with the
 * plugin's own code) and the tags of the signatures. The verifiers are in @posthorn/testkit.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';

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
