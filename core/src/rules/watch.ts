import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname } from 'node:path';

/**
 * Calls `onChange` (debounced) when the file may have changed. The directory is watched, not
 * the file: editors and admin commands replace a file by rename, which would leave a watch on
 * the old inode looking at a file nobody reads any more.
 */
export function watchFile(file: string, onChange: () => void, options: { debounceMs: number; onError: (err: Error) => void }): () => void {
  const name = basename(file);
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined = watch(dirname(file), { persistent: false }, (_event, changed) => {
    // Some platforms do not report the name; then any change in the directory counts.
    if (changed !== null && changed !== name) return;
    clearTimeout(timer);
    timer = setTimeout(onChange, options.debounceMs);
  });
  watcher.on('error', (err) => options.onError(err));
  return () => {
    clearTimeout(timer);
    watcher?.close();
    watcher = undefined;
  };
}
