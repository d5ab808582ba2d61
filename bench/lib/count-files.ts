import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Counts files under `dir` (recursively) whose name passes `keep`; a missing dir counts 0. */
export async function countFiles(dir: string, keep: (name: string) => boolean = () => true): Promise<number> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  let count = 0;
  for (const entry of entries) {
    if (entry.isDirectory()) count += await countFiles(join(dir, entry.name), keep);
    else if (keep(entry.name)) count += 1;
  }
  return count;
}
