import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { SmtpClient, type TestServer } from '@posthorn/testkit';
import { queued } from '@posthorn/testkit/fixtures/memory-queue.ts';
import nodemailer from 'nodemailer';
import { openAuthenticated, PASSWORD, startRelayServer, status } from './helpers.ts';
import { seen } from './rcpt-probe.ts';

/**
 * Addresses that try to make a server route mail to `other.example` while naming a local
 * domain (or no proper domain), with the reply each kind of client gets. None of them may ever
 * be accepted for other.example. `mx`: a stranger on the MX listener; `auth`: alice,
 * authenticated on submission; `network`: a client in a trusted network on the MX listener.
 */
const TRICKS: readonly { address: string; hookSees: string | null; mx: string; auth: string; network: string; why: string }[] = [
  { address: 'user%other.example@local.test', hookSees: 'user%other.example@local.test', mx: '550 5.1.1', auth: '550 5.1.1', network: '550 5.1.1', why: 'percent hack: a local address for local delivery, which knows no such user' },
  { address: '"user%other.example"@local.test', hookSees: '"user%other.example"@local.test', mx: '550 5.1.1', auth: '550 5.1.1', network: '550 5.1.1', why: 'quoted percent hack' },
  { address: 'user!other.example@local.test', hookSees: 'user!other.example@local.test', mx: '550 5.1.1', auth: '550 5.1.1', network: '550 5.1.1', why: 'bang path' },
  { address: 'other.example!user@local.test', hookSees: 'other.example!user@local.test', mx: '550 5.1.1', auth: '550 5.1.1', network: '550 5.1.1', why: 'bang path, UUCP order' },
  { address: '"user@other.example"@local.test', hookSees: null, mx: '501 5.1.3', auth: '501 5.1.3', network: '501 5.1.3', why: 'quoted @: smtp-server refuses two @' },
  { address: 'user@other.example@local.test', hookSees: null, mx: '501 5.1.3', auth: '501 5.1.3', network: '501 5.1.3', why: 'two @: smtp-server refuses' },
  { address: '@other.example:user@local.test', hookSees: 'user@local.test', mx: '550 5.1.1', auth: '550 5.1.1', network: '550 5.1.1', why: 'source route: smtp-server drops it (RFC 5321 C); user@local.test is unknown' },
  { address: '@local.test:user@other.example', hookSees: 'user@other.example', mx: '550 5.7.1', auth: '250 2.1.5', network: '250 2.1.5', why: 'source route through us: dropped; what is left is a plain remote address, relayed only for those who may relay anyway' },
  { address: 'user@other.example.', hookSees: null, mx: '501 5.1.3', auth: '501 5.1.3', network: '501 5.1.3', why: 'trailing dot: smtp-server refuses' },
  { address: 'user@local.test.', hookSees: null, mx: '501 5.1.3', auth: '501 5.1.3', network: '501 5.1.3', why: 'trailing dot on a local domain' },
  { address: 'user@[192.0.2.1]', hookSees: 'user@[192.0.2.1]', mx: '550 5.7.1', auth: '550 5.7.1', network: '550 5.7.1', why: 'address literal: refused by relay, or by the core when relay has no opinion' },
  { address: 'user@[IPv6:2001:db8::1]', hookSees: 'user@[IPv6:2001:db8::1]', mx: '550 5.7.1', auth: '550 5.7.1', network: '550 5.7.1', why: 'IPv6 address literal' },
  { address: 'user@192.0.2.1', hookSees: 'user@192.0.2.1', mx: '550 5.7.1', auth: '501 5.1.3', network: '501 5.1.3', why: 'IP address without brackets' },
  { address: 'user@ｏｔｈｅｒ.example', hookSees: 'user@ｏｔｈｅｒ.example', mx: '550 5.7.1', auth: '501 5.1.3', network: '501 5.1.3', why: 'full-width letters that IDNA would map to other.example' },
  { address: 'user@LOCAL.TEST', hookSees: 'user@LOCAL.TEST', mx: '550 5.1.1', auth: '550 5.1.1', network: '550 5.1.1', why: 'local domain in upper case is still local' },
  { address: 'u@bücher.example', hookSees: 'u@bücher.example', mx: '550 5.1.1', auth: '550 5.1.1', network: '550 5.1.1', why: 'local IDN domain as U-label: local, never relayed; local delivery knows no user u' },
  { address: 'u@xn--bcher-kva.example', hookSees: 'u@bücher.example', mx: '550 5.1.1', auth: '550 5.1.1', network: '550 5.1.1', why: 'the same local IDN domain as A-label: smtp-server hands the hook the U-label' },
];

/** Sends a command line as UTF-8 (SmtpClient.command writes latin1, which would mangle IDNs). */
async function utf8Command(client: SmtpClient, line: string) {
  client.write(Buffer.from(`${line}\r\n`, 'utf8'));
  return client.reply();
}

/** Sends EHLO (unless `greeted`), MAIL, and each RCPT; returns `code enhanced` per recipient. */
async function rcptReplies(client: SmtpClient, recipients: readonly string[], options: { greeted?: boolean; mailParams?: string } = {}): Promise<string[]> {
  if (!options.greeted) await client.command('EHLO client.test');
  const mail = await client.command(`MAIL FROM:<alice@local.test>${options.mailParams ? ` ${options.mailParams}` : ''}`);
  assert.equal(mail.code, 250, mail.raw);
  const replies = [];
  for (const address of recipients) replies.push(status(await utf8Command(client, `RCPT TO:<${address}>`)));
  return replies;
}

/** Clients opened by a test, closed after it even when an assertion failed. */
const open: SmtpClient[] = [];
function track(client: SmtpClient): SmtpClient {
  open.push(client);
  return client;
}
afterEach(() => {
  for (const client of open.splice(0)) client.close();
});

function table(column: 'mx' | 'auth' | 'network'): string[] {
  return TRICKS.map((trick) => `${trick.address} -> ${trick[column]}`);
}

function zip(replies: readonly string[]): string[] {
  return TRICKS.map((trick, i) => `${trick.address} -> ${replies[i]}`);
}

describe('relay policy over SMTP', () => {
  let t: Awaited<ReturnType<typeof startRelayServer>>;
  let server: TestServer;
  before(async () => {
    t = await startRelayServer();
    server = t.server;
  });
  after(async () => {
    await t.stop();
  });

  it('an authenticated user relays to a remote domain; the message is queued for it', async () => {
    const client = track(await openAuthenticated(server.port('submission')));
    const reply = await client.send('From: alice@local.test\r\nTo: friend@remote.example\r\nSubject: out\r\n\r\nhello\r\n', { from: 'alice@local.test', to: ['friend@remote.example', 'Friend2@REMOTE.example'] });
    assert.match(reply.raw, /^250 2\.0\.0 Ok: queued as /);
    const entry = queued.at(-1)!;
    assert.deepEqual(entry.envelope.recipients.map((r) => r.address), ['friend@remote.example', 'Friend2@REMOTE.example']);
    assert.equal(entry.envelope.origin.user, 'alice@local.test');
    client.close();
  });

  it('nodemailer with STARTTLS and AUTH relays to a remote domain', async () => {
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: server.port('submission'),
      requireTLS: true,
      auth: { user: 'alice@local.test', pass: PASSWORD },
      tls: { rejectUnauthorized: false },
    });
    const info = await transport.sendMail({ from: 'alice@local.test', to: 'someone@remote.example', subject: 'x', text: 'x' });
    transport.close();
    assert.deepEqual(info.accepted, ['someone@remote.example']);
  });

  it('a stranger on the MX listener may not relay (550 5.7.1) but reaches local users', async () => {
    const client = track(await SmtpClient.open(server.port('mx')));
    assert.deepEqual(await rcptReplies(client, ['friend@remote.example', 'alice@local.test', 'ALICE@Local.Test', 'alice+tag@local.test']), ['550 5.7.1', '250 2.1.5', '250 2.1.5', '250 2.1.5']);
    client.close();
  });

  it('on submission without AUTH, smtp-server refuses MAIL and RCPT with 530 5.7.0', async () => {
    const client = track(await SmtpClient.open(server.port('submission')));
    await client.command('EHLO client.test');
    assert.equal(status(await client.command('MAIL FROM:<alice@local.test>')), '530 5.7.0');
    assert.equal(status(await client.command('RCPT TO:<user%other.example@local.test>')), '530 5.7.0');
    client.close();
    const tls = track(await SmtpClient.open(server.port('submission')));
    await tls.command('EHLO client.test');
    await tls.startTls();
    await tls.command('EHLO client.test');
    assert.equal(status(await tls.command('MAIL FROM:<alice@local.test>')), '530 5.7.0');
    assert.equal(status(await tls.command('RCPT TO:<user@other.example>')), '530 5.7.0');
    tls.close();
  });

  it('refuses every routing trick from a stranger on the MX listener', async () => {
    const client = track(await SmtpClient.open(server.port('mx')));
    const from = seen.length;
    assert.deepEqual(zip(await rcptReplies(client, TRICKS.map((trick) => trick.address))), table('mx'));
    // What smtp-server's parser passes on: the tricks it refuses never reach a plugin.
    assert.deepEqual(seen.slice(from), TRICKS.flatMap((trick) => (trick.hookSees === null ? [] : [trick.hookSees])));
    client.close();
  });

  it('never relays a routing trick for an authenticated user, and nothing queued goes to other.example', async () => {
    const before = queued.length;
    const client = track(await openAuthenticated(server.port('submission')));
    const replies = await rcptReplies(client, TRICKS.map((trick) => trick.address), { greeted: true });
    assert.deepEqual(zip(replies), table('auth'));
    // One real recipient so the transaction can complete, then look at what was queued.
    assert.equal(status(await client.command('RCPT TO:<friend@remote.example>')), '250 2.1.5');
    assert.equal((await client.command('DATA')).code, 354);
    client.write('Subject: tricks\r\n\r\nbody\r\n.\r\n');
    assert.equal((await client.reply()).code, 250);
    client.close();
    const recipients = queued.slice(before).flatMap((entry) => entry.envelope.recipients.map((r) => r.address));
    // The only other.example recipient is the plain one left after smtp-server dropped the
    // route `@local.test:`; no local-looking address was turned into a relay.
    assert.deepEqual(recipients, ['user@other.example', 'friend@remote.example']);
  });

  it('relays IDN domains in both forms for an authenticated user; a non-ASCII local part needs SMTPUTF8', async () => {
    const client = track(await openAuthenticated(server.port('submission')));
    assert.deepEqual(await rcptReplies(client, ['u@münchen.example', 'u@xn--mnchen-3ya.example', 'üser@remote.example'], { greeted: true }), ['250 2.1.5', '250 2.1.5', '553 5.6.7']);
    await client.command('RSET');
    assert.deepEqual(await rcptReplies(client, ['üser@remote.example', '用户@例子.example'], { greeted: true, mailParams: 'SMTPUTF8' }), ['250 2.1.5', '250 2.1.5']);
    client.close();
  });
});

describe('relay for listed networks', () => {
  let t: Awaited<ReturnType<typeof startRelayServer>>;
  before(async () => {
    t = await startRelayServer({ networks: ['127.0.0.0/8', '2001:db8::/32'] });
  });
  after(async () => {
    await t.stop();
  });

  it('a client in a listed network relays from the MX listener without AUTH', async () => {
    const client = track(await SmtpClient.open(t.server.port('mx')));
    const reply = await client.send('Subject: from the office\r\n\r\nhi\r\n', { from: 'printer@local.test', to: ['friend@remote.example'] });
    assert.match(reply.raw, /^250 2\.0\.0 /);
    assert.equal(queued.at(-1)!.envelope.origin.user, undefined);
    client.close();
  });

  it('refuses every routing trick from a listed network too', async () => {
    const client = track(await SmtpClient.open(t.server.port('mx')));
    assert.deepEqual(zip(await rcptReplies(client, TRICKS.map((trick) => trick.address))), table('network'));
    client.close();
  });
});

describe('relay networks option', () => {
  it('refuses to start with a malformed network, naming it', async () => {
    await assert.rejects(startRelayServer({ networks: ['127.0.0.0/40'] }), /127\.0\.0\.0\/40/);
  });
});
