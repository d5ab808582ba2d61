import { Writable } from 'node:stream';
import { createLogger, type Logger } from '@posthorn/core';

/** A logger whose JSON lines are kept in memory, for tests that assert on what was logged. */
export function captureLogs(level = 'debug'): { logger: Logger; lines: Record<string, unknown>[]; find(msg: string | RegExp): Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const logger = createLogger({ level, format: 'json', destination });
  return {
    logger,
    lines,
    find: (msg) => lines.filter((line) => (typeof msg === 'string' ? line.msg === msg : msg.test(String(line.msg)))),
  };
}
