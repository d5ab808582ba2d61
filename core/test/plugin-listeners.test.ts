/**
 * What the core gives plugins that open listeners of their own (POP3, IMAP): the server's TLS
 * material, loaded once and the same the SMTP listeners present, and a way to report the
 * listener so that it is listed with the core's.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { connect } from 'node:tls';
import { isPosthornError } from '@posthorn/core';
import { fixture, startTestServer, tempDir } from '@posthorn/testkit';
import { observed } from './fixtures/own-listener.ts';

const OWN_LISTENER = fileURLToPath(new URL('./fixtures/own-listener.ts', import.meta.url));

/** The certificate an SMTP listener presents after STARTTLS. */
async function smtpCertificate(port: number): Promise<Buffer> {
  const socket = createConnection({ host: '127.0.0.1', port });
  let buffer = '';
  const read = (pattern: RegExp) =>
    new Promise<void>((resolve) => {
      const onData = (chunk: Buffer) => {
        buffer += chunk.toString();
        if (!pattern.test(buffer)) return;
        socket.off('data', onData);
        buffer = '';
        resolve();
      };
      socket.on('data', onData);
    });
  await read(/^220 .*\r\n/m);
  socket.write('EHLO test\r\n');
  await read(/^250 .*\r\n/m);
  socket.write('STARTTLS\r\n');
  await read(/^220 .*\r\n/m);
  const secure = connect({ socket, rejectUnauthorized: false });
  await new Promise((resolve) => secure.once('secureConnect', resolve));
  const raw = secure.getPeerCertificate().raw;
  secure.destroy();
  return raw;
}

describe('plugins with listeners of their own', () => {
  const dirs: { remove(): Promise<void> }[] = [];
  after(async () => {
    for (const dir of dirs) await dir.remove();
  });

  it('get the TLS material once, the same the SMTP listeners present, and are listed with them', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    observed.length = 0;
    const server = await startTestServer({ listeners: [{ role: 'submission', port: 0 }], plugins: [fixture('memory-queue'), OWN_LISTENER] }, { dir: dir.path });
    try {
      const own = server.listeners.find((l) => l.name === 'own-listener');
      assert.ok(own, JSON.stringify(server.listeners));
      assert.equal(own.role, 'test');
      assert.ok(own.port > 0);
      assert.deepEqual(server.app.listenerAddresses().map((l) => l.name), ['submission', 'own-listener']);
      assert.equal(observed.length, 2);
      assert.equal(observed[0], observed[1], 'one load, one object, for every call');
      const pem = await readFile(join(dir.path, 'var/tls/cert.pem'));
      assert.deepEqual(observed[0]!.cert, pem, 'the self-signed certificate the core keeps under the data directory');
      assert.deepEqual(await smtpCertificate(server.port('submission')), new X509Certificate(pem).raw, 'the SMTP listener presents the same one');
    } finally {
      await server.stop();
    }
    assert.deepEqual(server.app.listenerAddresses(), [], 'forgotten once stopped');
  });

  it('refuses a listener name that is already taken, with PH_LISTENER', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    await assert.rejects(
      startTestServer({ listeners: [{ role: 'mx', port: 0 }], plugins: [fixture('memory-queue'), { plugin: OWN_LISTENER, options: { name: 'mx' } }] }, { dir: dir.path }),
      (err: unknown) => isPosthornError(err, 'PH_LISTENER') && /already in use/.test((err as Error).message),
    );
  });
});
