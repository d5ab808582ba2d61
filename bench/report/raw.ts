import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO } from '../lib/repo.ts';
import type { BenchResults } from '../lib/results.ts';

/** The raw numbers, for reference: .bench/ is git-ignored. NaN (a failed cell) becomes null. */
export async function writeResults(results: BenchResults): Promise<string[]> {
  const dir = join(REPO, '.bench');
  await mkdir(dir, { recursive: true });
  const text = `${JSON.stringify(results, null, 2)}\n`;
  const dated = join(dir, `results-${results.date.replace(/[:.]/g, '-')}.json`);
  const latest = join(dir, 'latest.json');
  await writeFile(dated, text);
  await writeFile(latest, text);
  return [dated, latest];
}

/** The last run's results (.bench/latest.json); null in the file stands for a failed cell. */
export async function readLatestResults(): Promise<BenchResults> {
  const text = await readFile(join(REPO, '.bench', 'latest.json'), 'utf8');
  return JSON.parse(text, (_key, value: unknown) => (value === null ? Number.NaN : value)) as BenchResults;
}
