import { hostname as osHostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { cosmiconfig, getDefaultSearchPlaces } from 'cosmiconfig';
import type { ListenerRole } from './context.ts';
import { PosthornError } from './errors.ts';
import { deepFreeze, type SchemaIssue, validateWithSchema } from './schema.ts';

export interface ListenerConfig {
  readonly name: string;
  readonly role: ListenerRole;
  readonly host: string;
  readonly port: number;
  /** Pause before the greeting to catch clients that talk first (early talkers), in ms. */
  readonly greetingDelay: number;
  readonly reverseLookup: boolean;
  readonly maxMessageSize: number;
  readonly maxRecipients: number;
  readonly maxConnections: number;
  readonly maxConnectionsPerIp: number;
  /** Longest line allowed inside DATA, CRLF included (RFC 5321 4.5.3.1.6: 1000). 0: no limit. */
  readonly maxLineLength: number;
  /** Longest command line (RFC 5321 4.5.3.1.4: 512; AUTH lines may be longer, RFC 4954: 12288). */
  readonly maxCommandLength: number;
  /** Close a connection idle for this long, in ms (RFC 5321 4.5.3.2.7 suggests 5 minutes). */
  readonly idleTimeout: number;
  /** Longest time a client may take to send DATA, in ms, however busy it looks. */
  readonly dataTimeout: number;
  readonly banner?: string;
  /** Allow AUTH without TLS (for loopback testing only). */
  readonly allowInsecureAuth: boolean;
  /**
   * Leave the client's address and names out of the Received field this listener adds: privacy
   * for users on submission, whose home IP would otherwise travel with every message.
   */
  readonly hideClientAddress: boolean;
}

export interface PluginSpec {
  /** npm name, short name or path, as written. */
  readonly plugin: string;
  readonly options: Readonly<Record<string, unknown>>;
  /** Time budget for this plugin's taps, in ms (overrides `timeouts.hook`). */
  readonly timeout?: number;
  /** Index in the config's `plugins` list, for error pointers. */
  readonly index: number;
}

export interface CoreConfig {
  readonly hostname: string;
  readonly dataDir: string;
  readonly log: { readonly level: string; readonly format: 'auto' | 'json' | 'pretty' };
  readonly dns: { readonly servers?: readonly string[]; readonly timeout: number; readonly tries: number };
  readonly tls: { readonly key?: string; readonly cert?: string };
  readonly timeouts: { readonly hook: number; readonly deliver: number };
  readonly control: { readonly enabled: boolean; readonly socket?: string };
  readonly listeners: readonly ListenerConfig[];
}

export interface LoadedConfig {
  /** Absolute path of the config file, or undefined for a config given as an object. */
  readonly filepath: string | undefined;
  /** Directory that relative paths in the config are resolved against. */
  readonly dir: string;
  readonly core: CoreConfig;
  readonly plugins: readonly PluginSpec[];
}

const ROLE_DEFAULTS: Record<ListenerRole, Partial<ListenerConfig>> = {
  mx: { greetingDelay: 100, reverseLookup: true },
  submission: { greetingDelay: 0, reverseLookup: false },
  submissions: { greetingDelay: 0, reverseLookup: false },
};

const listenerSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['role', 'port'],
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$' },
    role: { enum: ['mx', 'submission', 'submissions'] },
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'integer', minimum: 0, maximum: 65535 },
    greetingDelay: { type: 'integer', minimum: 0, maximum: 60000 },
    reverseLookup: { type: 'boolean' },
    maxMessageSize: { type: 'integer', minimum: 1024, default: 26214400 },
    maxRecipients: { type: 'integer', minimum: 1, default: 100 },
    maxConnections: { type: 'integer', minimum: 1, default: 1000 },
    maxConnectionsPerIp: { type: 'integer', minimum: 1, default: 50 },
    maxLineLength: { type: 'integer', minimum: 0, default: 1000 },
    maxCommandLength: { type: 'integer', minimum: 512, default: 12288 },
    idleTimeout: { type: 'integer', minimum: 1000, default: 300000 },
    dataTimeout: { type: 'integer', minimum: 1000, default: 600000 },
    banner: { type: 'string', pattern: '^[\\x20-\\x7e]*$' },
    allowInsecureAuth: { type: 'boolean', default: false },
    hideClientAddress: { type: 'boolean', default: false },
  },
} as const;

export const coreSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    hostname: { type: 'string', pattern: '^[A-Za-z0-9.-]+$' },
    dataDir: { type: 'string', default: './var' },
    log: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        level: { enum: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], default: 'info' },
        format: { enum: ['auto', 'json', 'pretty'], default: 'auto' },
      },
    },
    dns: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        servers: { type: 'array', items: { type: 'string' }, minItems: 1 },
        timeout: { type: 'integer', minimum: 1, default: 2000 },
        tries: { type: 'integer', minimum: 1, default: 2 },
      },
    },
    tls: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: { key: { type: 'string' }, cert: { type: 'string' } },
      // draft-07 `dependencies`: the default Ajv class ignores 2019-09's `dependentRequired`
      // (strict: false hides it), which let a key without a cert pass silently.
      dependencies: { key: ['cert'], cert: ['key'] },
    },
    timeouts: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        hook: { type: 'integer', minimum: 1, default: 30000 },
        deliver: { type: 'integer', minimum: 1, default: 600000 },
      },
    },
    control: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: { enabled: { type: 'boolean', default: true }, socket: { type: 'string' } },
    },
    listeners: { type: 'array', items: listenerSchema, default: [] },
    plugins: {
      type: 'array',
      default: [],
      items: {
        anyOf: [
          { type: 'string', minLength: 1 },
          {
            type: 'object',
            additionalProperties: false,
            required: ['plugin'],
            properties: {
              plugin: { type: 'string', minLength: 1 },
              options: { type: 'object' },
              timeout: { type: 'integer', minimum: 1 },
            },
          },
        ],
      },
    },
  },
} as const;

export class ConfigError extends PosthornError {
  readonly issues: readonly SchemaIssue[];
  readonly file: string | undefined;
  constructor(file: string | undefined, issues: readonly SchemaIssue[]) {
    super('PH_CONFIG_INVALID', `${file ?? 'configuration'}: ${issues.map((i) => `${i.pointer} ${i.message}`).join('; ')}`, { file, issues });
    this.issues = issues;
    this.file = file;
  }
}

/** Finds and reads the config file: an explicit path, or cosmiconfig's search from `cwd`. */
export async function readConfigFile(options: { path?: string; cwd?: string } = {}): Promise<{ filepath: string; raw: unknown }> {
  // cosmiconfig's default search places have posthorn.config.{js,ts,cjs,mjs} but no
  // posthorn.config.{yaml,yml,json}, the names the docs and the embedded default use.
  const searchPlaces = [...getDefaultSearchPlaces('posthorn'), 'posthorn.config.yaml', 'posthorn.config.yml', 'posthorn.config.json'];
  const explorer = cosmiconfig('posthorn', { searchStrategy: 'project', searchPlaces });
  let result;
  try {
    result = options.path ? await explorer.load(resolve(options.cwd ?? process.cwd(), options.path)) : await explorer.search(options.cwd ?? process.cwd());
  } catch (err) {
    throw new PosthornError('PH_CONFIG_UNREADABLE', `cannot read config ${options.path ?? ''}: ${(err as Error).message}`, { path: options.path }, { cause: err });
  }
  if (!result) {
    throw new PosthornError('PH_CONFIG_NOT_FOUND', 'no posthorn.config.* or .posthornrc* found; pass --config PATH', { cwd: options.cwd ?? process.cwd() });
  }
  return { filepath: result.filepath, raw: result.config ?? {} };
}

/**
 * Validates the core part of a config and normalises it: defaults filled, paths absolute,
 * listener names and role defaults set. Plugin options are validated later, by the loader,
 * against each plugin's own schema. Throws ConfigError with every issue found.
 */
export function parseConfig(raw: unknown, filepath: string | undefined, dir = filepath ? dirname(filepath) : process.cwd()): LoadedConfig {
  const checked = validateWithSchema<Record<string, unknown>>(coreSchema, raw ?? {});
  if (!checked.ok) throw new ConfigError(filepath, checked.issues);
  const value = checked.value as {
    hostname?: string;
    dataDir: string;
    log: CoreConfig['log'];
    dns: CoreConfig['dns'];
    tls: { key?: string; cert?: string };
    timeouts: CoreConfig['timeouts'];
    control: { enabled: boolean; socket?: string };
    listeners: (Partial<ListenerConfig> & { role: ListenerRole; port: number })[];
    plugins: (string | { plugin: string; options?: Record<string, unknown>; timeout?: number })[];
  };

  const issues: SchemaIssue[] = [];
  const names = new Set<string>();
  const listeners = value.listeners.map((listener, index): ListenerConfig => {
    const name = listener.name ?? listener.role;
    if (names.has(name)) issues.push({ pointer: `/listeners/${index}/name`, message: `duplicate listener name ${name}` });
    names.add(name);
    return { ...ROLE_DEFAULTS[listener.role], ...listener, name } as ListenerConfig;
  });
  if (issues.length) throw new ConfigError(filepath, issues);

  const dataDir = resolve(dir, value.dataDir);
  const core: CoreConfig = {
    hostname: value.hostname ?? osHostname(),
    dataDir,
    log: value.log,
    dns: value.dns,
    tls: value.tls.key && value.tls.cert ? { key: resolve(dir, value.tls.key), cert: resolve(dir, value.tls.cert) } : {},
    timeouts: value.timeouts,
    control: { enabled: value.control.enabled, socket: resolve(dataDir, value.control.socket ?? 'control.sock') },
    listeners,
  };
  const plugins = value.plugins.map((entry, index): PluginSpec =>
    typeof entry === 'string'
      ? { plugin: entry, options: {}, index }
      : { plugin: entry.plugin, options: entry.options ?? {}, index, ...(entry.timeout ? { timeout: entry.timeout } : {}) },
  );
  return deepFreeze({ filepath, dir, core, plugins });
}

export async function loadConfig(options: { path?: string; cwd?: string } = {}): Promise<LoadedConfig> {
  const { filepath, raw } = await readConfigFile(options);
  return parseConfig(raw, filepath);
}
