import { pino, type Logger } from 'pino';

export type { Logger };

export interface LoggerOptions {
  readonly level: string;
  /** `auto`: human-readable on a TTY, JSON otherwise. */
  readonly format: 'auto' | 'json' | 'pretty';
  /** Where JSON lines go; standard output by default. */
  readonly destination?: NodeJS.WritableStream;
}

/**
 * The root logger. Passwords and message bodies are never logged: the redact list catches the
 * field names a careless plugin might use.
 */
export function createLogger(options: LoggerOptions): Logger {
  const pretty = options.format === 'pretty' || (options.format === 'auto' && !options.destination && process.stdout.isTTY === true);
  const base = {
    level: options.level,
    base: { pid: process.pid },
    redact: { paths: ['password', '*.password', 'pass', '*.pass', 'auth.password'], censor: '[redacted]' },
    formatters: { level: (label: string) => ({ level: label }) },
  };
  if (pretty) {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } });
  }
  if (options.destination) return pino(base, options.destination);
  // Asynchronous writes keep logging off the hot path; stop() flushes them.
  return pino(base, pino.destination({ dest: 1, sync: false }));
}

/** A logger that drops everything (tests, admin commands that print their own output). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
