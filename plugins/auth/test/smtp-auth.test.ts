import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { captureLogs, SmtpClient } from '@posthorn/testkit';
import { queued } from '@posthorn/testkit/fixtures/memory-queue.ts';
import nodemailer from 'nodemailer';
import { type AuthTestServer, base64, openStartTls, PASSWORD, plain, startAuthServer } from './helpers.ts';

const run = promisify(execFile);

/** Runs swaks; resolves with its exit code and everything it printed (it prints the dialogue). */
async function swaks(args: readonly string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run('swaks', [...args], { timeout: 30_000 });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const failure = err as { code?: number; stdout?: string; stderr?: string };
    return { code: failure.code ?? -1, output: (failure.stdout ?? '') + (failure.stderr ?? '') };
  }
}

describe('SMTP AUTH on the submission listeners (TLS required)', () => {
  let t: AuthTestServer;
  const logs = captureLogs('info');

  before(async () => {
    t = await startAuthServer({ logger: logs.logger, users: ['alice@example.test', 'bob@example.test'] });
  });
  after(async () => {
    await t.stop();
  });

  it('AUTH PLAIN succeeds after STARTTLS, and MAIL is then accepted', async () => {
    const client = await openStartTls(t.server.port('submission'));
    assert.equal(client.encrypted, true);
    const auth = await client.command(`AUTH PLAIN ${plain('alice@example.test', PASSWORD)}`);
    assert.equal(auth.raw, '235 2.7.0 Authentication successful\r\n');
    assert.equal((await client.command('MAIL FROM:<alice@example.test>')).code, 250);
    client.close();
  });

  it('AUTH LOGIN succeeds after STARTTLS', async () => {
    const client = await openStartTls(t.server.port('submission'));
    assert.equal((await client.command('AUTH LOGIN')).code, 334);
    assert.equal((await client.command(base64('alice@example.test'))).code, 334);
    assert.equal((await client.command(base64(PASSWORD))).raw, '235 2.7.0 Authentication successful\r\n');
    client.close();
  });

  it('AUTH PLAIN and LOGIN succeed on implicit TLS (submissions)', async () => {
    const first = await SmtpClient.open(t.server.port('submissions'), { tls: true });
    await first.command('EHLO client.test');
    assert.equal((await first.command(`AUTH PLAIN ${plain('alice@example.test', PASSWORD)}`)).code, 235);
    first.close();
    const second = await SmtpClient.open(t.server.port('submissions'), { tls: true });
    await second.command('EHLO client.test');
    await second.command('AUTH LOGIN');
    await second.command(base64('bob@example.test'));
    assert.equal((await second.command(base64(PASSWORD))).code, 235);
    second.close();
  });

  it('refuses AUTH before STARTTLS with 538 5.7.11 (the password is never looked at)', async () => {
    const client = await SmtpClient.open(t.server.port('submission'));
    const ehlo = await client.command('EHLO client.test');
    assert.ok(ehlo.lines.includes('STARTTLS'));
    const hookRuns = () => logs.lines.filter((line) => line.hook === 'auth').length;
    const before = hookRuns();
    const auth = await client.command(`AUTH PLAIN ${plain('alice@example.test', PASSWORD)}`);
    assert.equal(auth.code, 538);
    assert.equal(auth.enhanced, '5.7.11');
    assert.equal(hookRuns(), before, 'smtp-server refused it before the auth hook ran');
    client.close();
  });

  it('refuses MAIL without AUTH on submission with 530 5.7.0, also after STARTTLS', async () => {
    const plainClient = await SmtpClient.open(t.server.port('submission'));
    await plainClient.command('EHLO client.test');
    const refused = await plainClient.command('MAIL FROM:<alice@example.test>');
    assert.equal(refused.code, 530);
    assert.equal(refused.enhanced, '5.7.0');
    plainClient.close();
    const tlsClient = await openStartTls(t.server.port('submission'));
    const again = await tlsClient.command('MAIL FROM:<alice@example.test>');
    assert.equal(again.code, 530);
    assert.equal(again.enhanced, '5.7.0');
    tlsClient.close();
  });

  it('answers a wrong password and an unknown login with the same 535 5.7.8', async () => {
    const client = await openStartTls(t.server.port('submission'));
    const wrong = await client.command(`AUTH PLAIN ${plain('alice@example.test', 'not the password')}`);
    const unknown = await client.command(`AUTH PLAIN ${plain('nobody@example.test', 'not the password')}`);
    assert.equal(wrong.raw, '535 5.7.8 Authentication credentials invalid\r\n');
    assert.equal(unknown.raw, wrong.raw);
    // The same connection may still log in afterwards.
    assert.equal((await client.command(`AUTH PLAIN ${plain('alice@example.test', PASSWORD)}`)).code, 235);
    client.close();
    const failed = logs.find('auth failed').filter((line) => line.login === 'nobody@example.test');
    assert.equal(failed.length, 1);
    assert.equal(failed[0]!.ip, '127.0.0.1');
    assert.equal(JSON.stringify(logs.lines).includes('not the password'), false, 'no password in the log');
  });

  it('nodemailer logs in with STARTTLS (LOGIN and PLAIN) and the queued envelope names the user', async () => {
    for (const authMethod of ['LOGIN', 'PLAIN']) {
      const transport = nodemailer.createTransport({
        host: '127.0.0.1',
        port: t.server.port('submission'),
        secure: false,
        requireTLS: true,
        authMethod,
        auth: { user: 'alice@example.test', pass: PASSWORD },
        tls: { rejectUnauthorized: false },
      });
      const info = await transport.sendMail({ from: 'alice@example.test', to: 'someone@remote.example', subject: authMethod, text: 'hi' });
      transport.close();
      assert.match(info.response, /^250 /);
      const entry = queued.find((q) => q.envelope.id === /queued as (\S+)/.exec(info.response)?.[1]);
      assert.equal(entry?.envelope.origin.user, 'alice@example.test');
      assert.equal(entry?.envelope.origin.tls, true);
    }
  });

  it('nodemailer logs in on implicit TLS; a wrong password is an EAUTH error with 535', async () => {
    const good = nodemailer.createTransport({ host: '127.0.0.1', port: t.server.port('submissions'), secure: true, auth: { user: 'bob@example.test', pass: PASSWORD }, tls: { rejectUnauthorized: false } });
    assert.match((await good.sendMail({ from: 'bob@example.test', to: 'x@remote.example', text: 'x' })).response, /^250 /);
    good.close();
    const bad = nodemailer.createTransport({ host: '127.0.0.1', port: t.server.port('submissions'), secure: true, auth: { user: 'bob@example.test', pass: 'wrong' }, tls: { rejectUnauthorized: false } });
    await assert.rejects(bad.sendMail({ from: 'bob@example.test', to: 'x@remote.example', text: 'x' }), (err: Error & { code?: string; responseCode?: number }) => {
      assert.equal(err.code, 'EAUTH');
      assert.equal(err.responseCode, 535);
      return true;
    });
    bad.close();
  });

  it('swaks: STARTTLS with AUTH PLAIN and AUTH LOGIN succeed, a wrong password fails with 535 5.7.8', async () => {
    const port = String(t.server.port('submission'));
    for (const mechanism of ['PLAIN', 'LOGIN']) {
      const ok = await swaks(['--server', `127.0.0.1:${port}`, '-tls', '--auth', mechanism, '--auth-user', 'alice@example.test', '--auth-password', PASSWORD, '--from', 'alice@example.test', '--to', 'x@remote.example']);
      assert.equal(ok.code, 0, ok.output);
      assert.match(ok.output, /<~ {1,2}235 2\.7\.0 Authentication successful/);
      assert.match(ok.output, /<~ {1,2}250 2\.0\.0 Ok: queued as/);
    }
    const bad = await swaks(['--server', `127.0.0.1:${port}`, '-tls', '--auth', 'PLAIN', '--auth-user', 'alice@example.test', '--auth-password', 'wrong', '--from', 'alice@example.test', '--to', 'x@remote.example']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.output, /<~\*+ {1,2}535 5\.7\.8 Authentication credentials invalid/);
  });
});

describe('SMTP AUTH without TLS on a loopback listener with allowInsecureAuth', () => {
  let t: AuthTestServer;
  before(async () => {
    t = await startAuthServer({ allowInsecureAuth: true });
  });
  after(async () => {
    await t.stop();
  });

  it('accepts AUTH PLAIN in clear text from 127.0.0.1 (the hook judges it: the password still has to be right)', async () => {
    const client = await SmtpClient.open(t.server.port('submission'));
    await client.command('EHLO client.test');
    assert.equal(client.encrypted, false);
    assert.equal((await client.command(`AUTH PLAIN ${plain('alice@example.test', 'wrong')}`)).code, 535);
    assert.equal((await client.command(`AUTH PLAIN ${plain('alice@example.test', PASSWORD)}`)).code, 235);
    client.close();
  });

  it('swaks without TLS logs in', async () => {
    const ok = await swaks(['--server', `127.0.0.1:${t.server.port('submission')}`, '--auth', 'LOGIN', '--auth-user', 'alice@example.test', '--auth-password', PASSWORD, '--from', 'alice@example.test', '--to', 'x@remote.example', '--quit-after', 'AUTH']);
    assert.equal(ok.code, 0, ok.output);
    assert.match(ok.output, /235 2\.7\.0 Authentication successful/);
  });
});

describe('SMTP AUTH brute-force limits', () => {
  it('after maxFailuresPerLogin failures the right password gets 454 4.7.0; another login from the same client still works', async () => {
    const t = await startAuthServer({ auth: { maxFailuresPerLogin: 3, maxFailuresPerIp: 100, lockoutSeconds: 600 }, users: ['alice@example.test', 'bob@example.test'] });
    try {
      const client = await openStartTls(t.server.port('submission'));
      for (let i = 0; i < 3; i++) assert.equal((await client.command(`AUTH PLAIN ${plain('alice@example.test', `guess${i}`)}`)).code, 535);
      const locked = await client.command(`AUTH PLAIN ${plain('alice@example.test', PASSWORD)}`);
      assert.equal(locked.raw, '454 4.7.0 Too many failed authentication attempts, try again later\r\n');
      client.close();
      // A new connection does not help.
      const fresh = await openStartTls(t.server.port('submission'));
      assert.equal((await fresh.command(`AUTH PLAIN ${plain('alice@example.test', PASSWORD)}`)).code, 454);
      assert.equal((await fresh.command(`AUTH PLAIN ${plain('bob@example.test', PASSWORD)}`)).code, 235, 'bob is not locked out');
      fresh.close();
    } finally {
      await t.stop();
    }
  });

  it('locks out an unknown login name exactly like a real one', async () => {
    const t = await startAuthServer({ auth: { maxFailuresPerLogin: 2, maxFailuresPerIp: 100 } });
    try {
      const client = await openStartTls(t.server.port('submission'));
      const replies = [];
      for (let i = 0; i < 3; i++) replies.push((await client.command(`AUTH PLAIN ${plain('ghost@example.test', 'x')}`)).raw);
      for (let i = 0; i < 3; i++) replies.push((await client.command(`AUTH PLAIN ${plain('alice@example.test', 'x')}`)).raw);
      assert.deepEqual(replies.slice(0, 3), replies.slice(3), 'the same sequence of replies for a real and an unknown login');
      assert.match(replies[2]!, /^454 4\.7\.0 /);
      client.close();
    } finally {
      await t.stop();
    }
  });

  it('after maxFailuresPerIp failures over several logins the client is locked out, even with a right password', async () => {
    const t = await startAuthServer({ auth: { maxFailuresPerLogin: 100, maxFailuresPerIp: 3 } });
    try {
      const client = await openStartTls(t.server.port('submission'));
      for (const login of ['a@example.test', 'b@example.test', 'c@example.test']) assert.equal((await client.command(`AUTH PLAIN ${plain(login, 'x')}`)).code, 535);
      assert.equal((await client.command(`AUTH PLAIN ${plain('alice@example.test', PASSWORD)}`)).code, 454);
      client.close();
    } finally {
      await t.stop();
    }
  });

  it('a successful login resets the counters', async () => {
    const t = await startAuthServer({ auth: { maxFailuresPerLogin: 3, maxFailuresPerIp: 3 } });
    try {
      for (let round = 0; round < 3; round++) {
        const client = await openStartTls(t.server.port('submission'));
        assert.equal((await client.command(`AUTH PLAIN ${plain('alice@example.test', 'typo')}`)).code, 535);
        assert.equal((await client.command(`AUTH PLAIN ${plain('alice@example.test', 'typo')}`)).code, 535);
        assert.equal((await client.command(`AUTH PLAIN ${plain('alice@example.test', PASSWORD)}`)).code, 235, `round ${round}`);
        client.close();
      }
    } finally {
      await t.stop();
    }
  });
});
