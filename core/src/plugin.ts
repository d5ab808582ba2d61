import type { JsonValue, ServiceToken } from '@posthorn/contracts';
import type { Logger } from 'pino';
import type { ListenerAddress } from './app.ts';
import type { BounceEvent, DelayedEvent, DeliveredEvent, Delivery, QueueRequest } from './context.ts';
import type { Attributed, HookFn, HookName, TapOptions } from './hooks.ts';
import type { Verdict } from './reply.ts';
import type { RuleSet, RuleSetOptions } from './rules/rule-set.ts';
import type { TlsMaterial } from './tls.ts';

/** JSON Schema (draft 2020-12 subset that ajv understands) for a plugin's options. */
export type OptionsSchema = Readonly<Record<string, unknown>>;

/** Identifies plugin values made by definePlugin, across copies of the core package. */
export const PLUGIN_BRAND = Symbol.for('posthorn.plugin.v1');

export interface PluginMeta {
  /** Unique name; by convention the npm package name without `@posthorn/plugin-`. */
  readonly name: string;
  readonly version: string;
  /** Semver range of @posthorn/core versions this plugin works with. */
  readonly core: string;
  readonly description?: string;
  /** JSON Schema of the options; unknown keys are refused unless it says otherwise. */
  readonly options?: OptionsSchema;
  /** Services this plugin provides; it must call ctx.provide for each during setup. */
  readonly provides?: readonly ServiceToken<unknown>[];
  /** Services this plugin cannot work without; their providers are set up first. */
  readonly needs?: readonly ServiceToken<unknown>[];
  /** Services this plugin uses when present; their providers, if any, are set up first. */
  readonly uses?: readonly ServiceToken<unknown>[];
}

export interface Plugin<Options = Record<string, unknown>> extends PluginMeta {
  readonly [PLUGIN_BRAND]: true;
  setup(ctx: PluginContext, options: Readonly<Options>): void | Promise<void>;
}

/** What a delivery attempt came to, and who decided it. */
export type DeliveryOutcome = Attributed<Verdict>;

/** An admin command: what `posthorn` subcommands and the control socket call. */
export interface AdminCommand {
  readonly description: string;
  run(args: Readonly<Record<string, JsonValue>>): Promise<JsonValue>;
}

/** A DNS record an operator should publish, as `posthorn dns-records` prints it. */
export interface DnsAdvice {
  /** Owner name, fully qualified with a trailing dot. */
  readonly name: string;
  readonly type: string;
  readonly value: string;
  /** Why the record is needed, for the operator. */
  readonly purpose: string;
}

/** The core's lifecycle steps that plugins may drive (the queue runner, bounce makers). */
export interface Lifecycle {
  /** Runs the `deliver` hook for one recipient. Never rejects: a failing tap becomes a 451. */
  deliver(delivery: Delivery): Promise<DeliveryOutcome>;
  /**
   * Runs the `bounce` hook. Rejects with the first TapFailure when a tap failed (a bounce
   * maker that could not queue its notification), so the caller can try the bounce again
   * instead of losing it.
   */
  bounce(event: BounceEvent): Promise<void>;
  /** Runs the `delivered` hook; failures are logged, never thrown. */
  delivered(event: DeliveredEvent): Promise<void>;
  /** Runs the `delayed` hook; failures are logged, never thrown. */
  delayed(event: DelayedEvent): Promise<void>;
  /** Runs the `queue` hook for a message the server made itself (bounces, notifications). */
  enqueue(request: QueueRequest): Promise<DeliveryOutcome>;
}

/** Everything a plugin gets at setup. */
export interface PluginContext {
  readonly name: string;
  /** `server`: a running server. `admin`: loaded for a CLI command; nothing listens or runs. */
  readonly mode: 'server' | 'admin';
  readonly log: Logger;
  /** The server's host name (greeting, Received, Message-ID). */
  readonly hostname: string;
  /** Absolute path of the data directory; plugins keep their files in a subdirectory. */
  readonly dataDir: string;
  /** Resolves a path from the options relative to the config file's directory. */
  resolvePath(path: string): string;

  on<K extends HookName>(hook: K, fn: HookFn<K>, options?: TapOptions): void;
  provide<T>(token: ServiceToken<T>, implementation: T): void;
  /** A service declared in `needs`. */
  service<T>(token: ServiceToken<T>): T;
  /** A service declared in `uses`, or undefined when nobody provides it. */
  optionalService<T>(token: ServiceToken<T>): T | undefined;

  /** Runs when the server starts (after every plugin's setup); not in admin mode. */
  onStart(fn: () => void | Promise<void>): void;
  /** Runs when the server stops, in reverse plugin order; also in admin mode. */
  onStop(fn: () => void | Promise<void>): void;
  admin(name: string, command: AdminCommand): void;
  /**
   * Loads a rule file an admin edits (YAML or JSON, validated by `schema`), and keeps it
   * current: a valid new version is swapped in on change, SIGHUP or `posthorn reload`; an
   * invalid one is logged (file, line, pointer) and the old one stays. A problem in the first
   * version stops the server from starting.
   */
  ruleSet<T>(options: RuleSetOptions<T>): Promise<RuleSet<T>>;
  /**
   * For files a plugin keeps itself (the accounts file): called on SIGHUP and `posthorn reload`
   * with the rule sets; report which file and whether a new version is in force.
   */
  onReload(fn: () => Promise<{ readonly file: string; readonly reloaded: boolean }>): void;
  /**
   * The server's TLS key and certificate, for plugins that open listeners of their own (POP3,
   * IMAP): the configured `tls` files, or the self-signed pair the core keeps under the data
   * directory. Loaded once (on first call) and shared with the core's SMTP listeners, so every
   * port presents the same certificate.
   */
  tls(): Promise<TlsMaterial>;
  /**
   * Announces a listener the plugin opened (call it from onStart, once it listens): it is
   * logged, and reported with the core's listeners in the `ready` log line, in App.start()'s
   * result and in App.listenerAddresses() until the server stops. Names are unique across the
   * server; a duplicate is refused with PH_LISTENER.
   */
  listening(address: ListenerAddress): void;
  /** Adds records to `posthorn dns-records` for a local domain (DKIM keys, for example). */
  adviseDns(advisor: (domain: string) => DnsAdvice[] | Promise<DnsAdvice[]>): void;
  readonly lifecycle: Lifecycle;
}

type Definition<Options> = PluginMeta & { setup(ctx: PluginContext, options: Readonly<Options>): void | Promise<void> };

/**
 * Declares a plugin. The result is a frozen value; importing a plugin module has no side
 * effects, and nothing is registered until the loader calls `setup`.
 */
export function definePlugin<Options = Record<string, never>>(definition: Definition<Options>): Plugin<Options> {
  if (!definition || typeof definition.name !== 'string' || !/^[a-z0-9@][a-z0-9._\/-]*$/.test(definition.name)) {
    throw new TypeError(`definePlugin: invalid plugin name ${JSON.stringify(definition?.name)}`);
  }
  if (typeof definition.setup !== 'function') throw new TypeError(`definePlugin(${definition.name}): setup must be a function`);
  if (typeof definition.version !== 'string' || typeof definition.core !== 'string') {
    throw new TypeError(`definePlugin(${definition.name}): version and core range are required`);
  }
  return Object.freeze({ ...definition, [PLUGIN_BRAND]: true as const });
}

export function isPlugin(value: unknown): value is Plugin<unknown> {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[PLUGIN_BRAND] === true;
}
