import * as crypto from 'node:crypto';
import { formatPhc, type PhcString, parsePhc } from './phc.ts';

/**
 * Password hashing: scrypt (always available) for new hashes, and verification of scrypt and
 * Argon2 PHC strings (Argon2 through node:crypto.argon2, present from Node 24.7).
 */

export interface ScryptCost {
  /** log2 of N, the CPU/memory cost. */
  readonly ln: number;
  readonly r: number;
  readonly p: number;
}

/** ln=15 is 32 MiB and roughly 0.1 s per hash: the usual interactive-login setting. */
export const DEFAULT_SCRYPT_COST: ScryptCost = Object.freeze({ ln: 15, r: 8, p: 1 });

const SALT_BYTES = 16;
const KEY_BYTES = 32;

type Argon2 = (algorithm: 'argon2d' | 'argon2i' | 'argon2id', parameters: crypto.Argon2Parameters, callback: (err: Error | null, key: Buffer) => void) => void;
/** Looked up at run time so that an older Node refuses Argon2 hashes instead of failing to start. */
const argon2 = (crypto as unknown as { argon2?: Argon2 }).argon2;

export function argon2Available(): boolean {
  return typeof argon2 === 'function';
}

function scrypt(password: string, salt: Buffer, keyLength: number, cost: ScryptCost): Promise<Buffer> {
  const N = 2 ** cost.ln;
  // node refuses when 128*N*r exceeds maxmem; allow what the parameters need, with headroom.
  const maxmem = 256 * N * cost.r + 128 * cost.r * cost.p + 1024 * 1024;
  return new Promise((resolve, reject) => {
    crypto.scrypt(password, salt, keyLength, { N, r: cost.r, p: cost.p, maxmem }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hashPassword(password: string, cost: ScryptCost = DEFAULT_SCRYPT_COST): Promise<string> {
  const salt = crypto.randomBytes(SALT_BYTES);
  const hash = await scrypt(password, salt, KEY_BYTES, cost);
  return formatPhc({ id: 'scrypt', params: { ln: cost.ln, r: cost.r, p: cost.p }, salt, hash });
}

/**
 * Checks that a stored hash is one we can verify, with parameters that cannot be used to make
 * a login cost minutes or gigabytes. Returns the reason it cannot, or undefined.
 */
export function checkPasswordHash(text: string): string | undefined {
  let phc: PhcString;
  try {
    phc = parsePhc(text);
  } catch (err) {
    return (err as Error).message;
  }
  if (phc.salt.length < 8) return 'salt shorter than 8 bytes';
  return unverifiable(phc);
}

/** Why a parsed hash cannot be verified (unknown algorithm, parameters out of bounds), or undefined. */
function unverifiable(phc: PhcString): string | undefined {
  if (phc.hash.length < 16 || phc.hash.length > 128) return 'hash length must be 16..128 bytes';
  if (phc.id === 'scrypt') {
    const { ln, r, p } = phc.params;
    if (ln === undefined || r === undefined || p === undefined) return 'scrypt needs ln, r and p';
    if (ln < 1 || ln > 20 || r < 1 || r > 32 || p < 1 || p > 16) return 'scrypt parameters out of range (ln 1..20, r 1..32, p 1..16)';
    return undefined;
  }
  if (phc.id === 'argon2id' || phc.id === 'argon2i' || phc.id === 'argon2d') {
    if (!argon2Available()) return `${phc.id} needs a Node with crypto.argon2`;
    if (phc.version !== undefined && phc.version !== 19) return 'only Argon2 version 19 (0x13) is supported';
    const { m, t, p } = phc.params;
    if (m === undefined || t === undefined || p === undefined) return 'argon2 needs m, t and p';
    if (p < 1 || p > 64 || m < 8 * p || m > 1024 * 1024 || t < 1 || t > 32) return 'argon2 parameters out of range (m up to 1 GiB, t 1..32, p 1..64)';
    return undefined;
  }
  return `unsupported hash algorithm ${phc.id}`;
}

/** Whether the password matches the PHC hash; false for malformed or unsupported hashes. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  let phc: PhcString;
  try {
    phc = parsePhc(stored);
  } catch {
    return false;
  }
  if (unverifiable(phc) !== undefined) return false;
  let computed: Buffer;
  if (phc.id === 'scrypt') {
    computed = await scrypt(password, phc.salt, phc.hash.length, { ln: phc.params.ln!, r: phc.params.r!, p: phc.params.p! });
  } else {
    computed = await new Promise<Buffer>((resolve, reject) =>
      argon2!(
        phc.id as 'argon2id',
        { message: password, nonce: phc.salt, parallelism: phc.params.p!, tagLength: phc.hash.length, memory: phc.params.m!, passes: phc.params.t! },
        (err, key) => (err ? reject(err) : resolve(key)),
      ),
    );
  }
  return crypto.timingSafeEqual(computed, phc.hash);
}

let dummy: Promise<string> | undefined;

/**
 * A hash of a random password with the default cost, made once: verifying against it lets an
 * unknown login take as long as a known one.
 */
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(crypto.randomBytes(18).toString('base64'));
  return dummy;
}
