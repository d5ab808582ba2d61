import { readFile, rm, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../lib/ports.ts';
import { NODE, startManaged } from '../lib/processes.ts';
import { waitForSmtp } from '../lib/wait.ts';
import { freshDir } from '../lib/scratch.ts';
import type { Peer, PeerContext, RunningPeer } from './peer.ts';

const SERVER = fileURLToPath(new URL('./smtp-server-bare/server.ts', import.meta.url));

async function smtpServerVersion(): Promise<string> {
  const pkg = JSON.parse(await readFile(fileURLToPath(import.meta.resolve('smtp-server/package.json')), 'utf8')) as { version: string };
  return `smtp-server ${pkg.version} on Node ${process.versions.node}`;
}

function bareSmtpServer(mode: 'discard' | 'fsync'): Peer {
  return {
    id: `smtp-server-${mode}`,
    label: mode === 'discard' ? 'bare smtp-server, discards' : 'bare smtp-server, fsync per message',
    accepts: mode === 'discard' ? 'nothing is kept: the Node ceiling' : 'the message is in its own file, fsynced (the directory is not)',
    node: true,
    version: smtpServerVersion,
    async start(ctx: PeerContext): Promise<RunningPeer> {
      const dir = await freshDir(ctx.runDir, `smtp-server-${mode}`);
      const store = join(dir, 'messages');
      await mkdir(store);
      const port = await freePort();
      const logFile = join(dir, 'server.log');
      const proc = startManaged(NODE, [...ctx.nodeFlags, SERVER, String(port), mode, store], { logFile, env: { ...process.env, ...ctx.nodeEnv } });
      await waitForSmtp(port, 15_000, () => proc.alive());
      return {
        port,
        pid: proc.pid,
        logFile,
        notes: ['smtp-server with disableReverseLookup and its hard-coded 100 ms greeting pause removed (SMTPConnection#init overridden)'],
        async settle() {
          // Nothing drains: the files are only there to have been written. Clear them so the
          // next measurement writes into an empty directory, as the queues start from empty.
          await rm(store, { recursive: true, force: true });
          await mkdir(store);
          return { drained: true, left: 0 };
        },
        stop: () => proc.stop(),
      };
    },
  };
}

export const smtpServerDiscard = bareSmtpServer('discard');
export const smtpServerFsync = bareSmtpServer('fsync');
