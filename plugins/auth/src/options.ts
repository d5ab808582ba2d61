export interface AuthOptions {
  readonly maxFailuresPerIp: number;
  readonly maxFailuresPerLogin: number;
  readonly windowSeconds: number;
  readonly lockoutSeconds: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const optionsSchema = {
  type: 'object',
  properties: {
    maxFailuresPerIp: { type: 'integer', minimum: 1, default: 20 },
    maxFailuresPerLogin: { type: 'integer', minimum: 1, default: 10 },
    windowSeconds: { type: 'integer', minimum: 1, default: 900 },
    lockoutSeconds: { type: 'integer', minimum: 1, default: 900 },
    baseDelayMs: { type: 'integer', minimum: 0, maximum: 60000, default: 250 },
    // Below the default hook budget (30 s), so a delayed reply never turns into a timeout.
    maxDelayMs: { type: 'integer', minimum: 0, maximum: 20000, default: 4000 },
  },
} as const;
