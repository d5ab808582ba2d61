import { type OutgoingSelection, outgoingSelectionSchema } from '@posthorn/core';

export type DkimAlgorithm = 'rsa-sha256' | 'ed25519-sha256';

/** A signing key given in the config instead of (or besides) the key directory. */
export interface ConfiguredKey {
  readonly domain: string;
  readonly selector: string;
  readonly algorithm: DkimAlgorithm;
  /** The private key as PEM text. */
  readonly privateKey?: string;
  /** A PEM file; relative paths resolve against the config file's directory. */
  readonly privateKeyFile?: string;
}

export interface DkimSignOptions {
  readonly outgoing: OutgoingSelection;
  readonly keys: readonly ConfiguredKey[];
  /** `<domain>/<selector>.<rsa|ed25519>.pem` files; default `<dataDir>/dkim`. */
  readonly keyDirectory?: string;
  readonly canonicalization: 'relaxed/relaxed' | 'relaxed/simple' | 'simple/relaxed' | 'simple/simple';
  /** Header fields to sign, when present; must include From. */
  readonly headers: readonly string[];
}

/**
 * What a signature covers (RFC 6376 5.4.1): the fields a reader sees or that change how the
 * message is shown or threaded. Trace fields (Received) are left out: they are added in
 * transit and say nothing about the author.
 */
export const DEFAULT_SIGNED_HEADERS = [
  'From',
  'Sender',
  'Reply-To',
  'To',
  'Cc',
  'Subject',
  'Date',
  'Message-ID',
  'In-Reply-To',
  'References',
  'MIME-Version',
  'Content-Type',
  'Content-Transfer-Encoding',
  'List-Id',
  'List-Help',
  'List-Unsubscribe',
  'List-Unsubscribe-Post',
  'List-Subscribe',
  'List-Post',
  'List-Owner',
  'List-Archive',
] as const;

const FIELD_NAME = '^[\\x21-\\x39\\x3b-\\x7e]+$';

export const optionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    outgoing: outgoingSelectionSchema,
    keys: {
      type: 'array',
      default: [],
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['domain', 'selector', 'algorithm'],
        properties: {
          domain: { type: 'string', minLength: 1 },
          selector: { type: 'string', minLength: 1 },
          algorithm: { enum: ['rsa-sha256', 'ed25519-sha256'] },
          privateKey: { type: 'string', minLength: 1 },
          privateKeyFile: { type: 'string', minLength: 1 },
        },
        // Exactly one source for the key.
        oneOf: [{ required: ['privateKey'] }, { required: ['privateKeyFile'] }],
      },
    },
    keyDirectory: { type: 'string', minLength: 1 },
    canonicalization: { enum: ['relaxed/relaxed', 'relaxed/simple', 'simple/relaxed', 'simple/simple'], default: 'relaxed/relaxed' },
    headers: {
      type: 'array',
      items: { type: 'string', pattern: FIELD_NAME },
      minItems: 1,
      default: [...DEFAULT_SIGNED_HEADERS],
    },
  },
} as const;
