import assert from 'node:assert/strict';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { captureLogs, fixture, SmtpClient, startTestServer, tempDir, type TestServer } from '@posthorn/testkit';
import { queued } from '@posthorn/testkit/fixtures/memory-queue.ts';
import { command, expectReply, plain, retryUntilPassed, sendData, tryRecipient } from './helpers.ts';

type Dir = Awaited<ReturnType<typeof tempDir>>;

/** A server with an mx listener (and a submission one), the memory queue and greylisting. */
async function start(dir: Dir, options: Record<string, unknown>, logger?: ReturnType<typeof captureLogs>['logger']): Promise<TestServer> {
  return startTestServer(
    {
      listeners: [{ role: 'mx' }, { name: 'submission', role: 'submission', allowInsecureAuth: true }],
      plugins: [
        { plugin: fixture('fixed-auth'), options: { users: { 'alice@localhost': 'secret' } } },
        fixture('memory-queue'),
        // Half a second: long enough that an immediate retry is early, short enough to wait for.
        { plugin: 'greylist', options: { delay: 0.5, ...options } },
      ],
    },
    { dir: dir.path, ...(logger ? { logger } : {}) },
  );
}

describe('greylist: the triplet cycle on the mx listener', () => {
  let dir: Dir;
  let server: TestServer;
  const logs = captureLogs('info');

  before(async () => {
    dir = await tempDir();
    server = await start(dir, { autoAllowAfter: 0 }, logs.logger);
  });
  after(async () => {
    await server.stop();
    await dir.remove();
  });

  it('defers a new triplet and an early retry with 451 4.7.1, and accepts the retry after the delay', async () => {
    const client = await SmtpClient.open(server.port('mx'));
    await command(client, 'EHLO sender.example', 250, '');
    const first = expectReply(await tryRecipient(client, 'alice@sender.example', 'bob@localhost'), 451, '4.7.1');
    assert.deepEqual(first.lines, ['4.7.1 Greylisted, please try again later']);
    expectReply(await tryRecipient(client, 'alice@sender.example', 'bob@localhost'), 451, '4.7.1');

    const passed = await retryUntilPassed(() => tryRecipient(client, 'alice@sender.example', 'bob@localhost'));
    expectReply(passed, 250, '2.1.5');
    const before = queued.length;
    expectReply(await sendData(client, 'greylisted once'), 250, '2.0.0');
    assert.equal(queued.length, before + 1);

    // Known from now on, in a new session too.
    const again = await SmtpClient.open(server.port('mx'));
    await command(again, 'EHLO sender.example', 250, '');
    expectReply(await tryRecipient(again, 'alice@sender.example', 'bob@localhost'), 250, '2.1.5');
    again.close();
    client.close();

    assert.ok(logs.find('greylist: deferred').some((line) => line.why === 'new' && line.network === '127.0.0.0/24' && line.recipient === 'bob@localhost'));
    assert.ok(logs.find('greylist: deferred').some((line) => line.why === 'early'));
    assert.equal(logs.find('greylist: passed after retry').length, 1);
  });

  it('greylists each recipient of a transaction on its own', async () => {
    const client = await SmtpClient.open(server.port('mx'));
    await command(client, 'EHLO sender.example', 250, '');
    await command(client, 'MAIL FROM:<carol@sender.example>', 250, '2.1.0');
    await command(client, 'RCPT TO:<dave@localhost>', 451, '4.7.1');
    await command(client, 'RCPT TO:<erin@localhost>', 451, '4.7.1');
    await retryUntilPassed(() => tryRecipient(client, 'carol@sender.example', 'dave@localhost'));
    // erin's triplet was first seen at the same time, so it passes at once now.
    await command(client, 'RCPT TO:<erin@localhost>', 250, '2.1.5');
    // A new recipient in the same transaction is a new triplet.
    await command(client, 'RCPT TO:<frank@localhost>', 451, '4.7.1');
    client.close();
  });

  it('never greylists postmaster (RFC 5321 4.5.1)', async () => {
    const client = await SmtpClient.open(server.port('mx'));
    await command(client, 'EHLO sender.example', 250, '');
    expectReply(await tryRecipient(client, 'someone@new.example', 'postmaster@localhost'), 250, '2.1.5');
    expectReply(await tryRecipient(client, 'someone@new.example', 'PostMaster@localhost'), 250, '2.1.5');
    client.close();
  });

  it('lets a null-sender probe through at RCPT and greylists the bounce itself after DATA', async () => {
    const probe = await SmtpClient.open(server.port('mx'));
    await command(probe, 'EHLO verifier.example', 250, '');
    expectReply(await tryRecipient(probe, '', 'grace@localhost'), 250, '2.1.5');
    probe.close();

    const client = await SmtpClient.open(server.port('mx'));
    await command(client, 'EHLO bounce.example', 250, '');
    const before = queued.length;
    const attempt = async () => {
      expectReply(await tryRecipient(client, '', 'heidi@localhost'), 250, '2.1.5');
      return sendData(client, 'bounce');
    };
    expectReply(await attempt(), 451, '4.7.1');
    expectReply(await retryUntilPassed(attempt), 250, '2.0.0');
    assert.equal(queued.length, before + 1);
    assert.equal(queued.at(-1)?.envelope.mailFrom, '');
    client.close();
  });

  it('never greylists a submission session, nor an authenticated user', async () => {
    const client = await SmtpClient.open(server.port('submission'));
    await command(client, 'EHLO laptop.example', 250, '');
    await command(client, `AUTH PLAIN ${plain('alice@localhost', 'secret')}`, 235, '2.7.0');
    expectReply(await tryRecipient(client, 'alice@localhost', 'ivan@localhost'), 250, '2.1.5');
    expectReply(await sendData(client, 'submitted'), 250, '2.0.0');
    client.close();
  });
});

describe('greylist: auto-allow', () => {
  let dir: Dir;
  let server: TestServer;
  const logs = captureLogs('info');

  before(async () => {
    dir = await tempDir();
    server = await start(dir, { autoAllowAfter: 2 }, logs.logger);
  });
  after(async () => {
    await server.stop();
    await dir.remove();
  });

  it('skips greylisting for a client network after it passed autoAllowAfter triplets', async () => {
    const client = await SmtpClient.open(server.port('mx'));
    await command(client, 'EHLO sender.example', 250, '');
    for (const to of ['one@localhost', 'two@localhost']) {
      expectReply(await tryRecipient(client, 'news@sender.example', to), 451, '4.7.1');
      expectReply(await retryUntilPassed(() => tryRecipient(client, 'news@sender.example', to)), 250, '2.1.5');
    }
    assert.deepEqual(
      logs.find('greylist: client network auto-allowed').map((line) => line.network),
      ['127.0.0.0/24'],
    );
    // A triplet never seen before passes at once: sender, recipient, both new.
    expectReply(await tryRecipient(client, 'other@elsewhere.example', 'three@localhost'), 250, '2.1.5');
    client.close();
  });
});

describe('greylist: allow lists', () => {
  let dir: Dir;
  let server: TestServer;
  let file: string;
  const logs = captureLogs('info');

  async function replaceFile(text: string): Promise<void> {
    await writeFile(`${file}.new`, text);
    await rename(`${file}.new`, file);
  }

  before(async () => {
    dir = await tempDir();
    file = join(dir.path, 'greylist-allow.yaml');
    await writeFile(file, 'senders: ["@friend.example", ".partner.example"]\nrecipients: [abuse@]\n');
    server = await start(dir, { autoAllowAfter: 0, allowFile: 'greylist-allow.yaml', allow: { recipients: ['list@localhost'] } }, logs.logger);
  });
  after(async () => {
    await server.stop();
    await dir.remove();
  });

  it('passes senders and recipients of the allow file and of the inline list at once', async () => {
    const client = await SmtpClient.open(server.port('mx'));
    await command(client, 'EHLO sender.example', 250, '');
    expectReply(await tryRecipient(client, 'a@friend.example', 'judy@localhost'), 250, '2.1.5');
    expectReply(await tryRecipient(client, 'a@mail.partner.example', 'judy@localhost'), 250, '2.1.5');
    expectReply(await tryRecipient(client, 'a@stranger.example', 'abuse@localhost'), 250, '2.1.5');
    expectReply(await tryRecipient(client, 'a@stranger.example', 'list@localhost'), 250, '2.1.5');
    expectReply(await tryRecipient(client, 'a@stranger.example', 'judy@localhost'), 451, '4.7.1');
    expectReply(await tryRecipient(client, 'a@partner.example', 'judy@localhost'), 451, '4.7.1');
    client.close();
  });

  it('takes a new allow file for the next transaction; a bad one is refused and changes nothing', async () => {
    const client = await SmtpClient.open(server.port('mx'));
    await command(client, 'EHLO sender.example', 250, '');
    await command(client, 'MAIL FROM:<b@stranger.example>', 250, '2.1.0');
    await command(client, 'RCPT TO:<kim@localhost>', 451, '4.7.1');

    await replaceFile('networks: [127.0.0.0/8]\n');
    assert.deepEqual(await server.app.admin('reload'), [{ file, reloaded: true }]);
    // The transaction in progress keeps the list it started with.
    await command(client, 'RCPT TO:<lee@localhost>', 451, '4.7.1');
    expectReply(await tryRecipient(client, 'b@stranger.example', 'lee@localhost'), 250, '2.1.5');

    await replaceFile('networks: [127.0.0.0/8]\nsenders: [not-a-pattern]\n');
    assert.deepEqual(await server.app.admin('reload'), [{ file, reloaded: false }]);
    const refusal = logs.lines.find((line) => line.level === 'error' && line.file === file);
    assert.equal(refusal?.pointer, '/senders/0');
    assert.equal(refusal?.line, 2);
    expectReply(await tryRecipient(client, 'c@stranger.example', 'mike@localhost'), 250, '2.1.5');
    client.close();
  });
});
