import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { isAbsolute, resolve as resolvePath } from 'node:path';
import { type DnsResolver, type JsonValue, Resolver, type ServiceToken, SharedState } from '@posthorn/contracts';
import type { Logger } from 'pino';
import { coreAdminCommands } from './admin/commands.ts';
import type { DnsAdvisor } from './admin/dns-records.ts';
import { FileRuleSet } from './rules/rule-set.ts';
import { ControlServer } from './admin/control.ts';
import type { LoadedConfig } from './config.ts';
import { createResolver } from './dns.ts';
import { isPosthornError, PosthornError } from './errors.ts';
import { HOOK_NAMES, type HookName, HookSet } from './hooks.ts';
import { type LoadedPlugin, loadPlugins } from './loader.ts';
import { createLogger } from './logger.ts';
import type { AdminCommand, Lifecycle, PluginContext } from './plugin.ts';
import { ServiceRegistry } from './services.ts';
import { SmtpListener } from './smtp/listener.ts';
import { MemoryState } from './state/memory-state.ts';
import { loadTls, type TlsMaterial } from './tls.ts';
import { Verdicts } from './verdicts.ts';

export interface AppOptions {
  /** `admin`: plugins set up for a CLI command; no listeners, no start hooks, no control socket. */
  readonly mode?: 'server' | 'admin';
  /** Use this logger instead of one built from the config. */
  readonly logger?: Logger;
  /** Use this resolver instead of one built from the config (tests). */
  readonly resolver?: DnsResolver;
}

export interface ListenerAddress {
  readonly name: string;
  readonly role: string;
  readonly host: string;
  readonly port: number;
}

/** Who taps what, in order, and who provides which service: `posthorn plugins`. */
export interface Description {
  readonly plugins: { name: string; version: string; from: string; provides: string[]; needs: string[]; uses: string[] }[];
  readonly hooks: Record<string, { plugin: string; stage: number }[]>;
  readonly services: { id: string; description: string; provider: string }[];
  readonly admin: { name: string; description: string }[];
}

/**
 * A configured Posthorn: plugins loaded and set up against one hook set, services wired, and
 * (in server mode) listeners that can be started and stopped.
 */
export class App {
  readonly config: LoadedConfig;
  readonly log: Logger;
  readonly mode: 'server' | 'admin';
  readonly services = new ServiceRegistry();
  readonly verdicts = new Verdicts();
  #hooks: HookSet;
  /** Per-plugin tap budgets from the config (`plugins[].timeout`). */
  readonly #perPluginTimeouts = new Map<string, number>();
  #plugins: LoadedPlugin[] = [];
  readonly #startHooks: { plugin: string; fn: () => void | Promise<void> }[] = [];
  readonly #stopHooks: { plugin: string; fn: () => void | Promise<void> }[] = [];
  readonly #admin = new Map<string, AdminCommand & { plugin: string }>();
  readonly #dnsAdvisors: DnsAdvisor[] = [];
  readonly #ruleSets: FileRuleSet<unknown>[] = [];
  readonly #reloaders: (() => Promise<{ readonly file: string; readonly reloaded: boolean }>)[] = [];
  #listeners: SmtpListener[] = [];
  /** Listeners plugins opened themselves (POP3, IMAP), as they announced them. */
  #pluginListeners: ListenerAddress[] = [];
  /** The TLS key and certificate, loaded on first use by the core or a plugin. */
  #tls: Promise<TlsMaterial> | undefined;
  #control: ControlServer | undefined;
  #started = false;

  private constructor(config: LoadedConfig, options: AppOptions) {
    this.config = config;
    this.mode = options.mode ?? 'server';
    this.log = options.logger ?? createLogger(config.core.log);
    const timeouts = config.core.timeouts;
    this.#hooks = new HookSet((plugin, hook) => this.#perPluginTimeouts.get(plugin) ?? (hook === 'deliver' ? timeouts.deliver : timeouts.hook));
    this.services.provide(Resolver, 'core', options.resolver ?? createResolver(config.core.dns));
    const dns = { hostname: config.core.hostname, advisors: this.#dnsAdvisors };
    this.#admin.set('reload', {
      plugin: 'core',
      description: 'Read every rule file again (what SIGHUP does); a file with errors keeps its previous version',
      run: () => this.reloadRules(),
    });
    for (const [name, command] of Object.entries(coreAdminCommands((token) => this.services.get(token), dns))) {
      this.#admin.set(name, { ...command, plugin: 'core' });
    }
  }

  /** Loads and sets up every plugin of the config. */
  static async create(config: LoadedConfig, options: AppOptions = {}): Promise<App> {
    const app = new App(config, options);
    // A server owns its data directory; a CLI command (check-config, plugins) must not create
    // one: whatever an admin command writes creates the directories it needs itself.
    if (app.mode === 'server') await mkdir(config.core.dataDir, { recursive: true });
    app.#plugins = await loadPlugins(config.plugins, config.dir, [Resolver as ServiceToken<unknown>], [SharedState as ServiceToken<unknown>]);
    app.#provideDefaults();
    for (const entry of app.#plugins) {
      if (entry.spec.timeout) app.#perPluginTimeouts.set(entry.plugin.name, entry.spec.timeout);
    }
    for (const entry of app.#plugins) await app.#setup(entry);
    return app;
  }

  /**
   * Services the core provides only when no listed plugin does. SharedState: an embedded store
   * in this process, so greylisting and rate limits work with no extra config line; a plugin
   * backed by a shared store replaces it for a cluster.
   */
  #provideDefaults(): void {
    const provided = new Set(this.#plugins.flatMap(({ plugin }) => (plugin.provides ?? []).map((token) => token.id)));
    if (!provided.has(SharedState.id)) {
      let warned = false;
      const state = new MemoryState({
        onEvict: () => {
          // Once per process: the point is to tell the operator, not to flood the log.
          if (warned) return;
          warned = true;
          this.log.warn('the embedded shared state is full and drops live records (greylisting, rate limits); configure a shared-state plugin for this load');
        },
      });
      this.services.provide(SharedState, 'core', state);
      this.#stopHooks.push({ plugin: 'core', fn: () => state.close() });
    }
  }

  get hooks(): HookSet {
    return this.#hooks;
  }

  get plugins(): readonly LoadedPlugin[] {
    return this.#plugins;
  }

  readonly lifecycle: Lifecycle = {
    deliver: (delivery) => this.verdicts.deliver(this.#hooks, delivery),
    bounce: async (event) => {
      const [failure] = await this.verdicts.notify(this.#hooks, 'bounce', event);
      if (failure) throw failure;
    },
    delivered: async (event) => void (await this.verdicts.notify(this.#hooks, 'delivered', event)),
    delayed: async (event) => void (await this.verdicts.notify(this.#hooks, 'delayed', event)),
    enqueue: (request) => this.verdicts.queue(this.#hooks, request),
  };

  async #setup(entry: LoadedPlugin): Promise<void> {
    const { plugin } = entry;
    const declared = new Set([...(plugin.needs ?? []), ...(plugin.uses ?? []), ...(plugin.provides ?? [])].map((t) => t.id));
    const log = this.log.child({ plugin: plugin.name });
    const dataDir = this.config.core.dataDir;
    const configDir = this.config.dir;
    const ctx: PluginContext = {
      name: plugin.name,
      mode: this.mode,
      log,
      hostname: this.config.core.hostname,
      dataDir,
      resolvePath: (path) => (isAbsolute(path) ? path : resolvePath(configDir, path)),
      on: (hook, fn, tapOptions) => this.#hooks.tap(hook, plugin.name, fn, tapOptions),
      provide: (token, implementation) => {
        if (!(plugin.provides ?? []).some((t) => t.id === token.id)) {
          throw new PosthornError('PH_SERVICE_UNDECLARED', `plugin ${plugin.name} provides ${token.id} without declaring it in provides`, { plugin: plugin.name });
        }
        this.services.provide(token, plugin.name, implementation);
      },
      service: <T>(token: ServiceToken<T>): T => {
        if (!declared.has(token.id)) {
          throw new PosthornError('PH_SERVICE_UNDECLARED', `plugin ${plugin.name} asked for ${token.id} without declaring it in needs`, { plugin: plugin.name });
        }
        const implementation = this.services.get(token);
        if (implementation === undefined) throw new PosthornError('PH_SERVICE_MISSING', `no provider for ${token.id}`, { plugin: plugin.name });
        return implementation;
      },
      optionalService: <T>(token: ServiceToken<T>): T | undefined => {
        if (!declared.has(token.id)) {
          throw new PosthornError('PH_SERVICE_UNDECLARED', `plugin ${plugin.name} asked for ${token.id} without declaring it in uses`, { plugin: plugin.name });
        }
        return this.services.get(token);
      },
      onStart: (fn) => void this.#startHooks.push({ plugin: plugin.name, fn }),
      onStop: (fn) => void this.#stopHooks.push({ plugin: plugin.name, fn }),
      admin: (name, command) => {
        if (this.#admin.has(name)) throw new PosthornError('PH_PLUGIN_SETUP', `admin command ${name} is already registered by ${this.#admin.get(name)!.plugin}`, { plugin: plugin.name });
        this.#admin.set(name, { ...command, plugin: plugin.name });
      },
      adviseDns: (advisor) => void this.#dnsAdvisors.push(advisor),
      ruleSet: async (options) => {
        const ruleSet = await FileRuleSet.open(options, log);
        this.#ruleSets.push(ruleSet as FileRuleSet<unknown>);
        // Watching starts with the server (admin commands only read the file once).
        if (this.#started) ruleSet.watch();
        return ruleSet;
      },
      onReload: (fn) => void this.#reloaders.push(fn),
      tls: () => this.#loadTls(),
      listening: (address) => this.#announce(plugin.name, address),
      lifecycle: this.lifecycle,
    };
    try {
      await plugin.setup(ctx, entry.options);
    } catch (err) {
      if (err instanceof PosthornError) throw err;
      throw new PosthornError('PH_PLUGIN_SETUP', `plugin ${plugin.name} failed to set up: ${(err as Error).message}`, { plugin: plugin.name }, { cause: err });
    }
    for (const token of plugin.provides ?? []) {
      if (this.services.providerOf(token) !== plugin.name) {
        throw new PosthornError('PH_PLUGIN_SETUP', `plugin ${plugin.name} declares that it provides ${token.id} but did not provide it`, { plugin: plugin.name });
      }
    }
  }

  /** One load of the key and certificate, whoever asks first (a plugin's onStart or start()). */
  #loadTls(): Promise<TlsMaterial> {
    const core = this.config.core;
    this.#tls ??= loadTls({ ...core.tls, dataDir: core.dataDir, hostname: core.hostname, log: this.log });
    return this.#tls;
  }

  #announce(plugin: string, address: ListenerAddress): void {
    if (this.mode !== 'server') throw new PosthornError('PH_LISTENER', `plugin ${plugin} announced a listener in admin mode`, { plugin });
    const taken = [...this.config.core.listeners.map((l) => l.name), ...this.#pluginListeners.map((l) => l.name)];
    if (taken.includes(address.name)) {
      throw new PosthornError('PH_LISTENER', `plugin ${plugin} announced listener ${address.name}, a name already in use`, { plugin, listener: address.name });
    }
    const { name, role, host, port } = address;
    this.#pluginListeners.push(Object.freeze({ name, role, host, port }));
    this.log.info({ listener: name, role, host, port, plugin }, 'listening');
  }

  /** Starts plugins, listeners and the control socket. */
  async start(): Promise<ListenerAddress[]> {
    if (this.mode !== 'server') throw new PosthornError('PH_LISTENER', 'an admin-mode app cannot start');
    if (this.#started) throw new PosthornError('PH_LISTENER', 'already started');
    this.#started = true;
    const core = this.config.core;
    for (const { plugin, fn } of this.#startHooks) {
      try {
        await fn();
      } catch (err) {
        // What started before (plugins' listeners, runners) is stopped, as when a listener fails.
        await this.stop();
        // A plugin's own listener that cannot listen says so with PH_LISTENER, as the core's do.
        if (isPosthornError(err, 'PH_LISTENER')) throw err;
        throw new PosthornError('PH_PLUGIN_SETUP', `plugin ${plugin} failed to start: ${(err as Error).message}`, { plugin }, { cause: err });
      }
    }
    for (const ruleSet of this.#ruleSets) ruleSet.watch();
    if (core.listeners.some((l) => l.role !== 'mx') && !this.#hooks.isUsed('auth')) {
      this.log.warn('a submission listener is configured but no plugin taps the auth hook: nobody can log in to send');
    }
    const tls = core.listeners.length ? await this.#loadTls() : undefined;
    const addresses: ListenerAddress[] = [];
    for (const config of core.listeners) {
      const listener = new SmtpListener(config, {
        hostname: core.hostname,
        log: this.log,
        resolver: this.services.get(Resolver)!,
        tls: tls!,
        hooks: () => this.#hooks,
        verdicts: this.verdicts,
      });
      let address: AddressInfo;
      try {
        address = await listener.listen();
      } catch (err) {
        await this.stop();
        throw new PosthornError('PH_LISTENER', `listener ${config.name} cannot listen on ${config.host}:${config.port}: ${(err as Error).message}`, { listener: config.name }, { cause: err });
      }
      this.#listeners.push(listener);
      addresses.push({ name: config.name, role: config.role, host: address.address, port: address.port });
      this.log.info({ listener: config.name, role: config.role, host: address.address, port: address.port }, 'listening');
    }
    if (core.control.enabled && core.control.socket) {
      this.#control = new ControlServer(core.control.socket, (name, args) => this.admin(name, args), this.log);
      try {
        await this.#control.listen();
      } catch (err) {
        this.log.warn({ err: (err as Error).message, socket: core.control.socket }, 'control socket unavailable; CLI commands will act on files directly');
        this.#control = undefined;
      }
    }
    return [...addresses, ...this.#pluginListeners];
  }

  /** Stops listeners (connections get a grace period), the control socket, then plugins in reverse order. */
  async stop(): Promise<void> {
    const listeners = this.#listeners;
    this.#listeners = [];
    await Promise.all(listeners.map((listener) => listener.close()));
    await this.#control?.close();
    this.#control = undefined;
    for (const ruleSet of this.#ruleSets) ruleSet.close();
    for (const { plugin, fn } of [...this.#stopHooks].reverse()) {
      try {
        await fn();
      } catch (err) {
        this.log.error({ plugin, err: (err as Error).message }, 'plugin failed to stop');
      }
    }
    this.#stopHooks.length = 0;
    this.#pluginListeners = [];
    await new Promise<void>((done) => this.log.flush(() => done()));
  }

  listenerAddresses(): ListenerAddress[] {
    const core = this.#listeners.flatMap((listener) => {
      const address = listener.address();
      return address ? [{ name: listener.config.name, role: listener.config.role, host: address.address, port: address.port }] : [];
    });
    return [...core, ...this.#pluginListeners];
  }

  /** Reads every rule file again; reports per file whether a new version is in force. */
  async reloadRules(): Promise<JsonValue> {
    const results: JsonValue[] = [];
    for (const ruleSet of this.#ruleSets) results.push({ file: ruleSet.file, reloaded: await ruleSet.reload() });
    for (const reload of this.#reloaders) results.push({ ...(await reload()) });
    return results;
  }

  /** Runs an admin command in this process. */
  async admin(name: string, args: Readonly<Record<string, JsonValue>> = {}): Promise<JsonValue> {
    const command = this.#admin.get(name);
    if (!command) throw new PosthornError('PH_ADMIN_UNKNOWN', `unknown admin command: ${name}`);
    return command.run(args);
  }

  describe(): Description {
    const hooks: Record<string, { plugin: string; stage: number }[]> = {};
    for (const hook of HOOK_NAMES) hooks[hook] = this.#hooks.tapsOf(hook as HookName);
    return {
      plugins: this.#plugins.map(({ plugin, from }) => ({
        name: plugin.name,
        version: plugin.version,
        from,
        provides: (plugin.provides ?? []).map((t) => t.id),
        needs: (plugin.needs ?? []).map((t) => t.id),
        uses: (plugin.uses ?? []).map((t) => t.id),
      })),
      hooks,
      services: this.services.list(),
      admin: [...this.#admin.entries()].map(([name, command]) => ({ name, description: command.description })),
    };
  }
}
