/**
 * The embedded default config (what `npm start` runs), copied for a test: the same settings
 * with every listener on port 0 (the core's, and those in plugin options such as pop3's), the
 * data directory in the test's temp dir, and DNS pointed at a loopback test server. Everything
 * else (plugins and their options, hostname, limits) is taken as shipped, read by the core's
 * own config reader.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readConfigFile } from '@posthorn/core';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The config path in the root package.json's `start` script: `posthorn start --config <path>`. */
export async function startScriptConfig(): Promise<string> {
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const config = /^posthorn start --config (\S+)$/.exec(pkg.scripts.start ?? '')?.[1];
  if (!config) throw new Error(`unexpected start script: ${pkg.scripts.start}`);
  return join(ROOT, config);
}

/** Writes `<dir>/posthorn.config.json`, a test copy of `source`; returns its path. */
export async function copyForTest(source: string, dir: string, dnsServer: string): Promise<string> {
  const { raw } = await readConfigFile({ path: source });
  const config = structuredClone(raw) as { listeners?: { port: number }[]; plugins?: unknown[]; [key: string]: unknown };
  for (const listener of config.listeners ?? []) listener.port = 0;
  // Plugins with listeners of their own (pop3) list them in their options, the same shape.
  for (const spec of config.plugins ?? []) {
    const listeners = (spec as { options?: { listeners?: { port: number }[] } }).options?.listeners;
    for (const listener of listeners ?? []) listener.port = 0;
  }
  config.dataDir = './var';
  config.dns = { servers: [dnsServer], timeout: 1000, tries: 2 };
  const path = join(dir, 'posthorn.config.json');
  await writeFile(path, JSON.stringify(config, null, 2));
  return path;
}
