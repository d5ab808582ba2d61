import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { countFiles } from '../lib/count-files.ts';
import { freePort } from '../lib/ports.ts';
import { NODE, startManaged } from '../lib/processes.ts';
import { REPO } from '../lib/repo.ts';
import { freshDir } from '../lib/scratch.ts';
import { settleBy } from '../lib/settle.ts';
import { waitForSmtp } from '../lib/wait.ts';
import type { Peer, PeerContext, RunningPeer } from './peer.ts';

export const CLI = join(REPO, 'node_modules/.bin/posthorn');
const BENCH_PLUGIN = fileURLToPath(new URL('./posthorn/bench-plugin.ts', import.meta.url));
// POSTHORN_BENCH_QUEUE_FS: another queue-fs entry point (an older copy, to compare before/after).
export const QUEUE_FS = process.env.POSTHORN_BENCH_QUEUE_FS ?? join(REPO, 'plugins/queue-fs/src/index.ts');
const MEMORY_QUEUE = join(REPO, 'packages/testkit/fixtures/memory-queue.ts');

export type PosthornQueue = 'fs' | 'memory';

export interface PosthornChoice {
  readonly queue: PosthornQueue;
  readonly logLevel: string;
}

/** queue-fs when this checkout has it, else (or when asked) the testkit's memory-queue fixture. */
export function choosePosthorn(wanted: PosthornQueue | 'auto', logLevel = 'info'): PosthornChoice {
  return { queue: wanted === 'auto' ? (existsSync(QUEUE_FS) ? 'fs' : 'memory') : wanted, logLevel };
}

function config(dir: string, port: number, deadDnsPort: number, queue: PosthornQueue, logLevel: string): Record<string, unknown> {
  const queuePlugin = queue === 'fs' ? { plugin: QUEUE_FS, options: {} } : { plugin: MEMORY_QUEUE, options: { domains: ['localhost'] } };
  return {
    hostname: 'bench.localhost',
    dataDir: join(dir, 'data'),
    log: { level: logLevel, format: 'json' },
    // Nothing listens there: no query can leave the machine, and none is expected (loopback
    // reverse lookups are answered by the listener itself and reverseLookup is off anyway).
    dns: { servers: [`127.0.0.1:${deadDnsPort}`], timeout: 200, tries: 1 },
    control: { enabled: false },
    listeners: [
      {
        name: 'mx',
        role: 'mx',
        host: '127.0.0.1',
        port,
        greetingDelay: 0,
        reverseLookup: false,
        maxConnections: 20_000,
        maxConnectionsPerIp: 20_000,
      },
    ],
    plugins: [queuePlugin, { plugin: BENCH_PLUGIN, options: { clearMemoryQueue: queue === 'memory' } }],
  };
}

export function posthornPeer(choice: PosthornChoice): Peer {
  const durable = choice.queue === 'fs';
  return {
    id: 'posthorn',
    label: durable ? 'Posthorn + queue-fs' : 'Posthorn + memory-queue fixture',
    accepts: durable ? 'message and envelope appended to the queue log and synced (O_DSYNC write, group commit), directory entry included for a new segment (queue-fs)' : 'kept in memory only (testkit memory-queue fixture: NOT durable)',
    node: true,
    async version() {
      const pkg = JSON.parse(await readFile(join(REPO, 'core/package.json'), 'utf8')) as { version: string };
      return `Posthorn ${pkg.version} (${choice.queue === 'fs' ? 'queue-fs' : 'memory-queue fixture'}) on Node ${process.versions.node}`;
    },
    async start(ctx: PeerContext): Promise<RunningPeer> {
      const dir = await freshDir(ctx.runDir, 'posthorn');
      const port = await freePort();
      const file = join(dir, 'posthorn.config.json');
      await writeFile(file, JSON.stringify(config(dir, port, await freePort(), choice.queue, choice.logLevel), null, 2));
      const logFile = join(dir, 'posthorn.log');
      // The real CLI on the pinned Node, run directly so its pid is the server's.
      const proc = startManaged(NODE, [...ctx.nodeFlags, CLI, 'start', '--config', file], { logFile, cwd: dir, env: { ...process.env, ...ctx.nodeEnv } });
      await waitForSmtp(port, 30_000, () => proc.alive());
      const queueDir = join(dir, 'data', 'queue');
      return {
        port,
        pid: proc.pid,
        logFile,
        notes: [
          `node_modules/.bin/posthorn start --config ${file}`,
          `mx listener, greetingDelay 0, reverseLookup false, log level ${choice.logLevel}; plugins: ${choice.queue === 'fs' ? 'queue-fs' : 'testkit memory-queue'} + bench-accept-all (deliver tap accepts)`,
        ],
        settle: (timeoutMs) => (durable ? settleBy(() => countFiles(queueDir, (name) => name.endsWith('.msg') || name.endsWith('.log')), timeoutMs) : Promise.resolve({ drained: true, left: 0 })),
        stop: () => proc.stop(40_000),
      };
    },
  };
}
