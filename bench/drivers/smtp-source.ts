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
}

export interface SourceResult {
  /** Messages whose DATA completed (smtp-source -c counter). */
  readonly messages: number;
  readonly seconds: number;
  readonly rate: number;
  readonly timedOut: boolean;
  /** smtp-source's complaint when it gave up (it stops at the first unexpected reply). */
  readonly error?: string;
}

/** The smtp-source command line for these options (also quoted in the report). */
export function smtpSourceArgs(options: Pick<SourceOptions, 'port' | 'sessions' | 'bytes' | 'count' | 'reuse'>): string[] {
  return [
    '-c',
    ...(options.reuse ? ['-d'] : []),
    '-s', String(options.sessions),
    '-l', String(options.bytes),
    '-m', String(options.count),
    // -M: the HELO name and default domain, so smtp-source never needs the machine's FQDN.
    '-M', 'localhost',
    '-f', 'from@example.org',
    '-t', 'to@localhost',
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
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (chunk: Buffer) => {
      // The counter is printed as "<n>\r" after each completed DATA.
      const numbers = chunk.toString('latin1').match(/\d+/g);
      if (numbers?.length) counter = Math.max(counter, Number(numbers[numbers.length - 1]));
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      const seconds = (performance.now() - started) / 1000;
      const messages = code === 0 ? options.count : counter;
      const error = code === 0 || timedOut ? undefined : stderr.trim().split('\n').pop() || `exit ${code}`;
      resolve({ messages, seconds, rate: messages / seconds, timedOut, ...(error ? { error } : {}) });
    });
  });
}
