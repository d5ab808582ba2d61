import { dovecotVersion, type PreparedDovecot, prepareDovecot } from '../lib/dovecot.ts';
import { IMAP_GREETING, type MailPeer, waitForGreeting } from '../lib/mail-peer.ts';

/**
 * Dovecot's IMAP server (Debian's dovecot-imapd) as a private instance (bench/lib/dovecot.ts).
 * Its default of 10 connections per user and address would refuse the shared-mailbox sessions
 * beyond ten; Posthorn gets a matching high limit.
 */
export function dovecotImap(): MailPeer {
  let prepared: PreparedDovecot | undefined;
  return {
    id: 'dovecot',
    label: 'Dovecot imap',
    version: dovecotVersion,
    async prepare(into, groups, hashes) {
      prepared = await prepareDovecot(into, { name: 'imap', extra: 'protocol imap {\n  mail_max_userip_connections = 1000\n}\n' }, groups, hashes);
    },
    async start() {
      const { port } = prepared!;
      const proc = prepared!.start();
      await waitForGreeting(IMAP_GREETING, port, 30_000, () => proc.alive());
      return {
        port,
        pid: proc.pid,
        notes: [
          'dovecot -F -c <run>/dovecot/dovecot.conf: protocols imap, ssl no, disable_plaintext_auth no, passwd-file passdb (scheme ARGON2ID) and userdb, maildir, mail_max_userip_connections 1000; everything else default (login processes in high-security mode, service_count 1; an imap process per session; no auth cache; index files beside the maildir); log to a file',
        ],
        stop: () => proc.stop(20_000),
      };
    },
  };
}
