import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { countFiles } from '../lib/count-files.ts';
import { freePort } from '../lib/ports.ts';
import { NODE, startManaged } from '../lib/processes.ts';
import { REPO } from '../lib/repo.ts';
import { freshDir } from '../lib/scratch.ts';
import { settleBy } from '../lib/settle.ts';
import { waitForSmtp } from '../lib/wait.ts';
import type { PeerContext, RunningPeer } from './peer.ts';
import { CLI, QUEUE_FS } from './posthorn.ts';

/** The domain smtp-source sends to in the outbound measurement; routed to the sink, never looked up. */
export const REMOTE_DOMAIN = 'remote.test';

const RELAY = join(REPO, 'plugins/relay/src/index.ts');
const OUTBOUND = join(REPO, 'plugins/outbound/src/index.ts');

/**
 * Posthorn as a relay, the way an operator would set it up: queue-fs, the relay plugin letting
 * loopback clients relay, and outbound with a static route for REMOTE_DOMAIN to the sink (no
 * MX lookup, no STARTTLS: the sink offers none, and Postfix's smtp client does not try either).
 * Every other outbound and queue-fs option is its default (queue-fs concurrency 20, outbound
 * maxConnectionsPerDomain 10, connections reused for up to 100 transactions).
 */
function config(dir: string, port: number, deadDnsPort: number, sinkPort: number, logLevel: string): Record<string, unknown> {
  return {
    hostname: 'bench.localhost',
    dataDir: join(dir, 'data'),
    log: { level: logLevel, format: 'json' },
    // As in posthorn.ts: a resolver nobody answers; a routed domain by IP needs no lookup.
    dns: { servers: [`127.0.0.1:${deadDnsPort}`], timeout: 200, tries: 1 },
    control: { enabled: false },
    listeners: [
      { name: 'mx', role: 'mx', host: '127.0.0.1', port, greetingDelay: 0, reverseLookup: false, maxConnections: 20_000, maxConnectionsPerIp: 20_000 },
    ],
    plugins: [
      { plugin: QUEUE_FS, options: {} },
      { plugin: RELAY, options: { networks: ['127.0.0.0/8'] } },
      { plugin: OUTBOUND, options: { routes: { [REMOTE_DOMAIN]: { host: '127.0.0.1', port: sinkPort, tls: 'none' } } } },
    ],
  };
}

export const POSTHORN_OUTBOUND_LABEL = 'Posthorn: queue-fs + relay + outbound';

/** Starts it with `ctx.relayPort` as the remote: the sink the outbound measurement counts at. */
export async function startPosthornOutbound(ctx: PeerContext, logLevel: string): Promise<RunningPeer> {
  const dir = await freshDir(ctx.runDir, ctx.dirName ?? 'posthorn-outbound');
  const port = await freePort();
  const file = join(dir, 'posthorn.config.json');
  await writeFile(file, JSON.stringify(config(dir, port, await freePort(), ctx.relayPort, logLevel), null, 2));
  const logFile = join(dir, 'posthorn.log');
  const proc = startManaged(NODE, [...ctx.nodeFlags, CLI, 'start', '--config', file], { logFile, cwd: dir, env: { ...process.env, ...ctx.nodeEnv } });
  await waitForSmtp(port, 30_000, () => proc.alive());
  const queueDir = join(dir, 'data', 'queue');
  return {
    port,
    pid: proc.pid,
    logFile,
    notes: [
      `node_modules/.bin/posthorn start --config ${file}`,
      `mx listener as above, log level ${logLevel}; plugins: queue-fs (defaults), relay (networks 127.0.0.0/8), outbound (defaults; routes: ${REMOTE_DOMAIN} -> 127.0.0.1:<sink>, tls none)`,
    ],
    // queue-fs deletes its last segment once the queue is empty and idle (compactInterval, 1 s).
    settle: (timeoutMs) => settleBy(() => countFiles(queueDir, (name) => name.endsWith('.log')), timeoutMs),
    stop: () => proc.stop(40_000),
  };
}
