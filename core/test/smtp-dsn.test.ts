import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { fixture, SmtpClient, startTestServer, tempDir } from '@posthorn/testkit';

const bounceListener = fileURLToPath(new URL('./fixtures/bounce-listener.ts', import.meta.url));

async function ehloLines(plugins: string[]): Promise<readonly string[]> {
  const dir = await tempDir();
  const server = await startTestServer({ plugins }, { dir: dir.path });
  try {
    const client = await SmtpClient.open(server.port());
    const ehlo = await client.command('EHLO client.test');
    client.close();
    return ehlo.lines;
  } finally {
    await server.stop();
    await dir.remove();
  }
}

describe('DSN extension (RFC 3461)', () => {
  it('is advertised when a plugin turns failures into notifications', async () => {
    assert.ok((await ehloLines([fixture('memory-queue'), bounceListener])).includes('DSN'));
  });
  it('is not advertised when nothing taps the bounce hook', async () => {
    assert.ok(!(await ehloLines([fixture('memory-queue')])).includes('DSN'));
  });
});
