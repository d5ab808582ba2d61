import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { countFiles } from '../lib/count-files.ts';
import { freePort } from '../lib/ports.ts';
import { NODE, runCommand, startManaged } from '../lib/processes.ts';
import { SCRATCH_ROOT, freshDir } from '../lib/scratch.ts';
import { settleBy } from '../lib/settle.ts';
import { waitForSmtp } from '../lib/wait.ts';
import type { Peer, PeerContext, RunningPeer } from './peer.ts';

/** Pinned: the report names it, and a newer Haraka could change both speed and config. */
export const HARAKA_VERSION = '3.3.4';

/** Installed at bench time, outside the repository: Haraka is never a dependency of Posthorn. */
const INSTALL_DIR = join(SCRATCH_ROOT, 'haraka');
const HARAKA_BIN = join(INSTALL_DIR, 'node_modules/Haraka/bin/haraka');

async function installedVersion(): Promise<string | undefined> {
  try {
    return (JSON.parse(await readFile(join(INSTALL_DIR, 'node_modules/Haraka/package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return undefined;
  }
}

/** `npm install --prefix <scratch>/haraka Haraka@<pin>` with the system npm, on the pinned node. */
export async function ensureHaraka(): Promise<void> {
  if ((await installedVersion()) === HARAKA_VERSION) return;
  await mkdir(INSTALL_DIR, { recursive: true });
  console.log(`installing Haraka ${HARAKA_VERSION} into ${INSTALL_DIR} ...`);
  const env = { ...process.env, PATH: `${dirname(NODE)}:${process.env.PATH ?? ''}` };
  const result = await runCommand('npm', ['install', '--prefix', INSTALL_DIR, '--no-audit', '--no-fund', '--loglevel=error', `Haraka@${HARAKA_VERSION}`], { env, timeoutMs: 300_000 });
  if (result.code !== 0 || (await installedVersion()) !== HARAKA_VERSION) {
    throw new Error(`npm install Haraka@${HARAKA_VERSION} failed: ${result.stderr.trim().split('\n').slice(-5).join(' | ')}`);
  }
}

type HarakaMode = 'discard' | 'queue';

/** Writes the config files over what `haraka -i` created. */
async function configure(dir: string, mode: HarakaMode, port: number, relayPort: number): Promise<void> {
  const config = join(dir, 'config');
  const files: Record<string, string> = {
    // nodes=0: one process, no cluster, so its RSS is the whole server. public_ip set so
    // nothing ever asks a STUN server for it.
    'smtp.ini': `listen=127.0.0.1:${port}\nnodes=0\npublic_ip=127.0.0.1\n`,
    me: 'bench.localhost\n',
    host_list: 'localhost\n',
    plugins:
      mode === 'discard'
        ? 'rcpt_to.in_host_list\nqueue/discard\n'
        : // relay marks loopback clients as relaying, so the message goes to the outbound
          // queue (written to queue/ with an fsync per file); smtp_forward only answers get_mx
          // for localhost, pointing delivery at the relay sink without any MX lookup.
          'relay\nrcpt_to.in_host_list\nqueue/smtp_forward\n',
  };
  if (mode === 'queue') {
    files['relay.ini'] = '[relay]\nacl=true\nforce_routing=false\nall=false\ndest_domains=false\n';
    files['relay_acl_allow'] = '127.0.0.1/8\n';
    files['smtp_forward.ini'] = `host=127.0.0.1\nport=${relayPort}\nenable_tls=false\nenable_outbound=false\n\n[localhost]\nhost=127.0.0.1\nport=${relayPort}\n`;
    files['outbound.ini'] = 'enable_tls=false\n';
  }
  for (const [name, text] of Object.entries(files)) await writeFile(join(config, name), text);
}

function haraka(mode: HarakaMode): Peer {
  return {
    id: `haraka-${mode}`,
    label: mode === 'discard' ? 'Haraka, queue/discard' : 'Haraka, outbound queue',
    accepts:
      mode === 'discard'
        ? 'nothing is kept (queue/discard)'
        : 'the message is in a file in Haraka\'s outbound queue, fsynced before close, then renamed; the directory is not fsynced',
    node: true,
    prepare: ensureHaraka,
    async version() {
      return `Haraka ${(await installedVersion()) ?? HARAKA_VERSION} on Node ${process.versions.node}`;
    },
    async start(ctx: PeerContext): Promise<RunningPeer> {
      const dir = await freshDir(ctx.runDir, `haraka-${mode}`);
      const init = await runCommand(NODE, [HARAKA_BIN, '-i', dir], { timeoutMs: 60_000 });
      if (init.code !== 0) throw new Error(`haraka -i failed: ${init.stderr || init.stdout}`);
      const port = await freePort();
      await configure(dir, mode, port, ctx.relayPort);
      const logFile = join(dir, 'haraka.log');
      const env = { ...process.env, ...ctx.nodeEnv, ...(mode === 'discard' ? { YES_REALLY_DO_DISCARD: '1' } : {}) };
      const proc = startManaged(NODE, [...ctx.nodeFlags, HARAKA_BIN, '-c', dir], { logFile, cwd: dir, env });
      await waitForSmtp(port, 30_000, () => proc.alive());
      const queueDir = join(dir, 'queue');
      return {
        port,
        pid: proc.pid,
        logFile,
        notes: [`haraka -c ${dir}; plugins: ${mode === 'discard' ? 'rcpt_to.in_host_list, queue/discard (YES_REALLY_DO_DISCARD=1)' : 'relay (acl 127.0.0.1/8), rcpt_to.in_host_list, queue/smtp_forward (get_mx only)'}`],
        settle: (timeoutMs) =>
          mode === 'queue' && existsSync(queueDir) ? settleBy(() => countFiles(queueDir, (name) => !name.startsWith('.')), timeoutMs) : Promise.resolve({ drained: true, left: 0 }),
        // Haraka handles SIGINT only (SIGTERM just when it runs as pid 1): SIGINT lets it exit
        // through process.exit, so the preloads' exit handlers and --cpu-prof still run.
        stop: () => proc.stop(40_000, 'SIGINT'),
      };
    },
  };
}

export const harakaDiscard = haraka('discard');
export const harakaQueue = haraka('queue');
