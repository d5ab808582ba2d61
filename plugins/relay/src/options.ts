export interface RelayOptions {
  /** Client networks (CIDR) that may relay without authenticating. */
  readonly networks: readonly string[];
}

export const optionsSchema = {
  type: 'object',
  properties: {
    networks: { type: 'array', items: { type: 'string', minLength: 1 }, default: [] },
  },
} as const;
