import { chown, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AccountGroup, HashKind } from './mail-data.ts';
import { freePort } from './ports.ts';
import { type Managed, runCommand, startManaged } from './processes.ts';

/** The unprivileged user Dovecot's mail processes run as (Debian's nobody/nogroup). */
const MAIL_UID = 65534;
const MAIL_GID = 65534;

export async function dovecotVersion(): Promise<string> {
  const result = await runCommand('dovecot', ['--version']);
  if (result.code !== 0) throw new Error(`dovecot --version failed: ${result.stderr.trim() || result.code}`);
  return `Dovecot ${result.stdout.trim()}`;
}

/** What differs between the protocols of a private Dovecot instance. */
export interface DovecotProtocol {
  /** `pop3` or `imap`: the `protocols` setting and the `<name>-login` service. */
  readonly name: 'pop3' | 'imap';
  /** Settings appended to the common config (a `protocol <name> { }` block and the like). */
  readonly extra: string;
}

/** A private Dovecot instance prepared in a scratch directory, not yet started. */
export interface PreparedDovecot {
  readonly port: number;
  start(): Managed;
}

/**
 * A private Dovecot instance (Debian's dovecot-pop3d / dovecot-imapd): its own config,
 * base_dir, state_dir and logs in `dir`, run as `dovecot -F -c <config>` in the foreground so
 * the bench owns the process; no system service is touched. Users and password hashes in a
 * passwd-file (the same Argon2id strings Posthorn verifies), mail in Maildir with the same
 * bytes as Posthorn's, in `new/` and numbered in order so message n gets UID n.
 */
export async function prepareDovecot(dir: string, protocol: DovecotProtocol, groups: readonly AccountGroup[], hashes: Readonly<Record<HashKind, string>>): Promise<PreparedDovecot> {
  const port = await freePort();
  const mail = join(dir, 'mail');
  for (const sub of ['run', 'state', 'mail', 'home']) await mkdir(join(dir, sub), { recursive: true });
  const passwd = groups.flatMap((group) => group.users.map((user) => `${user}:{ARGON2ID}${hashes[group.hash]}:${MAIL_UID}:${MAIL_GID}::${join(dir, 'home', user)}::`));
  await writeFile(join(dir, 'passwd'), `${passwd.join('\n')}\n`, { mode: 0o644 });
  const configFile = join(dir, 'dovecot.conf');
  await writeFile(
    configFile,
    `# Written by the bench for one run; nothing here touches the system's Dovecot.
base_dir = ${join(dir, 'run')}
state_dir = ${join(dir, 'state')}
log_path = ${join(dir, 'dovecot.log')}
protocols = ${protocol.name}
listen = 127.0.0.1
ssl = no
# Clear text from loopback, as Posthorn's allowInsecureAuth here.
disable_plaintext_auth = no
auth_mechanisms = plain
mail_location = maildir:${mail}/%u
passdb {
  driver = passwd-file
  args = scheme=ARGON2ID ${join(dir, 'passwd')}
}
userdb {
  driver = passwd-file
  args = ${join(dir, 'passwd')}
}
service ${protocol.name}-login {
  inet_listener ${protocol.name} {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener ${protocol.name}s {
    port = 0
  }
}
${protocol.extra}`,
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
  return {
    port,
    start: () => startManaged('dovecot', ['-F', '-c', configFile], { logFile: join(dir, 'dovecot.out'), cwd: dir }),
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
