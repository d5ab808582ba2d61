import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { captureLogs, tempDir } from '@posthorn/testkit';
import { startQueueServer } from './helpers.ts';

describe('queue-fs: one server per queue directory', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;

  before(async () => {
    dir = await tempDir();
  });
  after(async () => {
    await dir.remove();
  });

  it('refuses to start a second server on a locked queue, and frees the lock at stop', async () => {
    const queueDir = join(dir.path, 'queue');
    const first = await startQueueServer(dir.path, { dir: queueDir });
    try {
      const lock = JSON.parse(await readFile(join(queueDir, 'lock'), 'utf8'));
      assert.equal(lock.pid, process.pid);
      await assert.rejects(startQueueServer(dir.path, { dir: queueDir }), /queue-fs failed to start: queue directory .* is locked/);
    } finally {
      await first.stop();
    }
    const again = await startQueueServer(dir.path, { dir: queueDir });
    await again.stop();
  });

  it('takes over a lock left by a dead process, with a warning', async () => {
    const queueDir = join(dir.path, 'stale');
    await mkdir(queueDir, { recursive: true });
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    await writeFile(join(queueDir, 'lock'), JSON.stringify({ pid: dead, hostname: hostname(), since: '2020-01-01T00:00:00Z', token: 'old' }));
    const logs = captureLogs('info');
    const server = await startQueueServer(dir.path, { dir: queueDir }, logs.logger);
    try {
      assert.equal(logs.find('taking over a stale queue lock')[0]?.pid, dead);
      assert.equal(JSON.parse(await readFile(join(queueDir, 'lock'), 'utf8')).pid, process.pid);
    } finally {
      await server.stop();
    }
  });
});
