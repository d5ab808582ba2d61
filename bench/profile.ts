import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { nodePeerSetup } from './lib/node-flags.ts';
import { REPO } from './lib/repo.ts';
import type { BenchResults } from './lib/results.ts';
import { measureCell, type MatrixPlan } from './matrix.ts';
import { measureOutbound, type OutboundSetup } from './outbound.ts';
import type { Peer, PeerContext, RunningPeer } from './peers/peer.ts';
import { summariseCpuProfile } from './report/cpu-profile.ts';

/**
 * Runs Posthorn under --cpu-prof for one measurement (2 KB, 50 sessions) and summarises where
 * its CPU time went. The profile is written when the process exits, so it is stopped cleanly.
 */
export async function profilePosthorn(
  peer: Peer,
  base: Omit<PeerContext, 'nodeFlags' | 'nodeEnv'>,
  matrix: MatrixPlan,
  log: (line: string) => void,
  track: (running: RunningPeer | undefined) => void,
): Promise<BenchResults['profile']> {
  const dir = join(REPO, '.bench', 'profiles', new Date().toISOString().replace(/[:.]/g, '-'));
  await mkdir(dir, { recursive: true });
  const setup = nodePeerSetup(base.runDir, 'posthorn-profile', ['--cpu-prof', '--cpu-prof-dir', dir]);
  const instance = await peer.start({ ...base, nodeFlags: setup.flags, nodeEnv: setup.env });
  track(instance);
  try {
    await measureCell([{ id: 'posthorn', running: instance }], 2048, 50, matrix.modes[0] ?? 'close', matrix, log);
  } finally {
    await instance.stop();
    track(undefined);
  }
  return summarise(dir, log);
}

/**
 * The same for Posthorn relaying (queue-fs + relay + outbound, the outbound measurement's setup):
 * one more cell, 2 KB, 10 sessions, one connection per message, Posthorn alone.
 */
export async function profilePosthornOutbound(setup: OutboundSetup): Promise<BenchResults['profile']> {
  const dir = join(REPO, '.bench', 'profiles', `outbound-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  await mkdir(dir, { recursive: true });
  await measureOutbound({
    ...setup,
    plan: { ...setup.plan, modes: ['close'], sessions: [10] },
    posthornFlags: ['--cpu-prof', '--cpu-prof-dir', dir],
    posthornOnly: true,
  });
  return summarise(dir, setup.log);
}

async function summarise(dir: string, log: (line: string) => void): Promise<BenchResults['profile']> {
  const files = (await readdir(dir)).filter((name) => name.endsWith('.cpuprofile'));
  if (!files.length) {
    log('  no .cpuprofile was written (did the process exit cleanly?)');
    return undefined;
  }
  const file = join(dir, files[0]!);
  const summary = await summariseCpuProfile(file);
  await writeFile(join(dir, 'summary.txt'), summary);
  log(summary);
  return { file, summary };
}
