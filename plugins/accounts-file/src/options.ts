export interface AccountsFileOptions {
  /** The accounts file; relative paths resolve against the config file's directory. */
  readonly file?: string;
  /** Local domains in addition to the file's own `domains`. */
  readonly domains: readonly string[];
  /** Separator of plus-addressing (`user+tag@`); empty to turn it off. */
  readonly plusSeparator: string;
}

export const optionsSchema = {
  type: 'object',
  properties: {
    file: { type: 'string', minLength: 1 },
    domains: {
      type: 'array',
      default: [],
      items: { type: 'string', pattern: '^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$' },
    },
    plusSeparator: { type: 'string', maxLength: 4, pattern: '^[^@\\s"]*$', default: '+' },
  },
} as const;
