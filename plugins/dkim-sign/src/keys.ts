import { createPrivateKey, type KeyObject } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@posthorn/core';
import { isValidSelector, normalizeDomain, parseKeyFileName } from './names.ts';
import type { ConfiguredKey, DkimAlgorithm } from './options.ts';

/** A private key ready to sign with, for one domain and selector. */
export interface SigningKey {
  /** A-labels, lower case. */
  readonly domain: string;
  readonly selector: string;
  readonly algorithm: DkimAlgorithm;
  readonly key: KeyObject;
  /** PKCS#8 PEM, the form mailauth takes. */
  readonly pem: string;
  /** `config` or the file the key came from, for logs. */
  readonly source: string;
}

/** RFC 8301 3.2: signers MUST use RSA keys of at least 1024 bits. */
const MIN_RSA_BITS = 1024;

/** Parses and checks a private key; the error says what is wrong with it. */
export function parsePrivateKey(pem: string | Buffer, algorithm: DkimAlgorithm): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch (err) {
    throw new Error(`not a PEM private key (${(err as Error).message})`, { cause: err });
  }
  const expected = algorithm === 'rsa-sha256' ? 'rsa' : 'ed25519';
  if (key.asymmetricKeyType !== expected) throw new Error(`a ${key.asymmetricKeyType} key cannot sign ${algorithm}`);
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (expected === 'rsa' && (bits === undefined || bits < MIN_RSA_BITS)) throw new Error(`RSA key of ${bits} bits; at least ${MIN_RSA_BITS} are required (RFC 8301)`);
  return key;
}

function signingKey(domain: string, selector: string, algorithm: DkimAlgorithm, key: KeyObject, source: string): SigningKey {
  return Object.freeze({ domain, selector, algorithm, key, pem: key.export({ type: 'pkcs8', format: 'pem' }).toString(), source });
}

/** Keys from the config: any problem is a configuration error, reported at setup. */
export async function loadConfiguredKeys(keys: readonly ConfiguredKey[], resolvePath: (path: string) => string): Promise<SigningKey[]> {
  const loaded: SigningKey[] = [];
  for (const [index, entry] of keys.entries()) {
    const where = `keys[${index}] (${entry.selector}._domainkey.${entry.domain})`;
    const domain = normalizeDomain(entry.domain);
    if (!domain) throw new Error(`${where}: not a domain name`);
    if (!isValidSelector(entry.selector)) throw new Error(`${where}: not a valid selector`);
    let pem: string | Buffer;
    if (entry.privateKey !== undefined) pem = entry.privateKey;
    else {
      const file = resolvePath(entry.privateKeyFile!);
      try {
        pem = await readFile(file);
      } catch (err) {
        throw new Error(`${where}: cannot read ${file}: ${(err as Error).message}`, { cause: err });
      }
    }
    try {
      loaded.push(signingKey(domain, entry.selector, entry.algorithm, parsePrivateKey(pem, entry.algorithm), 'config'));
    } catch (err) {
      throw new Error(`${where}: ${(err as Error).message}`, { cause: err });
    }
  }
  return loaded;
}

async function entries(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/**
 * Keys in the key directory: `<domain>/<selector>.<rsa|ed25519>.pem`. A file that is not a
 * usable key is logged and skipped, so one bad file does not stop the others from signing.
 */
export async function loadKeyDirectory(dir: string, log: Logger): Promise<SigningKey[]> {
  const loaded: SigningKey[] = [];
  for (const domainEntry of await entries(dir)) {
    if (!domainEntry.isDirectory()) continue;
    const domain = normalizeDomain(domainEntry.name);
    if (domain !== domainEntry.name) {
      log.warn({ dir: join(dir, domainEntry.name) }, 'dkim-sign: skipped a directory whose name is not a lower-case (A-label) domain');
      continue;
    }
    for (const fileEntry of await entries(join(dir, domainEntry.name))) {
      const parsed = fileEntry.isFile() ? parseKeyFileName(fileEntry.name) : undefined;
      if (!parsed) continue;
      const file = join(dir, domainEntry.name, fileEntry.name);
      try {
        const key = parsePrivateKey(await readFile(file), parsed.algorithm);
        loaded.push(signingKey(domain, parsed.selector, parsed.algorithm, key, file));
      } catch (err) {
        log.error({ file, err: (err as Error).message }, 'dkim-sign: skipped a key file that cannot be used');
      }
    }
  }
  return loaded;
}

/**
 * The keys to sign with, by domain. The configured keys are fixed; the key directory is read
 * again on `reload()` (after `dkim.keygen`), and the new set replaces the old in one step, so
 * a message being signed uses one consistent set.
 */
export class KeyStore {
  readonly directory: string;
  readonly #configured: readonly SigningKey[];
  readonly #log: Logger;
  #byDomain = new Map<string, readonly SigningKey[]>();

  private constructor(directory: string, configured: readonly SigningKey[], log: Logger) {
    this.directory = directory;
    this.#configured = configured;
    this.#log = log;
  }

  static async open(options: { configured: readonly SigningKey[]; directory: string; log: Logger }): Promise<KeyStore> {
    const store = new KeyStore(options.directory, options.configured, options.log);
    await store.reload();
    return store;
  }

  async reload(): Promise<void> {
    const all = [...this.#configured, ...(await loadKeyDirectory(this.directory, this.#log))];
    const byDomain = new Map<string, SigningKey[]>();
    for (const key of all) {
      const list = byDomain.get(key.domain) ?? [];
      // The same selector and algorithm twice (config and file) would sign twice alike.
      if (!list.some((k) => k.selector === key.selector && k.algorithm === key.algorithm)) list.push(key);
      byDomain.set(key.domain, list);
    }
    this.#byDomain = byDomain;
    this.#log.debug({ keys: all.map((k) => `${k.selector}._domainkey.${k.domain} ${k.algorithm}`) }, 'dkim-sign: keys loaded');
  }

  /** Keys of a domain (A-labels, lower case), every one of which signs. */
  keysFor(domain: string): readonly SigningKey[] {
    return this.#byDomain.get(domain) ?? [];
  }

  all(): SigningKey[] {
    return [...this.#byDomain.values()].flat();
  }
}
