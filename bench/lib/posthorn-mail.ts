import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Mailboxes } from '@posthorn/contracts';
import { App, CORE_VERSION, parseConfig, silentLogger } from '@posthorn/core';
import { type AccountGroup, DOMAIN, type HashKind } from './mail-data.ts';
import { type Greeting, type MailPeer, waitForGreeting } from './mail-peer.ts';
import { freePort } from './ports.ts';
import { type Managed, NODE, startManaged } from './processes.ts';
import { REPO } from './repo.ts';
import { waitFor } from './wait.ts';

const CLI = join(REPO, 'node_modules/.bin/posthorn');

/**
 * Posthorn with accounts-file, mailbox-maildir and one mail-reading plugin (`server`: pop3 or
 * imap, with its listener options), no SMTP listener. The mailboxes are filled here through the
 * store's own append, with the plugins set up in admin mode, one message after the other so
 * that UID n is message n, as Dovecot's files are numbered. Returns the config file.
 */
export async function preparePosthorn(
  dir: string,
  server: { readonly plugin: string; readonly options: Record<string, unknown> },
  groups: readonly AccountGroup[],
  hashes: Readonly<Record<HashKind, string>>,
): Promise<string> {
  const users = groups.flatMap((group) => group.users.map((user) => `  ${user}: { password: "${hashes[group.hash]}" }`));
  await writeFile(join(dir, 'accounts.yaml'), `domains: [${DOMAIN}]\nusers:\n${users.join('\n')}\n`);
  const config = {
    hostname: 'bench.localhost',
    dataDir: join(dir, 'data'),
    log: { level: 'info', format: 'json' },
    // Nothing here resolves names; a dead port makes sure nothing would reach a real resolver.
    dns: { servers: [`127.0.0.1:${await freePort()}`], timeout: 200, tries: 1 },
    control: { enabled: false },
    listeners: [],
    plugins: [{ plugin: 'accounts-file', options: { file: join(dir, 'accounts.yaml') } }, 'mailbox-maildir', server],
  };
  const configFile = join(dir, 'posthorn.config.json');
  await writeFile(configFile, JSON.stringify(config, null, 2));
  const app = await App.create(parseConfig(config, configFile, dir), { mode: 'admin', logger: silentLogger() });
  try {
    const store = app.services.get(Mailboxes)!;
    for (const group of groups) {
      for (const user of group.users) {
        await store.ensureAccount(user);
        for (const message of group.messages) await store.append({ user, mailbox: 'INBOX' }, message);
      }
    }
  } finally {
    await app.stop();
  }
  return configFile;
}

/**
 * Starts the prepared Posthorn with the real CLI on the pinned Node, learns the port of
 * `listener` from its `listening` log line (so the config may say port 0) and waits for the
 * protocol's greeting there.
 */
export async function startPosthorn(dir: string, configFile: string, listener: string, greeting: Greeting): Promise<{ proc: Managed; port: number }> {
  const logFile = join(dir, 'posthorn.log');
  await writeFile(logFile, '');
  const proc = startManaged(NODE, [CLI, 'start', '--config', configFile], { logFile, cwd: dir });
  let port = 0;
  await waitFor(
    `Posthorn's "listening" log line for ${listener}`,
    async () => {
      if (!proc.alive()) throw new Error(`posthorn exited before it listened; see ${logFile}`);
      for (const line of (await readFile(logFile, 'utf8')).split('\n')) {
        if (!line.includes('"listening"')) continue;
        try {
          const entry = JSON.parse(line) as { msg?: string; listener?: string; port?: number };
          if (entry.msg === 'listening' && entry.listener === listener && entry.port) port = entry.port;
        } catch {
          // Not a log line (a stray write to stdout): not ours to read.
        }
      }
      return port > 0;
    },
    30_000,
    50,
  );
  await waitForGreeting(greeting, port, 30_000, () => proc.alive());
  return { proc, port };
}

/**
 * Posthorn as a mail-reading peer: accounts-file, mailbox-maildir and one protocol plugin
 * (with these options; its listener named after the plugin), started with the real CLI on the
 * pinned Node. `setup` describes the options for the report.
 */
export function posthornMailPeer(spec: { readonly plugin: string; readonly options: Record<string, unknown>; readonly greeting: Greeting; readonly setup: string }): MailPeer {
  let configFile = '';
  let dir = '';
  return {
    id: 'posthorn',
    label: `Posthorn ${spec.plugin} + mailbox-maildir`,
    async version() {
      return `Posthorn ${CORE_VERSION} on Node ${process.versions.node}`;
    },
    async prepare(into, groups, hashes) {
      dir = into;
      configFile = await preparePosthorn(dir, { plugin: spec.plugin, options: spec.options }, groups, hashes);
    },
    async start() {
      const { proc, port } = await startPosthorn(dir, configFile, spec.plugin, spec.greeting);
      return {
        port,
        pid: proc.pid,
        notes: [`node_modules/.bin/posthorn start --config <run>/posthorn/posthorn.config.json: plugins accounts-file, mailbox-maildir, ${spec.plugin} (${spec.setup}); log level info to a file`],
        stop: () => proc.stop(20_000),
      };
    },
  };
}
