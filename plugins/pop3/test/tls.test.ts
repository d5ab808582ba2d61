/**
 * TLS: STLS (RFC 2595) on the plain port, implicit TLS on the other, and the rule that a
 * password travels in clear only from loopback on a listener that allows it.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createSecureContext } from 'node:tls';
import { Accounts } from '@posthorn/contracts';
import { LoginThrottle, MemoryFailureStore, PasswordGate, silentLogger } from '@posthorn/core';
import { Pop3Connection } from '../src/connection.ts';
import type { Pop3Options } from '../src/options.ts';
import { Pop3Session } from '../src/session.ts';
import { Pop3Client } from './client.ts';
import { ALICE, message, PASSWORD, startPop3Server, type Pop3TestServer } from './helpers.ts';

const plain = (login: string, password: string) => Buffer.from(`\0${login}\0${password}`).toString('base64');

describe('POP3 over TLS, and clear-text logins', () => {
  let strict: Pop3TestServer;

  before(async () => {
    strict = await startPop3Server({ allowInsecureAuth: false });
    await strict.deliver(ALICE, message('secret', 'Only over TLS.\r\n'));
  });
  after(() => strict.stop());

  it('offers only STLS before TLS, and refuses USER and AUTH in clear', async () => {
    const { client } = await Pop3Client.connect(strict.port);
    assert.deepEqual(Pop3Client.lines((await client.multiline('CAPA')).body!), ['TOP', 'UIDL', 'RESP-CODES', 'AUTH-RESP-CODE', 'PIPELINING', 'STLS']);
    const refused = '-ERR [AUTH] Plaintext authentication is refused without TLS: use STLS first';
    assert.equal(await client.command(`USER ${ALICE}`), refused);
    assert.equal(await client.command(`PASS ${PASSWORD}`), '-ERR Give USER first');
    assert.equal(await client.command(`AUTH PLAIN ${plain(ALICE, PASSWORD)}`), refused);
    assert.equal(await client.command('AUTH PLAIN'), refused, 'no continuation either: the password must not follow');
    assert.deepEqual(Pop3Client.lines((await client.multiline('AUTH')).body!), []);
    await client.quit();
  });

  it('upgrades with STLS, then offers USER and SASL PLAIN and logs in', async () => {
    const { client } = await Pop3Client.connect(strict.port);
    assert.equal(await client.startTls(), '+OK Begin TLS negotiation');
    assert.equal(client.tls, true);
    assert.deepEqual(client.peerCertificate(), new X509Certificate(await readFile(join(strict.dir, 'var/tls/cert.pem'))).raw);
    assert.deepEqual(Pop3Client.lines((await client.multiline('CAPA')).body!), ['TOP', 'UIDL', 'RESP-CODES', 'AUTH-RESP-CODE', 'PIPELINING', 'USER', 'SASL PLAIN']);
    assert.equal(await client.command('STLS'), '-ERR TLS is already active');
    assert.match(await client.login(ALICE, PASSWORD), /^\+OK Maildrop has 1 message/);
    assert.match((await client.multiline('RETR 1')).body!.toString(), /Only over TLS/);
    await client.quit();
  });

  it('forgets everything sent in clear after STLS (no command injection), USER included', async () => {
    const { client } = await Pop3Client.connect(strict.port);
    // Pipelined behind STLS, as an attacker in the middle would inject it.
    client.write(`STLS\r\nUSER ${ALICE}\r\n`);
    assert.equal(await client.line(), '+OK Begin TLS negotiation');
    await client.handshake();
    assert.equal(await client.command(`PASS ${PASSWORD}`), '-ERR Give USER first');
    assert.match(await client.login(ALICE, PASSWORD), /^\+OK /);
    await client.quit();
  });

  it('refuses STLS with arguments, in TRANSACTION, and on the implicit-TLS port', async () => {
    const { client } = await Pop3Client.connect(strict.port);
    assert.equal(await client.command('STLS now'), '-ERR Syntax error in arguments');
    await client.startTls();
    await client.login(ALICE, PASSWORD);
    assert.equal(await client.command('STLS'), '-ERR Command not valid in this state');
    await client.quit();
    const implicit = await Pop3Client.connect(strict.tlsPort, { tls: true });
    assert.equal(await implicit.client.command('STLS'), '-ERR TLS is already active');
    await implicit.client.quit();
  });

  it('serves implicit TLS (pop3s) from the first byte, with the server certificate', async () => {
    const { client, greeting } = await Pop3Client.connect(strict.tlsPort, { tls: true });
    assert.match(greeting, /^\+OK /);
    const certificate = new X509Certificate(await readFile(join(strict.dir, 'var/tls/cert.pem')));
    assert.deepEqual(client.peerCertificate(), certificate.raw, "the core's certificate (here the self-signed one under the data directory)");
    assert.deepEqual(Pop3Client.lines((await client.multiline('CAPA')).body!), ['TOP', 'UIDL', 'RESP-CODES', 'AUTH-RESP-CODE', 'PIPELINING', 'USER', 'SASL PLAIN']);
    assert.match(await client.command(`AUTH PLAIN ${plain(ALICE, PASSWORD)}`), /^\+OK /);
    await client.quit();
  });

  it('drops a client whose TLS handshake after STLS is garbage, and goes on serving', async () => {
    const { client } = await Pop3Client.connect(strict.port);
    assert.equal(await client.command('STLS'), '+OK Begin TLS negotiation');
    client.write('this is not a ClientHello\r\n'.repeat(10));
    await client.closed;
    const next = await Pop3Client.connect(strict.port);
    assert.equal(await next.client.startTls(), '+OK Begin TLS negotiation');
    assert.match(await next.client.login(ALICE, PASSWORD), /^\+OK /);
    await next.client.quit();
  });

  describe('a listener that allows clear-text logins', () => {
    let server: Server;
    let port: number;

    before(async () => {
      // Sessions of the plugin on a test socket whose peer claims a non-loopback address: the
      // only way to be a remote client on a machine whose tests may use loopback alone.
      const app = strict.server.app;
      const options = { idleTimeout: 600000, maxLineLength: 2048, maxCommands: 1000, maxUnauthenticatedCommands: 20, maxErrors: 10, mailbox: 'INBOX' } as Pop3Options;
      const gate = new PasswordGate({
        protocol: 'pop3',
        accounts: app.services.get(Accounts)!,
        throttle: new LoginThrottle(new MemoryFailureStore(), { maxFailuresPerIp: 10, maxFailuresPerLogin: 10, windowMs: 60000, lockoutMs: 60000, baseDelayMs: 0, maxDelayMs: 0 }),
        sleep: async () => undefined,
        loginDelayMs: 0,
      });
      const tls = { key: await readFile(join(strict.dir, 'var/tls/key.pem')), cert: await readFile(join(strict.dir, 'var/tls/cert.pem')) };
      server = createServer((socket) => {
        Object.defineProperty(socket, 'remoteAddress', { value: '192.0.2.1' });
        const connection = new Pop3Connection(socket, { maxLineLength: 2048, idleTimeout: 600000, log: silentLogger() }, false);
        new Pop3Session(
          connection,
          { hostname: 'mx.test', store: strict.store, gate, options, listener: { name: 'pop3', tls: 'starttls', allowInsecureAuth: true }, secureContext: createSecureContext(tls) },
          silentLogger(),
          'remote',
        ).start();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as { port: number }).port;
    });
    after(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('still refuses them from a client that is not on loopback, and takes them after STLS', async () => {
      const { client } = await Pop3Client.connect(port);
      assert.doesNotMatch((await client.multiline('CAPA')).body!.toString(), /USER|SASL/);
      assert.match(await client.command(`USER ${ALICE}`), /^-ERR \[AUTH\] Plaintext authentication is refused/);
      assert.match(await client.command(`AUTH PLAIN ${plain(ALICE, PASSWORD)}`), /^-ERR \[AUTH\] Plaintext authentication is refused/);
      await client.startTls();
      assert.match(await client.login(ALICE, PASSWORD), /^\+OK /);
      await client.quit();
    });
  });
});
