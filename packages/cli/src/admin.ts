import { Writable } from 'node:stream';
import type { JsonValue } from '@posthorn/contracts';
import { App, callControl, createLogger, isPosthornError, type LoadedConfig, type Logger } from '@posthorn/core';

/**
 * Where admin commands run. The running server is asked first, through its control socket, so
 * that `posthorn queue retry` acts on the live queue instead of racing it on disk. When no
 * server answers, the plugins are set up here in admin mode (nothing listens, no start hooks)
 * and the same command runs in this process. Both paths run the very same admin command.
 */
export async function runAdmin(config: LoadedConfig, name: string, args: Record<string, JsonValue> = {}): Promise<JsonValue> {
  const { enabled, socket } = config.core.control;
  if (enabled && socket) {
    try {
      return await callControl(socket, name, args);
    } catch (err) {
      if (!isPosthornError(err, 'PH_ADMIN_UNREACHABLE')) throw err;
    }
  }
  return withAdminApp(config, (app) => app.admin(name, args));
}

/** Sets up the config's plugins in admin mode, runs `fn`, and always stops them again. */
export async function withAdminApp<T>(config: LoadedConfig, fn: (app: App) => Promise<T>): Promise<T> {
  const app = await App.create(config, { mode: 'admin', logger: cliLogger(config.core.log.level) });
  try {
    return await fn(app);
  } finally {
    await app.stop();
  }
}

const LEVEL_RANK: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

/**
 * The logger plugins get while a CLI command runs: warnings and errors only, as short lines on
 * standard error, so that standard output stays the command's own (tables, JSON).
 */
export function cliLogger(configuredLevel: string): Logger {
  const level = (LEVEL_RANK[configuredLevel] ?? 0) > LEVEL_RANK.warn! ? configuredLevel : 'warn';
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        try {
          const entry = JSON.parse(line) as { level?: string; msg?: string; plugin?: string; err?: unknown };
          const where = entry.plugin ? ` (${entry.plugin})` : '';
          const detail = typeof entry.err === 'string' ? `: ${entry.err}` : '';
          process.stderr.write(`posthorn: ${entry.level ?? 'log'}${where}: ${entry.msg ?? ''}${detail}\n`);
        } catch {
          process.stderr.write(`${line}\n`);
        }
      }
      done();
    },
  });
  return createLogger({ level, format: 'json', destination });
}
