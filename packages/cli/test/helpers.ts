import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runPosthorn, type RunResult } from '@posthorn/testkit';

/** Test plugins of this package (see fixtures/). */
export const testPlugin = (name: 'accounts' | 'queue'): string => fileURLToPath(new URL(`./fixtures/${name}.ts`, import.meta.url));

/**
 * Writes `posthorn.config.json` into `dir` with the tests' defaults: data under `dir/var`,
 * listeners on 127.0.0.1 port 0 without a greeting pause, logs at info, and a DNS server that
 * nobody answers on (127.0.0.1:9) so no lookup leaves the machine. Returns the file's path.
 */
export async function writeConfig(dir: string, config: Record<string, unknown> = {}): Promise<string> {
  const listeners = (config.listeners as Record<string, unknown>[] | undefined) ?? [{ role: 'mx', port: 0 }];
  const full = {
    hostname: 'mx.test',
    dataDir: './var',
    log: { level: 'info', format: 'json' },
    ...config,
    dns: { servers: ['127.0.0.1:9'], timeout: 200, tries: 1 },
    listeners: listeners.map((listener) => ({ host: '127.0.0.1', port: 0, greetingDelay: 0, ...listener })),
  };
  const path = join(dir, 'posthorn.config.json');
  await writeFile(path, JSON.stringify(full, null, 2));
  return path;
}

/** Runs `posthorn --config <config> ...args`. */
export function posthorn(config: string, args: readonly string[], input?: string): Promise<RunResult> {
  return runPosthorn(['--config', config, ...args], input === undefined ? {} : { input });
}

/** Fails with what the command printed, which says more than a bare status mismatch. */
export function explain(result: RunResult): string {
  return `exit ${result.code}${result.signal ? ` (${result.signal})` : ''}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
}
