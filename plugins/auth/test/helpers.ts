import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@posthorn/core';
import { fixture, SmtpClient, startTestServer, tempDir, type TestServer } from '@posthorn/testkit';

export const PASSWORD = 'correct horse battery staple';

export { authPlain as plain } from '@posthorn/testkit';

export function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

export interface AuthTestServer {
  readonly server: TestServer;
  stop(): Promise<void>;
}

/**
 * A server with the three listener roles, accounts-file (users made through the admin
 * command, so the password hashes are the plugin's own), the auth plugin with the options
 * given, and a memory queue.
 */
export async function startAuthServer(options: {
  auth?: Record<string, unknown>;
  allowInsecureAuth?: boolean;
  users?: readonly string[];
  logger?: Logger;
}): Promise<AuthTestServer> {
  const dir = await tempDir();
  await writeFile(join(dir.path, 'accounts.yaml'), 'domains: [example.test]\nusers: {}\n');
  const server = await startTestServer(
    {
      listeners: [
        { name: 'mx', role: 'mx' },
        { name: 'submission', role: 'submission', allowInsecureAuth: options.allowInsecureAuth ?? false },
        { name: 'submissions', role: 'submissions' },
      ],
      plugins: [
        { plugin: 'accounts-file', options: { file: 'accounts.yaml' } },
        { plugin: 'auth', options: { baseDelayMs: 1, maxDelayMs: 4, ...options.auth } },
        { plugin: fixture('memory-queue'), options: { domains: ['example.test', 'remote.example'] } },
      ],
    },
    { dir: dir.path, ...(options.logger ? { logger: options.logger } : {}) },
  );
  for (const address of options.users ?? ['alice@example.test']) await server.app.admin('user.add', { address, password: PASSWORD });
  return {
    server,
    stop: async () => {
      await server.stop();
      await dir.remove();
    },
  };
}

/** Connects to the submission listener, greets, and upgrades with STARTTLS. */
export async function openStartTls(port: number): Promise<SmtpClient> {
  const client = await SmtpClient.open(port);
  const ehlo = await client.command('EHLO client.test');
  if (ehlo.code !== 250) throw new Error(`EHLO refused: ${ehlo.raw}`);
  const tls = await client.startTls();
  if (tls.code !== 220) throw new Error(`STARTTLS refused: ${tls.raw}`);
  const again = await client.command('EHLO client.test');
  if (again.code !== 250) throw new Error(`EHLO after STARTTLS refused: ${again.raw}`);
  return client;
}
