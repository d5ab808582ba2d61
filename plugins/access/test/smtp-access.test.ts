import assert from 'node:assert/strict';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isPosthornError } from '@posthorn/core';
import { captureLogs, fixture, type Reply, SmtpClient, startTestServer, tempDir, type TestServer } from '@posthorn/testkit';
import { command, expectReply, sendData, tryRecipient } from './helpers.ts';

describe('access: each action at each stage, on the mx listener', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let server: TestServer;
  let file: string;
  const logs = captureLogs('info');

  /** Replaces the access file (rename, as editors do) and reloads it; asserts it was taken. */
  async function rules(yaml: string): Promise<void> {
    await writeFile(`${file}.new`, yaml);
    await rename(`${file}.new`, file);
    assert.deepEqual(await server.app.admin('reload'), [{ file, reloaded: true }]);
  }

  async function open(helo = 'client.example'): Promise<SmtpClient> {
    const client = await SmtpClient.open(server.port('mx'));
    await command(client, `EHLO ${helo}`, 250, '');
    return client;
  }

  /** Connects and reads the first reply, whatever it is. */
  async function connect(): Promise<{ client: SmtpClient; greeting: Reply }> {
    const client = await SmtpClient.connect(server.port('mx'));
    return { client, greeting: await client.reply() };
  }

  before(async () => {
    dir = await tempDir();
    file = join(dir.path, 'access.yaml');
    await writeFile(file, 'rules: []\n');
    server = await startTestServer({ plugins: [{ plugin: 'access', options: { file: 'access.yaml' } }, fixture('memory-queue')] }, { dir: dir.path, logger: logs.logger });
  });
  after(async () => {
    await server.stop();
    await dir.remove();
  });

  it('connect: reject answers 554 5.7.1 and tempfail 421 4.7.1, and both close the connection', async () => {
    await rules('rules:\n  - { client: 127.0.0.0/8, action: reject }\n');
    const refused = await connect();
    expectReply(refused.greeting, 554, '5.7.1');
    await refused.client.waitClosed();
    assert.ok(logs.find('access: rejected').some((line) => line.rule === '/rules/0' && line.stage === 'connect'));

    await rules('rules:\n  - { client: ["192.0.2.1", "127.0.0.1"], action: tempfail }\n');
    const deferred = await connect();
    expectReply(deferred.greeting, 421, '4.7.1');
    await deferred.client.waitClosed();
  });

  it('connect: allow skips the entries after it, for the whole session', async () => {
    await rules(
      ['rules:', '  - { client: 127.0.0.1, action: allow }', '  - { helo: bad.example, action: reject }', '  - { sender: "@spam.example", action: reject }', '  - { recipient: blocked@localhost, action: reject }'].join('\n'),
    );
    const client = await open('bad.example');
    expectReply(await tryRecipient(client, 'x@spam.example', 'blocked@localhost'), 250, '2.1.5');
    client.close();
  });

  it('helo: reject answers 550 5.7.1 and tempfail 451 4.7.1; the client may greet again', async () => {
    await rules('rules:\n  - { helo: .bad.example, action: reject }\n  - { helo: "[192.0.2.1]", action: tempfail }\n');
    const client = await SmtpClient.open(server.port('mx'));
    await command(client, 'EHLO host.bad.example', 550, '5.7.1');
    await command(client, 'HELO [192.0.2.1]', 451, '4.7.1');
    await command(client, 'EHLO good.example', 250, '');
    expectReply(await tryRecipient(client, 'a@example.org', 'bob@localhost'), 250, '2.1.5');
    client.close();
  });

  it('mailFrom: reject (550 5.7.1), tempfail (451 4.7.1), the null sender as <>, and allow', async () => {
    await rules(
      [
        'rules:',
        '  - { sender: "@spam.example", action: reject }',
        '  - { sender: ".slow.example", action: tempfail }',
        '  - { sender: "<>", action: reject }',
        '  - { sender: boss@example.org, action: allow }',
        '  - { recipient: "@localhost", action: reject }',
      ].join('\n'),
    );
    const client = await open();
    await command(client, 'MAIL FROM:<someone@spam.example>', 550, '5.7.1');
    await command(client, 'MAIL FROM:<someone@mx.slow.example>', 451, '4.7.1');
    await command(client, 'MAIL FROM:<>', 550, '5.7.1');
    // The allow entry comes before the recipient entry: nothing after it is checked.
    await command(client, 'MAIL FROM:<boss@example.org>', 250, '2.1.0');
    await command(client, 'RCPT TO:<bob@localhost>', 250, '2.1.5');
    await command(client, 'RSET', 250, '2.0.0');
    await command(client, 'MAIL FROM:<clerk@example.org>', 250, '2.1.0');
    await command(client, 'RCPT TO:<bob@localhost>', 550, '5.7.1');
    client.close();
  });

  it('rcpt: reject (550 5.7.1) and tempfail (451 4.7.1) one recipient; allow is no opinion, never an accept', async () => {
    await rules(
      [
        'rules:',
        '  - { recipient: blocked@localhost, action: reject }',
        '  - { recipient: later@localhost, sender: "@example.org", action: tempfail }',
        '  - { recipient: ["@localhost", "@elsewhere.example"], action: allow }',
      ].join('\n'),
    );
    const client = await open();
    await command(client, 'MAIL FROM:<a@example.org>', 250, '2.1.0');
    await command(client, 'RCPT TO:<blocked@localhost>', 550, '5.7.1');
    await command(client, 'RCPT TO:<later@localhost>', 451, '4.7.1');
    await command(client, 'RCPT TO:<bob@localhost>', 250, '2.1.5');
    // Allowed by the access list, but nobody here accepts mail for that domain: still no relay.
    const relay = await command(client, 'RCPT TO:<x@elsewhere.example>', 550, '5.7.1');
    assert.deepEqual(relay.lines, ['5.7.1 Relaying denied']);
    expectReply(await sendData(client), 250, '2.0.0');
    client.close();
  });

  it('sends an entry\'s own reply', async () => {
    await rules(['rules:', '  - sender: "@spam.example"', '    action: reject', '    reply: { code: 553, enhanced: 5.7.0, text: "Sender domain refused here" }'].join('\n'));
    const client = await open();
    const reply = await command(client, 'MAIL FROM:<x@spam.example>', 553, '5.7.0');
    assert.deepEqual(reply.lines, ['5.7.0 Sender domain refused here']);
    client.close();
  });

  it('refuses a file with a bad reply code, logging file, line and pointer; the old rules stay', async () => {
    await rules('rules:\n  - { sender: "@spam.example", action: reject }\n');
    await writeFile(`${file}.new`, ['rules:', '  - sender: "@spam.example"', '    action: tempfail', '    reply:', '      code: 550', ''].join('\n'));
    await rename(`${file}.new`, file);
    assert.deepEqual(await server.app.admin('reload'), [{ file, reloaded: false }]);
    const refusal = logs.lines.findLast((line) => line.level === 'error' && line.file === file);
    assert.equal(refusal?.pointer, '/rules/0/reply/code');
    assert.equal(refusal?.line, 5);
    assert.match(String(refusal?.error), /replies 450, 451, not 550/);
    const client = await open();
    await command(client, 'MAIL FROM:<x@spam.example>', 550, '5.7.1');
    client.close();
  });

  it('judges the next transaction of an open session by a new file; the current one keeps its version', async () => {
    await rules('rules:\n  - { recipient: one@localhost, action: reject }\n');
    const client = await open();
    await command(client, 'MAIL FROM:<a@example.org>', 250, '2.1.0');
    await command(client, 'RCPT TO:<one@localhost>', 550, '5.7.1');
    await command(client, 'RCPT TO:<two@localhost>', 250, '2.1.5');

    // A stricter file mid-transaction: this transaction finishes on its snapshot.
    await rules('rules:\n  - { recipient: [one@localhost, two@localhost], action: reject }\n  - { client: 127.0.0.1, action: tempfail }\n');
    await command(client, 'RCPT TO:<two@localhost>', 250, '2.1.5');
    expectReply(await sendData(client), 250, '2.0.0');

    // The next transaction of the same session: the new client entry applies at MAIL FROM.
    await command(client, 'MAIL FROM:<a@example.org>', 451, '4.7.1');
    await rules('rules:\n  - { recipient: [one@localhost, two@localhost], action: reject }\n');
    await command(client, 'MAIL FROM:<a@example.org>', 250, '2.1.0');
    await command(client, 'RCPT TO:<two@localhost>', 550, '5.7.1');
    assert.equal(client.closed, false, 'the session was never dropped');
    client.close();
  });
});

describe('access: a bad file at startup', () => {
  it('stops the server from starting, naming the file and the pointer', async () => {
    const dir = await tempDir();
    try {
      await writeFile(join(dir.path, 'access.yaml'), 'rules:\n  - { client: 127.0.0.0/8, action: reject, reply: { code: 550 } }\n');
      await assert.rejects(
        startTestServer({ plugins: [{ plugin: 'access', options: { file: 'access.yaml' } }, fixture('memory-queue')] }, { dir: dir.path }),
        (err: unknown) => isPosthornError(err, 'PH_CONFIG_INVALID') && err.message.includes('access.yaml') && err.message.includes('/rules/0/reply/code'),
      );
    } finally {
      await dir.remove();
    }
  });
});
