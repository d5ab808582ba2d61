/**
 * PHC string format (https://github.com/P-H-C/phc-string-format):
 * `$<id>[$v=<version>][$<param>=<value>(,<param>=<value>)*][$<salt>[$<hash>]]`, salt and hash
 * in standard base64 without padding.
 */

export interface PhcString {
  readonly id: string;
  readonly version?: number;
  readonly params: Readonly<Record<string, number>>;
  readonly salt: Buffer;
  readonly hash: Buffer;
}

const B64 = /^[A-Za-z0-9+/]+$/;

/** Parses a PHC string with numeric parameters, a salt and a hash; throws with the reason. */
export function parsePhc(text: string): PhcString {
  const parts = text.split('$');
  if (parts[0] !== '' || parts.length < 4) throw new Error('not a PHC string ($id$params$salt$hash)');
  const id = parts[1] ?? '';
  if (!/^[a-z0-9-]{1,32}$/.test(id)) throw new Error(`bad PHC algorithm id ${JSON.stringify(id)}`);
  let rest = parts.slice(2);
  let version: number | undefined;
  if (rest[0]?.startsWith('v=')) {
    version = Number(rest[0].slice(2));
    if (!Number.isInteger(version)) throw new Error('bad PHC version');
    rest = rest.slice(1);
  }
  if (rest.length !== 3) throw new Error('a PHC password hash needs parameters, salt and hash');
  const [paramText, saltText, hashText] = rest as [string, string, string];
  const params: Record<string, number> = {};
  for (const pair of paramText.split(',')) {
    const match = /^([a-z0-9-]{1,32})=(\d{1,10})$/.exec(pair);
    if (!match) throw new Error(`bad PHC parameter ${JSON.stringify(pair)}`);
    params[match[1]!] = Number(match[2]);
  }
  if (!B64.test(saltText) || !B64.test(hashText)) throw new Error('PHC salt and hash must be base64 without padding');
  return { id, ...(version === undefined ? {} : { version }), params, salt: Buffer.from(saltText, 'base64'), hash: Buffer.from(hashText, 'base64') };
}

export function formatPhc(phc: PhcString): string {
  const b64 = (buffer: Buffer) => buffer.toString('base64').replace(/=+$/, '');
  const params = Object.entries(phc.params)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
  return `$${phc.id}${phc.version === undefined ? '' : `$v=${phc.version}`}$${params}$${b64(phc.salt)}$${b64(phc.hash)}`;
}
