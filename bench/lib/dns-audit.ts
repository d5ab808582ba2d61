import { readFile } from 'node:fs/promises';

/** Merges what the DNS audit preload wrote: the exit counts when present, else first sightings. */
export async function readDnsAudit(file: string, into: Map<string, number>): Promise<void> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return;
  }
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const entry = JSON.parse(line) as { first?: string; counts?: Record<string, number> };
    if (entry.counts) for (const [key, n] of Object.entries(entry.counts)) into.set(key, (into.get(key) ?? 0) + n);
    else if (entry.first && !into.has(entry.first)) into.set(entry.first, 0);
  }
}
