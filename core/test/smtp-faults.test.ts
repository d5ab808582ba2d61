import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { captureLogs, fixture, SmtpClient, startTestServer, tempDir, type TestServer } from '@posthorn/testkit';
import { queued } from '@posthorn/testkit/fixtures/memory-queue.ts';
import { command, message, next, queueIdOf } from './helpers/replies.ts';

type Hook = 'rcpt' | 'mailFrom' | 'data';
type Mode = 'throw' | 'hang' | 'garbage';

const CASES: [Hook, Mode][] = [
  ['rcpt', 'throw'],
  ['mailFrom', 'throw'],
  ['data', 'throw'],
  ['rcpt', 'hang'],
  ['mailFrom', 'hang'],
  ['data', 'hang'],
  ['rcpt', 'garbage'],
  ['mailFrom', 'garbage'],
  ['data', 'garbage'],
];

/** A full clean transaction on its own connection; returns the queue id. */
async function deliverClean(port: number, subject: string): Promise<string> {
  const client = await SmtpClient.open(port);
  await command(client, 'EHLO clean.test', 250, '');
  await command(client, 'MAIL FROM:<clean@example.org>', 250, '2.1.0');
  await command(client, 'RCPT TO:<carol@localhost>', 250, '2.1.5');
  await command(client, 'DATA', 354, '');
  client.write(`${message(subject)}.\r\n`);
  const ok = await next(client, 250, '2.0.0');
  await command(client, 'QUIT', 221, '2.0.0');
  client.close();
  return queueIdOf(ok);
}

describe('a misbehaving plugin costs one transaction, never the server', () => {
  for (const [hook, mode] of CASES) {
    describe(`${mode} in ${hook}`, () => {
      let dir: Awaited<ReturnType<typeof tempDir>>;
      let server: TestServer;
      const logs = captureLogs('info');

      before(async () => {
        dir = await tempDir();
        server = await startTestServer(
          {
            // Small, so a hanging tap is cut off quickly; the clean traffic needs far less.
            timeouts: { hook: 300 },
            plugins: [fixture('memory-queue'), { plugin: fixture('fault'), options: { hook, mode, trigger: 'fault' } }],
          },
          { dir: dir.path, logger: logs.logger },
        );
      });
      after(async () => {
        await server.stop();
        await dir.remove();
      });

      it('answers 451 4.3.0 to the transaction that triggers it while another connection is served', async () => {
        const before = queued.length;
        const faulty = await SmtpClient.open(server.port());
        await command(faulty, 'EHLO faulty.test', 250, '');
        const from = hook === 'mailFrom' ? 'fault@example.org' : 'sender@example.org';
        const to = hook === 'rcpt' ? 'fault@localhost' : hook === 'data' ? 'fault-data@localhost' : 'bob@localhost';
        // Sent without waiting: the faulty step is in progress (or hanging) meanwhile.
        if (hook === 'mailFrom') {
          faulty.write(`MAIL FROM:<${from}>\r\n`);
        } else {
          await command(faulty, `MAIL FROM:<${from}>`, 250, '2.1.0');
          if (hook === 'rcpt') {
            faulty.write(`RCPT TO:<${to}>\r\n`);
          } else {
            await command(faulty, `RCPT TO:<${to}>`, 250, '2.1.5');
            await command(faulty, 'DATA', 354, '');
            faulty.write(`${message('faulty')}.\r\n`);
          }
        }
        const cleanId = await deliverClean(server.port(), `meanwhile-${hook}-${mode}`);
        assert.ok(queued.some((q) => q.envelope.id === cleanId));

        await next(faulty, 451, '4.3.0');
        // Nothing of the failed transaction was queued.
        assert.ok(!queued.slice(before).some((q) => q.envelope.mailFrom === from && q.envelope.recipients.some((r) => r.address === to)));

        // The same connection can start over.
        await command(faulty, 'RSET', 250, '2.0.0');
        await command(faulty, 'MAIL FROM:<sender@example.org>', 250, '2.1.0');
        await command(faulty, 'RCPT TO:<bob@localhost>', 250, '2.1.5');
        await command(faulty, 'DATA', 354, '');
        faulty.write(`${message('recovered')}.\r\n`);
        await next(faulty, 250, '2.0.0');
        faulty.close();
      });

      it('logs the failure with the plugin name', () => {
        const line = logs.lines.find((l) => l.level === 'error' && l.hook === hook);
        assert.ok(line, `no error logged for ${hook}`);
        assert.equal(line.plugin, 'test-fault');
        if (mode === 'hang') assert.equal(line.kind, 'timeout');
      });

      it('keeps serving: a following connection delivers a message', async () => {
        const id = await deliverClean(server.port(), `after-${hook}-${mode}`);
        assert.ok(queued.some((q) => q.envelope.id === id));
      });
    });
  }
});

describe('without a queue plugin', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let server: TestServer;

  before(async () => {
    dir = await tempDir();
    const acceptRcpt = fileURLToPath(new URL('./fixtures/accept-rcpt.ts', import.meta.url));
    server = await startTestServer({ plugins: [acceptRcpt] }, { dir: dir.path });
  });
  after(async () => {
    await server.stop();
    await dir.remove();
  });

  it('nobody taps the queue hook', () => {
    assert.equal(server.app.hooks.isUsed('queue'), false);
    assert.equal(server.app.hooks.isUsed('rcpt'), true);
  });

  it('answers 451 4.3.0 at the end of DATA, and the session goes on', async () => {
    const client = await SmtpClient.open(server.port());
    await command(client, 'EHLO client.test', 250, '');
    await command(client, 'MAIL FROM:<a@example.org>', 250, '2.1.0');
    await command(client, 'RCPT TO:<bob@localhost>', 250, '2.1.5');
    await command(client, 'DATA', 354, '');
    client.write(`${message('unqueued')}.\r\n`);
    await next(client, 451, '4.3.0');
    await command(client, 'MAIL FROM:<a@example.org>', 250, '2.1.0');
    client.close();
  });
});
