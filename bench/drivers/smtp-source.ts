import { spawn } from 'node:child_process';

export interface SourceOptions {
  readonly port: number;
  /** Parallel SMTP sessions (smtp-source -s). */
  readonly sessions: number;
  /** Payload bytes per message, headers not included (smtp-source -l). */
  readonly bytes: number;
  /** Messages in total (smtp-source -m). */
  readonly count: number;
  /** Send every message of a session over one connection (smtp-source -d). */
  readonly reuse: boolean;
  /** Hard limit; smtp-source is killed then and the rate comes from its counter. */
  readonly timeoutMs: number;
  /** Envelope recipient (smtp-source -t); default to@localhost. */
  readonly to?: string;
}

export interface SourceResult {
  /** Messages whose DATA completed (smtp-source -c counter). */
  readonly messages: number;
  readonly seconds: number;
  readonly rate: number;
  readonly timedOut: boolean;
  /** smtp-source's complaint when it gave up (it stops at the first unexpected reply). */
  readonly error?: string;
  /** performance.now() when smtp-source was started, when its counter first showed a completed DATA, and when it exited. */
  readonly startedAt: number;
  readonly firstAcceptedAt: number;
  readonly endedAt: number;
}

/** The smtp-source command line for these options (also quoted in the report). */
export function smtpSourceArgs(options: Pick<SourceOptions, 'port' | 'sessions' | 'bytes' | 'count' | 'reuse' | 'to'>): string[] {
  return [
    '-c',
    ...(options.reuse ? ['-d'] : []),
    '-s', String(options.sessions),
    '-l', String(options.bytes),
    '-m', String(options.count),
    // -M: the HELO name and default domain, so smtp-source never needs the machine's FQDN.
    '-M', 'localhost',
    '-f', 'from@example.org',
    '-t', options.to ?? 'to@localhost',
    `127.0.0.1:${options.port}`,
  ];
}

/**
 * Runs Postfix's smtp-source once and measures wall time from start to exit. Without -d it
 * opens one connection per message (connect, greeting, HELO, MAIL, RCPT, DATA, QUIT).
 */
export function runSmtpSource(options: SourceOptions): Promise<SourceResult> {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn('smtp-source', smtpSourceArgs(options), { stdio: ['ignore', 'pipe', 'pipe'] });
    let counter = 0;
    let firstAcceptedAt = Number.NaN;
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (chunk: Buffer) => {
      // The counter is printed as "<n>\r" after each completed DATA.
      const numbers = chunk.toString('latin1').match(/\d+/g);
      if (numbers?.length) counter = Math.max(counter, Number(numbers[numbers.length - 1]));
      if (counter > 0 && Number.isNaN(firstAcceptedAt)) firstAcceptedAt = performance.now();
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      const endedAt = performance.now();
      const seconds = (endedAt - started) / 1000;
      const messages = code === 0 ? options.count : counter;
      const error = code === 0 || timedOut ? undefined : stderr.trim().split('\n').pop() || `exit ${code}`;
      resolve({ messages, seconds, rate: messages / seconds, timedOut, ...(error ? { error } : {}), startedAt: started, firstAcceptedAt: Number.isNaN(firstAcceptedAt) ? started : firstAcceptedAt, endedAt });
    });
  });
}
