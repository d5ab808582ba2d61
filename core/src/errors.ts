/**
 * Every error the framework raises carries a stable code from this catalog, so operators can
 * search for it and plugin authors can branch on it. docs/errors.md documents each code.
 */
export const ErrorCodes = Object.freeze({
  PH_CONFIG_NOT_FOUND: 'No configuration file found',
  PH_CONFIG_INVALID: 'Configuration does not match its schema',
  PH_CONFIG_UNREADABLE: 'Configuration file cannot be read or parsed',
  PH_PLUGIN_NOT_FOUND: 'Plugin cannot be resolved',
  PH_PLUGIN_INVALID: 'Module does not export a plugin made by definePlugin',
  PH_PLUGIN_DUPLICATE: 'Plugin listed twice',
  PH_PLUGIN_OPTIONS: 'Plugin options do not match its schema',
  PH_PLUGIN_CORE_RANGE: 'Plugin does not support this core version',
  PH_PLUGIN_SETUP: 'Plugin setup failed',
  PH_PLUGIN_HOOK: 'Plugin tap failed',
  PH_PLUGIN_TIMEOUT: 'Plugin tap exceeded its time budget',
  PH_SERVICE_MISSING: 'A needed service has no provider',
  PH_SERVICE_DUPLICATE: 'Two plugins provide the same service',
  PH_SERVICE_UNDECLARED: 'A plugin used a service it did not declare',
  PH_SERVICE_CYCLE: 'Plugins need each other in a cycle',
  PH_LISTENER: 'Listener cannot start',
  PH_TLS: 'TLS key or certificate cannot be loaded',
  PH_ADMIN_UNKNOWN: 'Unknown admin command',
  PH_ADMIN_UNREACHABLE: 'Running server cannot be reached',
});

export type ErrorCode = keyof typeof ErrorCodes;

export class PosthornError extends Error {
  readonly code: ErrorCode;
  /** Extra, structured facts for the log (plugin name, JSON pointer, file). */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PosthornError';
    this.code = code;
    this.details = Object.freeze({ ...details });
  }
}

/** True for a PosthornError from any copy of this package (no instanceof across copies). */
export function isPosthornError(err: unknown, code?: ErrorCode): err is PosthornError {
  if (typeof err !== 'object' || err === null) return false;
  const candidate = err as { name?: unknown; code?: unknown };
  return candidate.name === 'PosthornError' && typeof candidate.code === 'string' && (code === undefined || candidate.code === code);
}
