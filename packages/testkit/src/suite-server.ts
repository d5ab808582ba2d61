import { after, before } from 'node:test';
import type { Logger } from '@posthorn/core';
import { startTestServer, type TestServer } from './server.ts';
import { tempDir } from './temp.ts';

/**
 * One server for the tests of a describe block: a temporary data directory and startTestServer
 * before them, stop and removal after. Call it in the block's body; `server` is there once the
 * block's tests run.
 */
export function suiteServer(config: Record<string, unknown>, options: { logger?: Logger } = {}): { readonly server: TestServer } {
  let dir: Awaited<ReturnType<typeof tempDir>> | undefined;
  let started: TestServer | undefined;
  before(async () => {
    dir = await tempDir();
    started = await startTestServer(config, { dir: dir.path, ...(options.logger ? { logger: options.logger } : {}) });
  });
  after(async () => {
    await started?.stop();
    await dir?.remove();
  });
  return {
    get server() {
      if (!started) throw new Error('the suite server is not running (use it inside the tests of its describe block)');
      return started;
    },
  };
}
