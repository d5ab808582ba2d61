import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { callControl, isPosthornError } from '@posthorn/core';
import { fixture, startTestServer, tempDir, type TestServer } from '@posthorn/testkit';

describe('control socket', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let server: TestServer;
  let socket: string;

  before(async () => {
    dir = await tempDir();
    socket = join(dir.path, 'control.sock');
    server = await startTestServer({ control: { enabled: true, socket }, plugins: [fixture('memory-queue'), fileURLToPath(new URL('./fixtures/admin-echo.ts', import.meta.url))] }, { dir: dir.path });
  });
  after(async () => {
    await server.stop();
    await dir.remove();
  });

  it('rejects an unknown command with PH_ADMIN_UNKNOWN', async () => {
    await assert.rejects(callControl(socket, 'no.such'), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'PH_ADMIN_UNKNOWN');
      assert.match(err.message, /unknown admin command: no\.such/);
      return true;
    });
  });

  it('passes on the error code of a command that fails in the server', async () => {
    // memory-queue taps the queue hook but provides no Queue service.
    await assert.rejects(callControl(socket, 'queue.list'), (err: Error & { code?: string }) => err.code === 'PH_SERVICE_MISSING');
  });

  it('runs a command in the server process and returns its result', async () => {
    const result = await callControl(socket, 'test.echo', { id: 'abc', n: 2 });
    assert.deepEqual(result, { echo: { id: 'abc', n: 2 }, pid: process.pid });
  });

  it('rejects with PH_ADMIN_UNREACHABLE when nobody listens on the path', async () => {
    await assert.rejects(callControl(join(dir.path, 'nobody-here.sock'), 'queue.list'), (err: unknown) => {
      assert.ok(isPosthornError(err, 'PH_ADMIN_UNREACHABLE'), String(err));
      assert.match(err.message, /nobody-here\.sock/);
      return true;
    });
  });
});
