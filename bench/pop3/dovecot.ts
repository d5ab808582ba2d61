import { chown, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from '../lib/ports.ts';
import { runCommand, startManaged } from '../lib/processes.ts';
import type { HashKind } from './dataset.ts';
import { type Pop3Peer, waitForPop3 } from './peer.ts';

/** The unprivileged user Dovecot's mail processes run as (Debian's nobody/nogroup). */
const MAIL_UID = 65534;
const MAIL_GID = 65534;

/**
 * A private Dovecot instance (Debian's dovecot-pop3d): its own config, base_dir, state_dir and
 * logs in the scratch directory, `dovecot -F -c <config>` in the foreground so the bench owns
 * the process; no system service is touched. Users and password hashes in a passwd-file (the
 * same Argon2id strings Posthorn verifies), mail in Maildir with the same bytes as Posthorn's.
 */
export function dovecotPop3(): Pop3Peer {
  let configFile = '';
  let dir = '';
  let port = 0;
  return {
    id: 'dovecot',
    label: 'Dovecot pop3',
    async version() {
      const result = await runCommand('dovecot', ['--version']);
      if (result.code !== 0) throw new Error(`dovecot --version failed: ${result.stderr.trim() || result.code}`);
      return `Dovecot ${result.stdout.trim()}`;
    },
    async prepare(into, groups, hashes) {
      dir = into;
      port = await freePort();
      const mail = join(dir, 'mail');
      for (const sub of ['run', 'state', 'mail', 'home']) await mkdir(join(dir, sub), { recursive: true });
      const passwd = groups.flatMap((group) => group.users.map((user) => `${user}:{ARGON2ID}${hashes[group.hash as HashKind]}:${MAIL_UID}:${MAIL_GID}::${join(dir, 'home', user)}::`));
      await writeFile(join(dir, 'passwd'), `${passwd.join('\n')}\n`, { mode: 0o644 });
      configFile = join(dir, 'dovecot.conf');
      await writeFile(
        configFile,
        `# Written by bench/pop3.ts for one run; nothing here touches the system's Dovecot.
base_dir = ${join(dir, 'run')}
state_dir = ${join(dir, 'state')}
log_path = ${join(dir, 'dovecot.log')}
protocols = pop3
listen = 127.0.0.1
ssl = no
# Clear text from loopback, as Posthorn's allowInsecureAuth here.
disable_plaintext_auth = no
auth_mechanisms = plain
mail_location = maildir:${mail}/%u
# One session per maildrop, as Posthorn's lock (Dovecot's default is no lock).
pop3_lock_session = yes
passdb {
  driver = passwd-file
  args = scheme=ARGON2ID ${join(dir, 'passwd')}
}
userdb {
  driver = passwd-file
  args = ${join(dir, 'passwd')}
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener pop3s {
    port = 0
  }
}
`,
      );
      for (const group of groups) {
        for (const user of group.users) {
          const inbox = join(mail, user);
          for (const sub of ['new', 'cur', 'tmp']) await mkdir(join(inbox, sub), { recursive: true });
          // Maildir names in delivery order, so message n is the n-th file, as UID n in Posthorn.
          for (let i = 0; i < group.messages.length; i++) await writeFile(join(inbox, 'new', `${1_800_000_000 + i}.M${i}P1.bench`), group.messages[i]!);
        }
      }
      await chownTree(mail, MAIL_UID, MAIL_GID);
      await chownTree(join(dir, 'home'), MAIL_UID, MAIL_GID);
    },
    async start() {
      const proc = startManaged('dovecot', ['-F', '-c', configFile], { logFile: join(dir, 'dovecot.out'), cwd: dir });
      await waitForPop3(port, 30_000, () => proc.alive());
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

async function chownTree(path: string, uid: number, gid: number): Promise<void> {
  await chown(path, uid, gid);
  for (const entry of await readdir(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) await chownTree(child, uid, gid);
    else await chown(child, uid, gid);
  }
}
