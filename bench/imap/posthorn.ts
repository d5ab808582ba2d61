import { IMAP_GREETING, type MailPeer } from '../lib/mail-peer.ts';
import { posthornMailPeer } from '../lib/posthorn-mail.ts';

/** Posthorn with accounts-file, mailbox-maildir and imap only: one plain listener on 127.0.0.1, port 0. */
export function posthornImap(): MailPeer {
  return posthornMailPeer({
    plugin: 'imap',
    // Clear-text logins from loopback, as Dovecot's disable_plaintext_auth = no here; limits
    // high enough for every bench session on one account and one address, as Dovecot's.
    options: {
      listeners: [{ name: 'imap', host: '127.0.0.1', port: 0, tls: 'starttls', allowInsecureAuth: true, maxConnectionsPerIp: 10_000, maxConnections: 10_000 }],
      maxSessionsPerUser: 1000,
    },
    greeting: IMAP_GREETING,
    setup: 'one plain listener, allowInsecureAuth on loopback, maxSessionsPerUser 1000; everything else default, message cache 64 MB',
  });
}
