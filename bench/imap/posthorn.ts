import { CORE_VERSION } from '@posthorn/core';
import { IMAP_GREETING, type MailPeer } from '../lib/mail-peer.ts';
import { preparePosthorn, startPosthorn } from '../lib/posthorn-mail.ts';

/**
 * Posthorn with accounts-file, mailbox-maildir and imap only (bench/lib/posthorn-mail.ts),
 * started with the real CLI on the pinned Node: one plain listener on 127.0.0.1, port 0.
 */
export function posthornImap(): MailPeer {
  let configFile = '';
  let dir = '';
  return {
    id: 'posthorn',
    label: 'Posthorn imap + mailbox-maildir',
    async version() {
      return `Posthorn ${CORE_VERSION} on Node ${process.versions.node}`;
    },
    async prepare(into, groups, hashes) {
      dir = into;
      const imap = {
        // Clear-text logins from loopback, as Dovecot's disable_plaintext_auth = no here; limits
        // high enough for every bench session on one account and one address, as Dovecot's.
        listeners: [{ name: 'imap', host: '127.0.0.1', port: 0, tls: 'starttls', allowInsecureAuth: true, maxConnectionsPerIp: 10_000, maxConnections: 10_000 }],
        maxSessionsPerUser: 1000,
      };
      configFile = await preparePosthorn(dir, { plugin: 'imap', options: imap }, groups, hashes);
    },
    async start() {
      const { proc, port } = await startPosthorn(dir, configFile, 'imap', IMAP_GREETING);
      return {
        port,
        pid: proc.pid,
        notes: [`node_modules/.bin/posthorn start --config <run>/posthorn/posthorn.config.json: plugins accounts-file, mailbox-maildir, imap (one plain listener, allowInsecureAuth on loopback, maxSessionsPerUser 1000); everything else default (message cache 64 MB); log level info to a file`],
        stop: () => proc.stop(20_000),
      };
    },
  };
}
