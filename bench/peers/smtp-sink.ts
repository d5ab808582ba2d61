import { join } from 'node:path';
import { freePort } from '../lib/ports.ts';
import { startManaged } from '../lib/processes.ts';
import { waitForSmtp } from '../lib/wait.ts';
import { postfixVersion } from './postfix-version.ts';
import { nothingQueued, type Peer, type PeerContext, type RunningPeer } from './peer.ts';

/**
 * Starts Postfix's smtp-sink on 127.0.0.1. It answers 250 to everything and throws the data
 * away: the C ceiling every rate in the report is divided by. As root it must drop to a user.
 */
export async function startSmtpSink(dir: string, name: string, port?: number): Promise<RunningPeer> {
  const listenPort = port ?? (await freePort());
  const logFile = join(dir, `${name}.log`);
  const proc = startManaged('smtp-sink', ['-u', 'nobody', `127.0.0.1:${listenPort}`, '1024'], { logFile });
  await waitForSmtp(listenPort, 10_000, () => proc.alive());
  return {
    port: listenPort,
    pid: proc.pid,
    logFile,
    notes: [`smtp-sink -u nobody 127.0.0.1:${listenPort} 1024`],
    settle: nothingQueued,
    stop: () => proc.stop(),
  };
}

export const smtpSink: Peer = {
  id: 'smtp-sink',
  label: 'smtp-sink (C, discards)',
  accepts: 'nothing is kept: the C ceiling',
  node: false,
  version: postfixVersion,
  start: (ctx: PeerContext) => startSmtpSink(ctx.runDir, 'smtp-sink'),
};
