import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

/** One problem found in a config or rule file, located by JSON pointer. */
export interface SchemaIssue {
  /** JSON pointer into the document, e.g. `/plugins/2/options/maxAge`. */
  readonly pointer: string;
  readonly message: string;
}

/**
 * One ajv instance for the process: every error reported (not just the first), defaults
 * filled in, and no type coercion (a string where a number belongs is an error, not a guess).
 */
export const ajv = new Ajv({ allErrors: true, useDefaults: true, coerceTypes: false, strict: false, allowUnionTypes: true });

const cache = new WeakMap<object, ValidateFunction>();

export function compileSchema(schema: object): ValidateFunction {
  let validate = cache.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    cache.set(schema, validate);
  }
  return validate;
}

/**
 * Validates a copy of `data` (the caller's object is never changed), filling defaults.
 * Returns the filled copy, or the issues with `prefix` put in front of each pointer.
 */
export function validateWithSchema<T>(schema: object, data: unknown, prefix = ''): { ok: true; value: T } | { ok: false; issues: SchemaIssue[] } {
  const copy = data === undefined ? {} : structuredClone(data);
  const validate = compileSchema(schema);
  if (validate(copy)) return { ok: true, value: copy as T };
  return { ok: false, issues: (validate.errors ?? []).map((error) => toIssue(error, prefix)) };
}

function toIssue(error: ErrorObject, prefix: string): SchemaIssue {
  let pointer = prefix + error.instancePath;
  let message = error.message ?? 'is invalid';
  if (error.keyword === 'additionalProperties') {
    const key = String((error.params as { additionalProperty?: string }).additionalProperty);
    pointer += `/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    message = 'unknown key';
  } else if (error.keyword === 'enum') {
    message += `: ${((error.params as { allowedValues?: unknown[] }).allowedValues ?? []).map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return { pointer: pointer || '/', message };
}

/** Freezes an object and everything in it. */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}
