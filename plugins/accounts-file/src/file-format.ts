/**
 * The accounts file as an admin writes it, and the JSON Schema it is checked against. The
 * schema checks shape only; what depends on several entries at once (a user in a domain that is
 * not local, an alias loop) is checked when the snapshot is built, with the same JSON pointers.
 */

export interface UserEntry {
  readonly password?: string;
  readonly name?: string;
  /** Bytes, or a size with a binary unit: `500M`, `2G`, `1.5GiB`. */
  readonly quota?: number | string;
}

export interface AccountsFile {
  readonly domains?: readonly string[] | null;
  readonly users?: Readonly<Record<string, UserEntry | null>> | null;
  readonly aliases?: Readonly<Record<string, string | readonly string[]>> | null;
}

export const QUOTA_PATTERN = '^[0-9]+(\\.[0-9]+)?\\s*([KkMmGgTt]([Ii]?[Bb])?|[Bb])?$';

export const accountsFileSchema = {
  type: ['object', 'null'],
  additionalProperties: false,
  properties: {
    domains: { type: ['array', 'null'], items: { type: 'string', minLength: 1 } },
    users: {
      type: ['object', 'null'],
      additionalProperties: {
        type: ['object', 'null'],
        additionalProperties: false,
        properties: {
          password: { type: 'string', minLength: 1 },
          name: { type: 'string' },
          quota: { anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string', pattern: QUOTA_PATTERN }] },
        },
      },
    },
    aliases: {
      type: ['object', 'null'],
      additionalProperties: {
        anyOf: [
          { type: 'string', minLength: 1 },
          { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
        ],
      },
    },
  },
} as const;

/** Written when the file does not exist yet: valid, empty, and self-explaining. */
export const INITIAL_FILE = `# Posthorn accounts (plugin accounts-file). Edits are picked up while the server runs.
#
# domains: [example.org]
# users:
#   alice@example.org: { password: "$scrypt$ln=15,r=8,p=1$...$...", name: Alice, quota: 2G }
# aliases:
#   postmaster@example.org: alice@example.org
#   team@example.org: [alice@example.org, bob@example.org]
#   "@example.org": alice@example.org      # catch-all
#
# Add users with \`posthorn user add ADDRESS\`, which hashes the password for you.
domains: []
users: {}
aliases: {}
`;

const UNITS: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** Bytes of a quota value (already matched against the schema). */
export function quotaBytes(value: number | string): number {
  if (typeof value === 'number') return value;
  const match = /^([0-9]+(?:\.[0-9]+)?)\s*([a-z])?/i.exec(value)!;
  const unit = UNITS[(match[2] ?? 'b').toLowerCase()] ?? 1;
  return Math.floor(Number(match[1]) * unit);
}
