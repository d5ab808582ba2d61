import { dovecotVersion, type PreparedDovecot, prepareDovecot } from '../lib/dovecot.ts';
import { POP3_GREETING, waitForGreeting } from '../lib/mail-peer.ts';
import type { Pop3Peer } from './peer.ts';

/**
 * Dovecot's POP3 server (Debian's dovecot-pop3d) as a private instance (bench/lib/dovecot.ts),
 * locking each maildrop for one session as Posthorn does.
 */
export function dovecotPop3(): Pop3Peer {
  let prepared: PreparedDovecot | undefined;
  return {
    id: 'dovecot',
    label: 'Dovecot pop3',
    version: dovecotVersion,
    async prepare(into, groups, hashes) {
      // One session per maildrop, as Posthorn's lock (Dovecot's default is no lock).
      prepared = await prepareDovecot(into, { name: 'pop3', extra: 'pop3_lock_session = yes\n' }, groups, hashes);
    },
    async start() {
      const { port } = prepared!;
      const proc = prepared!.start();
      await waitForGreeting(POP3_GREETING, port, 30_000, () => proc.alive());
      return {
        port,
        pid: proc.pid,
        notes: [
          'dovecot -F -c <run>/dovecot/dovecot.conf: protocols pop3, ssl no, disable_plaintext_auth no, passwd-file passdb (scheme ARGON2ID) and userdb, maildir, pop3_lock_session yes; everything else default (login processes in high-security mode, service_count 1; no auth cache); log to a file',
        ],
        stop: () => proc.stop(20_000),
      };
    },
  };
}
