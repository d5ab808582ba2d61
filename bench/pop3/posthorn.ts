import { type MailPeer, POP3_GREETING } from '../lib/mail-peer.ts';
import { posthornMailPeer } from '../lib/posthorn-mail.ts';

/** Posthorn with accounts-file, mailbox-maildir and pop3 only; the listener takes a free port (port 0). */
export function posthornPop3(): MailPeer {
  return posthornMailPeer({
    plugin: 'pop3',
    // Clear-text logins from loopback, as Dovecot's disable_plaintext_auth = no here.
    options: { listeners: [{ name: 'pop3', host: '127.0.0.1', port: 0, allowInsecureAuth: true, maxConnectionsPerIp: 10_000, maxConnections: 10_000 }] },
    greeting: POP3_GREETING,
    setup: 'allowInsecureAuth on loopback',
  });
}
