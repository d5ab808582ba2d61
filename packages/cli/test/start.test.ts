import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fixture, runPosthorn, SmtpClient, spawnPosthorn, tempDir } from '@posthorn/testkit';
import { explain, writeConfig } from './helpers.ts';

describe('posthorn start', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  before(async () => {
    dir = await tempDir('posthorn-cli-');
  });
  after(() => dir.remove());

  it('logs ready with the ports, serves SMTP, and exits 0 on SIGTERM', async () => {
    const config = await writeConfig(dir.path, { listeners: [{ role: 'mx' }, { role: 'mx', name: 'mx2' }], plugins: [fixture('memory-queue')] });
    const server = await spawnPosthorn({ configPath: config });
    try {
      assert.deepEqual(Object.keys(server.ports).sort(), ['mx', 'mx2']);
      assert.ok(server.ports.mx! > 0 && server.ports.mx !== server.ports.mx2);
      // Not a terminal: every log line is JSON.
      assert.ok(server.lines.filter(Boolean).every((line) => JSON.parse(line)), server.lines.join('\n'));

      const client = await SmtpClient.connect(server.ports.mx!);
      const greeting = await client.reply();
      assert.equal(greeting.code, 220);
      assert.match(greeting.lines[0]!, /^mx\.test /);
      const reply = await client.send('Subject: hi\r\n\r\nhello\r\n', { from: 'a@example.org', to: ['bob@localhost'] });
      assert.equal(reply.code, 250, reply.raw);
      await client.command('QUIT');
      client.close();
    } catch (err) {
      await server.kill();
      throw err;
    }
    const exit = await server.stop('SIGTERM');
    assert.deepEqual(exit, { code: 0, signal: null }, server.stderr.join('\n'));
    assert.ok(server.logs().some((entry) => entry.msg === 'stopping' && entry.signal === 'SIGTERM'));
    assert.ok(server.logs().some((entry) => entry.msg === 'queued'), 'the message was logged as queued');
  });

  it('reloads rule files on SIGHUP and keeps serving; SIGINT stops it', async () => {
    const config = await writeConfig(dir.path, { plugins: [fixture('memory-queue')] });
    const server = await spawnPosthorn({ configPath: config });
    try {
      process.kill(server.pid, 'SIGHUP');
      await server.waitForLine((line) => /"msg":"reloading rule files/.test(line), 10_000);
      const client = await SmtpClient.open(server.ports.mx!);
      assert.equal((await client.command('EHLO client.test')).code, 250);
      await client.command('QUIT');
      client.close();
    } catch (err) {
      await server.kill();
      throw err;
    }
    assert.deepEqual(await server.stop('SIGINT'), { code: 0, signal: null });
  });

  it('takes a burst of signals (Ctrl-C under npm start) as one graceful stop', async () => {
    const config = await writeConfig(dir.path, { plugins: [fixture('memory-queue')] });
    const server = await spawnPosthorn({ configPath: config });
    // The terminal signals the process group and npm forwards the signal: two copies at once.
    process.kill(server.pid, 'SIGINT');
    process.kill(server.pid, 'SIGINT');
    process.kill(server.pid, 'SIGTERM');
    assert.deepEqual(await server.exited, { code: 0, signal: null }, server.stderr.join('\n'));
    assert.equal(server.logs().filter((entry) => entry.msg === 'stopping').length, 1);
    assert.doesNotMatch(server.stderr.join('\n'), /exiting now/);
  });

  it('exits at once on a later signal while connections are still draining', async () => {
    const config = await writeConfig(dir.path, { plugins: [fixture('memory-queue')] });
    const server = await spawnPosthorn({ configPath: config });
    // An idle client keeps the graceful stop waiting (the listener's grace period is 30 s).
    const client = await SmtpClient.open(server.ports.mx!);
    try {
      process.kill(server.pid, 'SIGTERM');
      await server.waitForLine((line) => /"msg":"stopping"/.test(line), 10_000);
      // Signals right after the first count as the same request; keep asking until one is
      // taken as the operator's second request.
      let exit: Awaited<typeof server.exited> | undefined;
      const deadline = Date.now() + 10_000;
      while (!exit && Date.now() < deadline) {
        process.kill(server.pid, 'SIGTERM');
        exit = await Promise.race([server.exited, new Promise<undefined>((next) => setTimeout(() => next(undefined), 100))]);
      }
      assert.equal(exit?.code, 128 + 15, server.stderr.join('\n'));
      assert.match(server.stderr.join('\n'), /second SIGTERM while stopping, exiting now/);
    } finally {
      client.close();
      await server.kill();
    }
  });

  it('fails with a one-line PH_LISTENER error when the port is taken', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((listening) => blocker.listen(0, '127.0.0.1', listening));
    const port = (blocker.address() as { port: number }).port;
    try {
      const config = await writeConfig(dir.path, { listeners: [{ role: 'mx', port }], plugins: [fixture('memory-queue')] });
      const result = await runPosthorn(['--config', config, 'start']);
      assert.notEqual(result.code, 0, explain(result));
      assert.match(result.stderr, /^posthorn: PH_LISTENER: listener mx cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/);
      assert.equal(result.stderr.trimEnd().split('\n').length, 1, result.stderr);
      assert.ok(!result.stdout.includes('"msg":"ready"'));
    } finally {
      blocker.close();
    }
  });

  it('fails with the error code when a plugin cannot be loaded', async () => {
    const config = await writeConfig(dir.path, { plugins: ['no-such-plugin'] });
    const result = await runPosthorn(['--config', config, 'start']);
    assert.equal(result.code, 1, explain(result));
    assert.match(result.stderr, /^posthorn: PH_PLUGIN_NOT_FOUND: /);
  });
});
