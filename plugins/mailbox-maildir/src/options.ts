export interface MailboxMaildirOptions {
  /** Root of the mail tree; relative paths resolve against the config file's directory. */
  readonly dir?: string;
}

export const optionsSchema = {
  type: 'object',
  properties: {
    dir: { type: 'string', minLength: 1 },
  },
} as const;
