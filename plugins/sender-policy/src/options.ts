export interface SenderPolicyOptions {
  /** Check MAIL FROM. */
  readonly envelope: boolean;
  /** Check the From: (and Sender:) header fields. */
  readonly header: boolean;
  /** Extra addresses per user id: `other@example.org`, or `@example.org` for a whole domain. */
  readonly allow: Readonly<Record<string, readonly string[]>>;
  /** Let authenticated users send with the null sender `<>`. */
  readonly allowNullSender: boolean;
  /**
   * RFC 5322 3.6.2: with a Sender: field that is the user's own address, a From: naming
   * someone else is allowed ("on behalf of").
   */
  readonly allowOnBehalf: boolean;
  /** Sub-address separator (`alice+tag@`); "" turns sub-addresses off. Match the directory's. */
  readonly plusSeparator: string;
}

export const optionsSchema = {
  type: 'object',
  properties: {
    envelope: { type: 'boolean', default: true },
    header: { type: 'boolean', default: true },
    allow: {
      type: 'object',
      default: {},
      additionalProperties: { type: 'array', items: { type: 'string', pattern: '^[^@\\s]*@[^@\\s]+$' } },
    },
    allowNullSender: { type: 'boolean', default: false },
    allowOnBehalf: { type: 'boolean', default: false },
    plusSeparator: { type: 'string', maxLength: 4, pattern: '^[^@\\s"]*$', default: '+' },
  },
} as const;
