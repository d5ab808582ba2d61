/** The command line was wrong (unknown option, missing argument): exit status 2. */
export class UsageError extends Error {
  /** The command whose help explains the right usage, e.g. `user add`. */
  readonly command: string | undefined;
  constructor(message: string, command?: string) {
    super(message);
    this.name = 'UsageError';
    this.command = command;
  }
}

/** A failure the CLI itself detected and explained (not a framework error): exit status 1. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/**
 * One line for stderr. Framework errors (and errors relayed from a running server through the
 * control socket) carry a stable code from the catalog in docs/errors.md; it goes in front so
 * an operator can look it up.
 */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const message = err.message.replace(/\s*\n\s*/g, ' ');
    return typeof code === 'string' && code.startsWith('PH_') ? `${code}: ${message}` : message;
  }
  return String(err);
}
