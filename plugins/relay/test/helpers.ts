import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixture, SmtpClient, startTestServer, tempDir, type TestServer } from '@posthorn/testkit';

export const PASSWORD = 'relay test password';

/**
 * Accounts (local domains local.test and the IDN bücher.example, written as its A-label, as
 * accounts-file wants), local delivery (mailbox-maildir: unknown local users get 550 5.1.1),
 * AUTH, relay, a memory queue that accepts no recipients itself, and a probe that records the
 * recipient addresses the rcpt hook is handed.
 */
export async function startRelayServer(relay: Record<string, unknown> = {}): Promise<{ server: TestServer; stop(): Promise<void> }> {
  const dir = await tempDir();
  await writeFile(join(dir.path, 'accounts.yaml'), 'domains: [local.test, xn--bcher-kva.example]\nusers: {}\n');
  let server: TestServer;
  try {
    server = await startTestServer(
      {
        listeners: [
          { name: 'mx', role: 'mx' },
          { name: 'submission', role: 'submission' },
        ],
        plugins: [
          { plugin: 'accounts-file', options: { file: 'accounts.yaml' } },
          'mailbox-maildir',
          { plugin: 'auth', options: { baseDelayMs: 0 } },
          { plugin: 'relay', options: relay },
          { plugin: fixture('memory-queue'), options: { domains: [] } },
          fileURLToPath(new URL('./rcpt-probe.ts', import.meta.url)),
        ],
      },
      { dir: dir.path },
    );
  } catch (err) {
    await dir.remove();
    throw err;
  }
  await server.app.admin('user.add', { address: 'alice@local.test', password: PASSWORD });
  return {
    server,
    stop: async () => {
      await server.stop();
      await dir.remove();
    },
  };
}

/** A submission session after STARTTLS and AUTH PLAIN as alice. */
export async function openAuthenticated(port: number): Promise<SmtpClient> {
  const client = await SmtpClient.open(port);
  await client.command('EHLO client.test');
  const tls = await client.startTls();
  if (tls.code !== 220) throw new Error(`STARTTLS refused: ${tls.raw}`);
  await client.command('EHLO client.test');
  const auth = await client.command(`AUTH PLAIN ${Buffer.from(`\0alice@local.test\0${PASSWORD}`).toString('base64')}`);
  if (auth.code !== 235) throw new Error(`AUTH refused: ${auth.raw}`);
  return client;
}

/** `code enhanced` of a reply, e.g. `550 5.7.1`. */
export function status(reply: { code: number; enhanced: string }): string {
  return `${reply.code} ${reply.enhanced}`;
}
