import { CORE_VERSION } from '@posthorn/core';
import { POP3_GREETING } from '../lib/mail-peer.ts';
import { preparePosthorn, startPosthorn } from '../lib/posthorn-mail.ts';
import type { Pop3Peer } from './peer.ts';

/**
 * Posthorn with accounts-file, mailbox-maildir and pop3 only (bench/lib/posthorn-mail.ts),
 * started with the real CLI on the pinned Node; the listener takes a free port (port 0).
 */
export function posthornPop3(): Pop3Peer {
  let configFile = '';
  let dir = '';
  return {
    id: 'posthorn',
    label: 'Posthorn pop3 + mailbox-maildir',
    async version() {
      return `Posthorn ${CORE_VERSION} on Node ${process.versions.node}`;
    },
    async prepare(into, groups, hashes) {
      dir = into;
      // Clear-text logins from loopback, as Dovecot's disable_plaintext_auth = no here.
      const pop3 = { listeners: [{ name: 'pop3', host: '127.0.0.1', port: 0, allowInsecureAuth: true, maxConnectionsPerIp: 10_000, maxConnections: 10_000 }] };
      configFile = await preparePosthorn(dir, { plugin: 'pop3', options: pop3 }, groups, hashes);
    },
    async start() {
      const { proc, port } = await startPosthorn(dir, configFile, 'pop3', POP3_GREETING);
      return {
        port,
        pid: proc.pid,
        notes: [`node_modules/.bin/posthorn start --config <run>/posthorn/posthorn.config.json: plugins accounts-file, mailbox-maildir, pop3 (allowInsecureAuth on loopback); log level info to a file`],
        stop: () => proc.stop(20_000),
      };
    },
  };
}
