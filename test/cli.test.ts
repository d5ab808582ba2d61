/**
 * The embedded default as shipped: `posthorn check-config` accepts it, and the config that
 * `npm start` runs (copied, with ports 0 and a temp data directory) starts, takes a message
 * for a user added through the CLI, delivers it, and stops with exit code 0 on SIGTERM.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runPosthorn, SmtpClient, spawnPosthorn, startDnsServer, tempDir, type TestDnsServer, reverseName } from '@posthorn/testkit';
import { copyForTest, ROOT, startScriptConfig } from './helpers/embedded.ts';
import { splitReceived, waitForToken } from './helpers/maildir.ts';
import { explain } from './helpers/posthorn.ts';
import { command, expectReply } from './helpers/replies.ts';

describe('the embedded default config', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let dns: TestDnsServer;

  before(async () => {
    dir = await tempDir('posthorn-e2e-cli-');
    dns = await startDnsServer({ [reverseName('127.0.0.1')]: { PTR: ['localhost'] } });
  });
  after(async () => {
    await dns?.close();
    await dir?.remove();
  });

  it('passes posthorn check-config', async () => {
    const result = await runPosthorn(['--config', join(ROOT, 'config/posthorn.config.yaml'), 'check-config'], { cwd: ROOT });
    assert.equal(result.code, 0, explain(result));
    assert.match(result.stdout, /^ok\n/);
    assert.match(result.stdout, /: 3 listener\(s\) \(mx \(mx\) 127\.0\.0\.1:2525, submission \(submission\) 127\.0\.0\.1:2587, submissions \(submissions\) 127\.0\.0\.1:2465\)/);
    assert.match(result.stdout, /; 12 plugin\(s\) \(accounts-file [^,]+, mailbox-maildir [^,]+, queue-fs [^,]+, auth [^,]+, relay [^,]+, sender-policy [^,]+, headers [^,]+, dkim-sign [^,]+, outbound [^,]+, dsn [^,]+, pop3 [^,]+, imap [^)]+\)/);
  });

  it("is what npm start runs, and a copy of it on port 0 serves a message and stops with 0 on SIGTERM", async () => {
    const source = await startScriptConfig();
    assert.equal(source, join(ROOT, 'config/posthorn.config.yaml'));
    const config = await copyForTest(source, dir.path, dns.server);
    const posthorn = (args: string[], input?: string) => runPosthorn(['--config', config, ...args], input === undefined ? {} : { input });

    const added = await posthorn(['user', 'add', 'alice@localhost', '--password-stdin'], 'correct horse battery staple\n');
    assert.equal(added.code, 0, explain(added));

    const server = await spawnPosthorn({ configPath: config });
    try {
      // The three SMTP listeners of the embedded default, pop3's two and imap's two, on ports the system chose.
      assert.deepEqual(server.listeners.map((l) => [l.name, l.role, l.host]), [
        ['mx', 'mx', '127.0.0.1'],
        ['submission', 'submission', '127.0.0.1'],
        ['submissions', 'submissions', '127.0.0.1'],
        ['pop3', 'pop3', '127.0.0.1'],
        ['pop3s', 'pop3s', '127.0.0.1'],
        ['imap', 'imap', '127.0.0.1'],
        ['imaps', 'imaps', '127.0.0.1'],
      ]);
      assert.ok(server.listeners.every((l) => l.port > 0));

      const token = randomUUID();
      // A complete header: incoming mail with fields missing gets an X-Posthorn-Notes line.
      const message = `From: you@example.org\r\nTo: alice@localhost\r\nDate: Sun, 29 Nov 2026 06:00:00 +0000\r\nMessage-ID: <${token}@example.org>\r\nSubject: ${token}\r\n\r\nHi Alice!\r\n`;
      const client = await SmtpClient.open(server.ports.mx!);
      try {
        const ehlo = await command(client, 'EHLO client.example', 250, '');
        assert.match(ehlo.lines[0]!, /^localhost /, 'the embedded hostname');
        await command(client, 'MAIL FROM:<you@example.org>', 250, '2.1.0');
        await command(client, 'RCPT TO:<alice@localhost>', 250, '2.1.5');
        await command(client, 'DATA', 354, '');
        client.write(`${message}.\r\n`);
        expectReply(await client.reply(30_000), 250, '2.0.0');
        await command(client, 'QUIT', 221, '2.0.0');
      } finally {
        client.close();
      }
      // Where the README says to look: <dataDir>/mail/localhost/alice/new/.
      const [stored] = await waitForToken(join(dir.path, 'var/mail/localhost/alice'), token);
      assert.ok(stored!.file.startsWith(join(dir.path, 'var/mail/localhost/alice/new/')), stored!.file);
      assert.equal(splitReceived(stored!.bytes)?.rest.toString('latin1'), message);
    } catch (err) {
      await server.kill();
      throw err;
    }
    const exit = await server.stop('SIGTERM');
    assert.deepEqual(exit, { code: 0, signal: null }, server.stderr.join('\n'));
    assert.ok(server.logs().some((entry) => entry.msg === 'stopping' && entry.signal === 'SIGTERM'));
    // The copy changed only ports, data directory and DNS: the shipped file is untouched.
    assert.match(await readFile(source, 'utf8'), /port: 2525/);
  });
});
