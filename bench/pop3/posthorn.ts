import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Mailboxes } from '@posthorn/contracts';
import { App, CORE_VERSION, parseConfig, silentLogger } from '@posthorn/core';
import { freePort } from '../lib/ports.ts';
import { NODE, startManaged } from '../lib/processes.ts';
import { REPO } from '../lib/repo.ts';
import { DOMAIN, type AccountGroup, type HashKind } from './dataset.ts';
import { type Pop3Peer, waitForPop3 } from './peer.ts';

const CLI = join(REPO, 'node_modules/.bin/posthorn');

/**
 * Posthorn with accounts-file, mailbox-maildir and pop3 only (no SMTP listener), started with
 * the real CLI on the pinned Node. The mailboxes are filled beforehand through the store's own
 * append, in this process, with the plugins set up in admin mode.
 */
export function posthornPop3(): Pop3Peer {
  let configFile = '';
  let dir = '';
  let port = 0;
  return {
    id: 'posthorn',
    label: 'Posthorn pop3 + mailbox-maildir',
    async version() {
      return `Posthorn ${CORE_VERSION} on Node ${process.versions.node}`;
    },
    async prepare(into, groups, hashes) {
      dir = into;
      port = await freePort();
      const users = groups.flatMap((group) => group.users.map((user) => `  ${user}: { password: "${hashes[group.hash as HashKind]}" }`));
      await writeFile(join(dir, 'accounts.yaml'), `domains: [${DOMAIN}]\nusers:\n${users.join('\n')}\n`);
      const config = {
        hostname: 'bench.localhost',
        dataDir: join(dir, 'data'),
        log: { level: 'info', format: 'json' },
        dns: { servers: [`127.0.0.1:${await freePort()}`], timeout: 200, tries: 1 },
        control: { enabled: false },
        listeners: [],
        plugins: [
          { plugin: 'accounts-file', options: { file: join(dir, 'accounts.yaml') } },
          'mailbox-maildir',
          // Clear-text logins from loopback, as Dovecot's disable_plaintext_auth = no here.
          { plugin: 'pop3', options: { listeners: [{ name: 'pop3', host: '127.0.0.1', port, allowInsecureAuth: true, maxConnectionsPerIp: 10_000, maxConnections: 10_000 }] } },
        ],
      };
      configFile = join(dir, 'posthorn.config.json');
      await writeFile(configFile, JSON.stringify(config, null, 2));
      const app = await App.create(parseConfig(config, configFile, dir), { mode: 'admin', logger: silentLogger() });
      try {
        const store = app.services.get(Mailboxes)!;
        for (const group of groups) {
          for (const user of group.users) {
            await store.ensureAccount(user);
            // One after the other: UID n is message n, as Dovecot's files are numbered.
            for (const message of group.messages) await store.append({ user, mailbox: 'INBOX' }, message);
          }
        }
      } finally {
        await app.stop();
      }
    },
    async start() {
      const proc = startManaged(NODE, [CLI, 'start', '--config', configFile], { logFile: join(dir, 'posthorn.log'), cwd: dir });
      await waitForPop3(port, 30_000, () => proc.alive());
      return {
        port,
        pid: proc.pid,
        notes: [`node_modules/.bin/posthorn start --config <run>/posthorn/posthorn.config.json: plugins accounts-file, mailbox-maildir, pop3 (allowInsecureAuth on loopback); log level info to a file`],
        stop: () => proc.stop(20_000),
      };
    },
  };
}
