import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { generate } from 'selfsigned';
import { PosthornError } from './errors.ts';

export interface TlsMaterial {
  readonly key: Buffer;
  readonly cert: Buffer;
  /** Where they came from, for the log. */
  readonly source: 'configured' | 'generated' | 'stored';
}

/**
 * The server's key and certificate: the configured files, or a self-signed pair kept in the
 * data directory (made on first start) so the embedded default offers TLS out of the box.
 */
export async function loadTls(options: { key?: string; cert?: string; dataDir: string; hostname: string; log: Logger }): Promise<TlsMaterial> {
  if (options.key && options.cert) {
    try {
      return { key: await readFile(options.key), cert: await readFile(options.cert), source: 'configured' };
    } catch (err) {
      throw new PosthornError('PH_TLS', `cannot read TLS key or certificate: ${(err as Error).message}`, { key: options.key, cert: options.cert }, { cause: err });
    }
  }
  const dir = join(options.dataDir, 'tls');
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  try {
    return { key: await readFile(keyPath), cert: await readFile(certPath), source: 'stored' };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new PosthornError('PH_TLS', `cannot read ${dir}: ${(err as Error).message}`, { dir });
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const now = new Date();
  const pems = await generate([{ name: 'commonName', value: options.hostname }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: now,
    notAfterDate: new Date(now.getTime() + 825 * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: options.hostname },
          ...(options.hostname === 'localhost' ? [] : [{ type: 2 as const, value: 'localhost' }]),
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  // Written to temporary names and renamed, so a crash never leaves half a key behind.
  await writeFile(`${keyPath}.tmp`, pems.private, { mode: 0o600 });
  await writeFile(`${certPath}.tmp`, pems.cert, { mode: 0o644 });
  await rename(`${keyPath}.tmp`, keyPath);
  await rename(`${certPath}.tmp`, certPath);
  options.log.info({ cert: certPath }, 'generated a self-signed TLS certificate');
  return { key: Buffer.from(pems.private), cert: Buffer.from(pems.cert), source: 'generated' };
}
