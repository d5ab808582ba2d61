/** Options as the operator writes them (seconds), after the loader filled the defaults. */
export interface QueueFsOptions {
  readonly dir?: string;
  readonly concurrency: number;
  readonly retry: { readonly initial: number; readonly factor: number; readonly max: number; readonly jitter: number };
  readonly maxAge: number;
  readonly stopTimeout: number;
  readonly segmentSize: number;
  readonly segmentAge: number;
  readonly compactInterval: number;
}

/** JSON Schema of the options; the loader refuses unknown keys and fills these defaults. */
export const optionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    dir: { type: 'string', minLength: 1, description: 'Queue directory; default <dataDir>/queue. Relative paths resolve against the config file.' },
    concurrency: { type: 'integer', minimum: 1, maximum: 10000, default: 20, description: 'Deliveries in flight at once' },
    retry: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        initial: { type: 'number', exclusiveMinimum: 0, default: 300, description: 'Seconds before the first retry' },
        factor: { type: 'number', minimum: 1, default: 2, description: 'Each retry waits this many times longer than the one before' },
        max: { type: 'number', exclusiveMinimum: 0, default: 14400, description: 'Longest wait between two attempts, in seconds' },
        jitter: { type: 'number', minimum: 0, maximum: 0.5, default: 0.1, description: 'Random spread of each wait, as a fraction' },
      },
    },
    maxAge: { type: 'number', exclusiveMinimum: 0, default: 432000, description: 'Seconds after which a still deferred recipient expires' },
    stopTimeout: { type: 'number', minimum: 0, default: 30, description: 'Seconds to wait at stop for deliveries in flight' },
    segmentSize: { type: 'integer', minimum: 1024, default: 64 * 1024 * 1024, description: 'Bytes after which a queue log segment is closed and a new one started' },
    segmentAge: { type: 'number', exclusiveMinimum: 0, default: 3600, description: 'Seconds after which a non-empty segment is closed, so that it can be deleted or compacted' },
    compactInterval: { type: 'number', exclusiveMinimum: 0, default: 1, description: 'Seconds between checks for segments to delete or compact' },
  },
} as const;

/** The same settings in the units the code works in (milliseconds). */
export interface RetryPolicy {
  readonly initialMs: number;
  readonly factor: number;
  readonly maxMs: number;
  readonly jitter: number;
  readonly maxAgeMs: number;
}

export function retryPolicy(options: QueueFsOptions): RetryPolicy {
  return {
    initialMs: options.retry.initial * 1000,
    factor: options.retry.factor,
    maxMs: options.retry.max * 1000,
    jitter: options.retry.jitter,
    maxAgeMs: options.maxAge * 1000,
  };
}
