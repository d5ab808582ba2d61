/** Options as the operator writes them (seconds, bytes), after the loader filled the defaults. */
export interface DsnOptions {
  /** Display name of the notices' From field. */
  readonly fromName: string;
  /** Address of the notices' From field; default `MAILER-DAEMON@<hostname>`. */
  readonly fromAddress?: string;
  /** Above this size (bytes) a failure notice carries the header only, even with RET=FULL. */
  readonly maxReturnSize: number;
  readonly delayWarning: { readonly enabled: boolean; readonly after: number };
  /** The queue's maximum age in seconds, to state Will-Retry-Until in delay warnings. */
  readonly queueMaxAge?: number;
}

/** JSON Schema of the options; the loader refuses unknown keys and fills these defaults. */
export const optionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    fromName: {
      type: 'string',
      // Printable ASCII only: it goes into a header field as it is (quoted when needed).
      pattern: '^[\\x20-\\x7e]*$',
      maxLength: 100,
      default: 'Mail Delivery System',
      description: 'Display name of the From field of the notices',
    },
    fromAddress: {
      type: 'string',
      pattern: '^[\\x21-\\x7e]+@[A-Za-z0-9.-]+$',
      maxLength: 254,
      description: 'Address of the From field of the notices; default MAILER-DAEMON@<hostname>',
    },
    maxReturnSize: {
      type: 'integer',
      minimum: 0,
      default: 1048576,
      description: 'Messages larger than this many bytes are returned with their header only, even with RET=FULL',
    },
    delayWarning: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        enabled: { type: 'boolean', default: true, description: 'Send delay warnings (NOTIFY=DELAY, or no NOTIFY)' },
        after: { type: 'number', exclusiveMinimum: 0, default: 14400, description: 'Seconds after arrival from which a deferral is reported' },
      },
    },
    queueMaxAge: {
      type: 'number',
      exclusiveMinimum: 0,
      description: "The queue's maxAge in seconds; when given, delay warnings state Will-Retry-Until",
    },
  },
} as const;
