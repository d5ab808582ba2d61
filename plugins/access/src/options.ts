export interface AccessOptions {
  /** The access list file (YAML or JSON), relative to the config file's directory. */
  readonly file: string;
}

export const optionsSchema = {
  type: 'object',
  required: ['file'],
  properties: { file: { type: 'string', minLength: 1 } },
} as const;
