/** nodemailer as a test client: the commands it sent, recorded through its logger interface. */
import { format } from 'node:util';

export interface RecordingLogger {
  /** Pass as the transport's `logger` (with `transactionLog: true`). */
  readonly logger: Record<'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal', (entry: { tnx?: string }, message: string, ...args: unknown[]) => void>;
  /** Every command line nodemailer wrote to the server. */
  readonly commands: string[];
}

export function recordingLogger(): RecordingLogger {
  const commands: string[] = [];
  const record = (entry: { tnx?: string }, message: string, ...args: unknown[]) => {
    if (entry?.tnx === 'client') commands.push(format(message, ...args));
  };
  return { logger: { trace: record, debug: record, info: record, warn: record, error: record, fatal: record }, commands };
}
