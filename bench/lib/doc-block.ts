import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO } from './repo.ts';

/**
 * Replaces what lies between two marker lines of docs/benchmarks.md with `body`; refuses if
 * the markers are missing, so a bench never appends a second block or writes over prose.
 */
export async function replaceDocBlock(start: string, end: string, body: string): Promise<string> {
  const file = join(REPO, 'docs/benchmarks.md');
  const text = await readFile(file, 'utf8');
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from === -1 || to === -1 || to < from) throw new Error(`${file} has no ${start} ... ${end} block`);
  await writeFile(file, `${text.slice(0, from + start.length)}\n${body}\n${text.slice(to)}`);
  return file;
}
