import { chown, mkdir, readFile, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { countFiles } from '../lib/count-files.ts';
import { freePort } from '../lib/ports.ts';
import { runCommand } from '../lib/processes.ts';
import { freshDir } from '../lib/scratch.ts';
import { settleBy } from '../lib/settle.ts';
import { waitFor, waitForSmtp } from '../lib/wait.ts';
import { postfixVersion } from './postfix-version.ts';
import type { Peer, PeerContext, RunningPeer } from './peer.ts';

/** A private Postfix: its own config, queue and data directories, loopback only, no DNS. */
function mainCf(dir: string, relayPort: number): string {
  return `# Written by bench/peers/postfix.ts for one bench run.
compatibility_level = 3.6
queue_directory = ${dir}/queue
data_directory = ${dir}/data
mail_owner = postfix
setgid_group = postdrop
myhostname = bench.localhost
mydomain = localhost
myorigin = $myhostname
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
# Nothing is local: every message is relayed to the sink.
mydestination =
local_recipient_maps =
relay_domains =
mynetworks = 127.0.0.0/8
relayhost = [127.0.0.1]:${relayPort}
smtpd_relay_restrictions = permit_mynetworks, reject
# No DNS at all: the relay host is an address literal, clients are not looked up.
smtp_dns_support_level = disabled
smtp_host_lookup = native
smtpd_peername_lookup = no
biff = no
append_dot_mydomain = no
maillog_file_prefixes = ${dir}
maillog_file = ${dir}/maillog
`;
}

function masterCf(port: number): string {
  // chroot off everywhere: a chroot would need copies of /etc files inside the queue dir.
  return `# Written by bench/peers/postfix.ts for one bench run.
127.0.0.1:${port} inet n - n - - smtpd
pickup    unix  n - n 60    1 pickup
cleanup   unix  n - n -     0 cleanup
qmgr      unix  n - n 300   1 qmgr
rewrite   unix  - - n -     - trivial-rewrite
bounce    unix  - - n -     0 bounce
defer     unix  - - n -     0 bounce
trace     unix  - - n -     0 bounce
verify    unix  - - n -     1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -     - proxymap
smtp      unix  - - n -     - smtp
relay     unix  - - n -     - smtp
showq     unix  n - n -     - showq
error     unix  - - n -     - error
retry     unix  - - n -     - error
discard   unix  - - n -     - discard
anvil     unix  - - n -     1 anvil
scache    unix  - - n -     1 scache
postlog   unix-dgram n - n - 1 postlogd
`;
}

async function postfixIds(): Promise<{ uid: number; gid: number }> {
  const passwd = await readFile('/etc/passwd', 'utf8');
  const line = passwd.split('\n').find((l) => l.startsWith('postfix:'));
  if (!line) throw new Error('there is no postfix user (is the postfix package installed?)');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

async function tail(file: string, lines = 8): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trim().split('\n').slice(-lines).join(' | ');
  } catch {
    return '(no maillog)';
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export const postfix: Peer = {
  id: 'postfix',
  label: 'Postfix, relaying to a sink',
  accepts: 'the message is in Postfix\'s incoming queue, fsynced by cleanup(8) before the 250',
  node: false,
  version: postfixVersion,
  async prepare() {
    if (userInfo().uid !== 0) throw new Error('a private Postfix instance needs root (postfix start drops to the postfix user)');
    await postfixIds();
  },
  async start(ctx: PeerContext): Promise<RunningPeer> {
    const dir = await freshDir(ctx.runDir, ctx.dirName ?? 'postfix');
    const etc = join(dir, 'etc');
    await mkdir(etc);
    await mkdir(join(dir, 'queue'));
    await mkdir(join(dir, 'data'));
    const { uid, gid } = await postfixIds();
    await chown(join(dir, 'data'), uid, gid);
    const port = await freePort();
    await writeFile(join(etc, 'main.cf'), mainCf(dir, ctx.relayPort));
    await writeFile(join(etc, 'master.cf'), masterCf(port));
    const maillog = join(dir, 'maillog');
    // `check` creates the queue's subdirectories with the right owners.
    await runCommand('postfix', ['-c', etc, 'check'], { timeoutMs: 60_000 });
    const started = await runCommand('postfix', ['-c', etc, 'start'], { timeoutMs: 60_000 });
    if (started.code !== 0) throw new Error(`postfix start failed (exit ${started.code}): ${started.stderr.trim()} ${await tail(maillog)}`);
    const pidFile = join(dir, 'queue/pid/master.pid');
    let masterPid = 0;
    await waitFor('postfix master.pid', async () => {
      masterPid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim()) || 0;
      return masterPid > 0;
    }, 15_000);
    await waitForSmtp(port, 30_000, () => processExists(masterPid));
    const queued = () => Promise.all(['maildrop', 'incoming', 'active', 'deferred', 'hold'].map((q) => countFiles(join(dir, 'queue', q)))).then((n) => n.reduce((a, b) => a + b, 0));
    return {
      port,
      pid: masterPid,
      logFile: maillog,
      notes: [`postfix -c ${etc} start; smtpd on 127.0.0.1:${port}, relayhost [127.0.0.1]:${ctx.relayPort}, chroot off, DNS off`],
      settle: (timeoutMs) => settleBy(queued, timeoutMs),
      async stop() {
        await runCommand('postfix', ['-c', etc, 'stop'], { timeoutMs: 60_000 });
        await waitFor('postfix master to exit', () => !processExists(masterPid), 30_000).catch(() => {
          if (processExists(masterPid)) process.kill(masterPid, 'SIGKILL');
        });
      },
    };
  },
};
