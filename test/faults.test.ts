/**
 * A misbehaving plugin in the real binary: the testkit's fault fixture throws, or hangs past
 * its time budget, in the rcpt hook for recipients containing a trigger. The client gets
 * `451 4.3.0` (a generic text, no plugin name), other connections are served meanwhile, the
 * process stays up, and its log names the plugin.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { fixture, type Reply, SmtpClient } from '@posthorn/testkit';
import { waitForToken } from './helpers/maildir.ts';
import { createInstallation, type Installation } from './helpers/posthorn.ts';
import { command, expectReply } from './helpers/replies.ts';

/** A complete, ordinary transaction to alice on its own connection; resolves with the final reply. */
async function deliverToAlice(port: number, token: string): Promise<Reply> {
  const client = await SmtpClient.open(port);
  try {
    await command(client, 'EHLO normal.example', 250, '');
    await command(client, 'MAIL FROM:<x@example.org>', 250, '2.1.0');
    await command(client, 'RCPT TO:<alice@localhost>', 250, '2.1.5');
    await command(client, 'DATA', 354, '');
    client.write(`Subject: ${token}\r\n\r\n${token}\r\n.\r\n`);
    return await client.reply(30_000);
  } finally {
    client.close();
  }
}

function parse(line: string): Record<string, unknown> {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** Waits (on the process's output, not a timer) for the error line naming the plugin. */
async function errorLineFor(install: Installation, kind: 'error' | 'timeout'): Promise<Record<string, unknown>> {
  const line = await install.server.waitForLine((text) => {
    const entry = parse(text);
    return entry.plugin === 'test-fault' && entry.kind === kind;
  }, 30_000);
  return parse(line);
}

for (const mode of ['throw', 'hang'] as const) {
  describe(`a plugin that ${mode === 'throw' ? 'throws' : 'hangs'} in the rcpt hook`, () => {
    let install: Installation;
    let exited = false;

    before(async () => {
      install = await createInstallation({
        // 300 ms budget for the fixture only; the embedded plugins keep the default.
        extraPlugins: [{ plugin: fixture('fault'), options: { hook: 'rcpt', mode, trigger: mode === 'throw' ? 'boom' : 'hang' }, timeout: 300 }],
      });
      void install.server.exited.then(() => (exited = true));
    });
    after(() => install?.dispose());

    it('answers 451 4.3.0 for the triggering recipient while another connection delivers to alice', async () => {
      const trigger = mode === 'throw' ? 'boom@localhost' : 'hang@localhost';
      const client = await SmtpClient.open(install.port());
      const token = randomUUID();
      let normal: Promise<Reply> | undefined;
      try {
        await command(client, 'EHLO faulty.example', 250, '');
        await command(client, 'MAIL FROM:<x@example.org>', 250, '2.1.0');
        client.write(`RCPT TO:<${trigger}>\r\n`);
        // The RCPT is on its way (and, for `hang`, pending in the plugin): a second client
        // runs a whole transaction meanwhile.
        normal = deliverToAlice(install.port(), token);
        const [faulty, ok] = await Promise.all([client.reply(30_000), normal]);
        expectReply(faulty, 451, '4.3.0');
        // The reply is generic: which plugin failed, and how, is for the log only.
        assert.doesNotMatch(faulty.raw, /test-fault|deliberate|plugin|ms\b/i);
        expectReply(ok, 250, '2.0.0');

        // The faulty session is not poisoned: the same transaction goes on for alice.
        await command(client, 'RCPT TO:<alice@localhost>', 250, '2.1.5');
        await command(client, 'DATA', 354, '');
        client.write(`Subject: after-${token}\r\n\r\nafter the fault\r\n.\r\n`);
        expectReply(await client.reply(30_000), 250, '2.0.0');
        await command(client, 'QUIT', 221, '2.0.0');
      } finally {
        client.close();
        await normal?.catch(() => undefined);
      }
      await waitForToken(install.maildir('alice@localhost'), token);
      await waitForToken(install.maildir('alice@localhost'), `after-${token}`);
    });

    it('logs an error line that names the plugin and the hook', async () => {
      const entry = await errorLineFor(install, mode === 'throw' ? 'error' : 'timeout');
      assert.equal(entry.level, 'error', JSON.stringify(entry));
      assert.equal(entry.hook, 'rcpt');
      assert.match(String(entry.msg), /test-fault/);
      if (mode === 'hang') assert.match(String(entry.msg), /within 300 ms/);
      else assert.match(JSON.stringify(entry.err), /deliberate failure/);
    });

    it('keeps the process alive and serving', async () => {
      assert.equal(exited, false, 'the server exited');
      // Signal 0 checks the pid exists without touching it.
      assert.doesNotThrow(() => process.kill(install.server.pid, 0));
      const token = randomUUID();
      expectReply(await deliverToAlice(install.port(), token), 250, '2.0.0');
      await waitForToken(install.maildir('alice@localhost'), token);
      // A second triggering RCPT fails the same way: nothing was left in a bad state.
      const client = await SmtpClient.open(install.port());
      try {
        await command(client, 'EHLO faulty.example', 250, '');
        await command(client, 'MAIL FROM:<x@example.org>', 250, '2.1.0');
        await command(client, `RCPT TO:<${mode === 'throw' ? 'boom' : 'hang'}@example.test>`, 451, '4.3.0');
        await command(client, 'QUIT', 221, '2.0.0');
      } finally {
        client.close();
      }
      assert.equal(exited, false, 'the server exited');
    });
  });
}
