import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Where the bench keeps everything it creates: peer configs, queues, logs and the Haraka
 * install. Outside the repository on purpose, so nothing a peer writes can end up in a commit
 * and Haraka never becomes a dependency of the project.
 */
export const SCRATCH_ROOT = process.env.POSTHORN_BENCH_DIR ?? '/tmp/posthorn-bench';

/** A fresh directory for one bench run; removed at the end unless --keep is given. */
export async function runDirectory(stamp: string): Promise<string> {
  const dir = join(SCRATCH_ROOT, `run-${stamp}`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  return dir;
}

/** A fresh subdirectory of the run directory. */
export async function freshDir(parent: string, name: string): Promise<string> {
  const dir = join(parent, name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  return dir;
}
