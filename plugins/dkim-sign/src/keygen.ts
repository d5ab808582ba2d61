import { generateKeyPair, type KeyObject } from 'node:crypto';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import type { JsonValue } from '@posthorn/contracts';
import type { SigningKey } from './keys.ts';
import { FILE_KIND, isValidSelector, keyFilePath, normalizeDomain, recordName } from './names.ts';
import type { DkimAlgorithm } from './options.ts';
import { keyRecordValue, zoneLine } from './public-key.ts';

export interface KeygenRequest {
  readonly domain: string;
  readonly selector: string;
  readonly algorithm: DkimAlgorithm;
  readonly bits: number;
  readonly force: boolean;
}

/** RFC 8301 3.2: at least 1024 bits; verifiers must handle up to 4096. */
const MIN_BITS = 1024;
const MAX_BITS = 4096;

/** A selector that names the algorithm and the day, so that a later key gets a new one. */
export function defaultSelector(algorithm: DkimAlgorithm, now = new Date()): string {
  return `${FILE_KIND[algorithm]}-${now.toISOString().slice(0, 10).replace(/-/g, '')}`;
}

function stringFlag(args: Readonly<Record<string, JsonValue>>, name: string): string | undefined {
  const value = args[name];
  if (value === undefined || value === null) return undefined;
  // A flag given without a value (at the end of the line) arrives as true.
  if (typeof value !== 'string' || value === '') throw new Error(`--${name} needs a value (--${name} VALUE)`);
  return value;
}

/** Reads `dkim.keygen` arguments as the CLI passes them: `_` (positional) and flags by name. */
export function parseKeygenArgs(args: Readonly<Record<string, JsonValue>>, now = new Date()): KeygenRequest {
  // A flag without `=VALUE` first: its value then sits among the positional arguments.
  for (const name of ['selector', 'algorithm', 'bits']) if (typeof args[name] !== 'number') stringFlag(args, name);
  const positional = Array.isArray(args._) ? args._.map(String) : typeof args.domain === 'string' ? [args.domain] : [];
  if (positional.length === 0) throw new Error('usage: posthorn dkim keygen DOMAIN [--selector S] [--algorithm rsa|ed25519] [--bits 2048] [--force]');
  if (positional.length > 1) throw new Error(`unexpected argument: ${positional[1]}`);
  const domain = normalizeDomain(positional[0]!);
  if (!domain) throw new Error(`not a domain name: ${positional[0]}`);

  const kind = stringFlag(args, 'algorithm') ?? 'rsa';
  const algorithm: DkimAlgorithm | undefined = kind === 'rsa' || kind === 'rsa-sha256' ? 'rsa-sha256' : kind === 'ed25519' || kind === 'ed25519-sha256' ? 'ed25519-sha256' : undefined;
  if (!algorithm) throw new Error(`unknown algorithm ${kind}: rsa or ed25519`);

  const selector = stringFlag(args, 'selector') ?? defaultSelector(algorithm, now);
  if (!isValidSelector(selector)) throw new Error(`not a valid selector: ${selector} (letters, digits, hyphens; labels separated by dots)`);

  const bitsText = typeof args.bits === 'number' ? String(args.bits) : (stringFlag(args, 'bits') ?? '2048');
  const bits = Number(bitsText);
  if (!/^\d+$/.test(bitsText) || bits < MIN_BITS || bits > MAX_BITS) throw new Error(`--bits must be a whole number from ${MIN_BITS} to ${MAX_BITS}`);
  if (algorithm === 'ed25519-sha256' && args.bits !== undefined) throw new Error('--bits applies to RSA keys only');

  const force = args.force === true || args.force === 'true';
  return { domain, selector, algorithm, bits, force };
}

const generateKeyPairAsync = promisify(generateKeyPair);

/** Off the event loop: a 4096-bit RSA key takes seconds, and a running server keeps serving. */
async function generate(request: KeygenRequest): Promise<KeyObject> {
  const pair = request.algorithm === 'rsa-sha256' ? await generateKeyPairAsync('rsa', { modulusLength: request.bits }) : await generateKeyPairAsync('ed25519', {});
  return pair.privateKey;
}

/**
 * Generates a key into the key directory and returns what the operator must publish. Refuses
 * to overwrite a key file (unless forced), and refuses a selector that another algorithm's key
 * of the domain already uses: both would claim the same DNS name.
 */
export async function generateKey(
  directory: string,
  request: KeygenRequest,
  existing: readonly SigningKey[],
  inServer: boolean,
): Promise<{ file: string; text: string }> {
  const clash = existing.find((k) => k.domain === request.domain && k.selector === request.selector && k.algorithm !== request.algorithm);
  if (clash) throw new Error(`selector ${request.selector} of ${request.domain} already has an ${clash.algorithm} key (${clash.source}); choose another --selector`);
  const file = keyFilePath(directory, request.domain, request.selector, request.algorithm);
  const key = await generate(request);
  const pem = key.export({ type: 'pkcs8', format: 'pem' }).toString();
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  try {
    // `wx` fails when the file exists: no window in which an existing key could be lost.
    await writeFile(file, pem, { mode: 0o600, flag: request.force ? 'w' : 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new Error(`${file} exists; use --force to replace it (and publish the new record)`, { cause: err });
    throw err;
  }
  // A replaced file keeps the mode it had; a private key is for the server's user only.
  await chmod(file, 0o600);
  const record = zoneLine(recordName(request.selector, request.domain), keyRecordValue(key));
  const size = request.algorithm === 'rsa-sha256' ? `, ${request.bits} bits` : '';
  const text = [
    `Wrote ${file} (${request.algorithm}${size}).`,
    inServer ? `The running server signs mail From ${request.domain} with it from now on.` : `The server signs mail From ${request.domain} with it from its next start.`,
    'Publish this DNS record so that receivers can verify the signatures:',
    '',
    record,
  ].join('\n');
  return { file, text };
}
