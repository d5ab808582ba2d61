import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve as resolvePath } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ServiceToken } from '@posthorn/contracts';
import semver from 'semver';
import type { PluginSpec } from './config.ts';
import { isPosthornError, PosthornError } from './errors.ts';
import { isPlugin, type Plugin } from './plugin.ts';
import { deepFreeze, type SchemaIssue, validateWithSchema } from './schema.ts';
import { CORE_VERSION } from './version.ts';

export interface LoadedPlugin {
  readonly plugin: Plugin<unknown>;
  readonly spec: PluginSpec;
  /** Validated, defaults filled, frozen. */
  readonly options: Readonly<Record<string, unknown>>;
  /** The file the plugin was loaded from. */
  readonly from: string;
}

/** A problem with one plugin entry, for check-config. */
export interface PluginIssue extends SchemaIssue {
  readonly plugin: string;
  readonly code: string;
}

export class PluginLoadError extends PosthornError {
  readonly issues: readonly PluginIssue[];
  constructor(issues: PluginIssue[]) {
    const first = issues[0];
    super(
      (first?.code as 'PH_PLUGIN_NOT_FOUND') ?? 'PH_PLUGIN_INVALID',
      issues.map((issue) => `plugin ${issue.plugin}: ${issue.pointer} ${issue.message}`).join('; '),
      { issues },
    );
    this.issues = issues;
  }
}

const CORE_DIR = fileURLToPath(new URL('.', import.meta.url));

/** The npm names a plugin spec may stand for, in the order they are tried. */
export function candidateNames(spec: string): string[] {
  if (spec.startsWith('@posthorn/plugin-') || /^(@[^/]+\/)?posthorn-plugin-/.test(spec)) return [spec];
  const scoped = /^(@[^/]+)\/(.+)$/.exec(spec);
  // First-party plugins are @posthorn/plugin-x; third parties publish @scope/posthorn-plugin-x.
  if (scoped?.[1] === '@posthorn') return [`@posthorn/plugin-${scoped[2]}`, spec];
  if (scoped) return [`${scoped[1]}/posthorn-plugin-${scoped[2]}`, spec];
  return [`@posthorn/plugin-${spec}`, `posthorn-plugin-${spec}`, spec];
}

function isPathSpec(spec: string): boolean {
  return spec.startsWith('.') || isAbsolute(spec) || spec.startsWith('file:');
}

/** Finds the file a plugin spec points at: from the config's directory first, then the core's. */
export function resolvePluginFile(spec: string, configDir: string): string | undefined {
  if (isPathSpec(spec)) {
    const path = spec.startsWith('file:') ? fileURLToPath(spec) : resolvePath(configDir, spec);
    try {
      return createRequire(pathToFileURL(resolvePath(configDir, 'x')).href).resolve(path);
    } catch {
      return undefined;
    }
  }
  for (const base of [configDir, CORE_DIR]) {
    const require = createRequire(pathToFileURL(resolvePath(base, 'x')).href);
    for (const name of candidateNames(spec)) {
      try {
        return require.resolve(name);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        // require.resolve applies the "require" export conditions: an ESM-only package
        // (exports with only "import") is refused although import() can load it.
        if (code === 'ERR_PACKAGE_PATH_NOT_EXPORTED') {
          const file = resolveImportEntry(name, base);
          if (file) return file;
          continue;
        }
        if (code !== 'MODULE_NOT_FOUND') throw err;
      }
    }
  }
  return undefined;
}

/** The "." entry of a package's exports, chosen with import() conditions, found from `base` up. */
function resolveImportEntry(name: string, base: string): string | undefined {
  for (let dir = base; ; dir = dirname(dir)) {
    const root = join(dir, 'node_modules', name);
    if (existsSync(join(root, 'package.json'))) {
      const { exports } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports?: unknown };
      const main = typeof exports === 'object' && exports !== null && !Array.isArray(exports) && '.' in exports ? (exports as Record<string, unknown>)['.'] : exports;
      const target = importTarget(main);
      return target ? resolvePath(root, target) : undefined;
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** Node's rule: the first condition in the package's own order that applies wins. */
function importTarget(entry: unknown): string | undefined {
  if (typeof entry === 'string') return entry;
  if (Array.isArray(entry)) return entry.map(importTarget).find(Boolean);
  if (typeof entry !== 'object' || entry === null) return undefined;
  for (const [condition, value] of Object.entries(entry)) {
    if (condition !== 'import' && condition !== 'node' && condition !== 'default') continue;
    const target = importTarget(value);
    if (target) return target;
  }
  return undefined;
}

/** Unknown option keys are refused unless the plugin's schema explicitly allows them. */
function strictSchema(schema: Readonly<Record<string, unknown>> | undefined): object {
  const base = schema ?? { type: 'object', properties: {} };
  return base.type === 'object' && base.additionalProperties === undefined ? { ...base, additionalProperties: false } : base;
}

/**
 * Loads every plugin of the config, validates its options and orders the list so that each
 * plugin comes after the providers of what it needs. Collects every problem before failing.
 */
export async function loadPlugins(
  specs: readonly PluginSpec[],
  configDir: string,
  coreServices: readonly ServiceToken<unknown>[],
  coreDefaults: readonly ServiceToken<unknown>[] = [],
): Promise<LoadedPlugin[]> {
  const issues: PluginIssue[] = [];
  const loaded: LoadedPlugin[] = [];
  const names = new Map<string, number>();

  for (const spec of specs) {
    const pointer = `/plugins/${spec.index}`;
    let file: string | undefined;
    try {
      file = resolvePluginFile(spec.plugin, configDir);
    } catch (err) {
      // A broken package.json or exports map is this plugin's problem, reported like the others.
      issues.push({ plugin: spec.plugin, pointer, code: 'PH_PLUGIN_INVALID', message: `cannot resolve ${spec.plugin}: ${(err as Error).message}` });
      continue;
    }
    if (!file) {
      issues.push({
        plugin: spec.plugin,
        pointer,
        code: 'PH_PLUGIN_NOT_FOUND',
        message: `cannot find plugin ${spec.plugin} (tried ${isPathSpec(spec.plugin) ? spec.plugin : candidateNames(spec.plugin).join(', ')})`,
      });
      continue;
    }
    let module: Record<string, unknown>;
    try {
      module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    } catch (err) {
      issues.push({ plugin: spec.plugin, pointer, code: 'PH_PLUGIN_INVALID', message: `cannot load ${file}: ${(err as Error).message}` });
      continue;
    }
    const plugin = [module.default, module.plugin].find(isPlugin);
    if (!plugin) {
      issues.push({ plugin: spec.plugin, pointer, code: 'PH_PLUGIN_INVALID', message: `${file} does not export a plugin made with definePlugin (default or \`plugin\` export)` });
      continue;
    }
    const earlier = names.get(plugin.name);
    if (earlier !== undefined) {
      issues.push({ plugin: plugin.name, pointer, code: 'PH_PLUGIN_DUPLICATE', message: `plugin ${plugin.name} is already listed at /plugins/${earlier}` });
      continue;
    }
    names.set(plugin.name, spec.index);
    if (!semver.valid(plugin.version)) {
      issues.push({ plugin: plugin.name, pointer, code: 'PH_PLUGIN_INVALID', message: `version ${plugin.version} is not semver` });
    }
    if (!semver.validRange(plugin.core) || !semver.satisfies(CORE_VERSION, plugin.core, { includePrerelease: true })) {
      issues.push({ plugin: plugin.name, pointer, code: 'PH_PLUGIN_CORE_RANGE', message: `supports core ${plugin.core}, this is core ${CORE_VERSION}` });
      continue;
    }
    const checked = validateWithSchema<Record<string, unknown>>(strictSchema(plugin.options), spec.options, `${pointer}/options`);
    if (!checked.ok) {
      for (const issue of checked.issues) issues.push({ ...issue, plugin: plugin.name, code: 'PH_PLUGIN_OPTIONS' });
      continue;
    }
    loaded.push({ plugin, spec, options: deepFreeze(checked.value), from: file });
  }
  if (issues.length) throw new PluginLoadError(issues);
  try {
    return orderByServices(loaded, coreServices, coreDefaults);
  } catch (err) {
    if (isPosthornError(err)) {
      throw new PluginLoadError([{ plugin: String(err.details.plugin ?? ''), pointer: '/plugins', code: err.code, message: err.message }]);
    }
    throw err;
  }
}

/**
 * Topological order: providers before the plugins that need or use their services; otherwise
 * the config's order. Refuses a missing provider, two providers of one service, and cycles.
 * `coreServices` are always the core's; `coreDefaults` are the core's unless a plugin provides
 * them (the embedded SharedState, replaced by a shared store's plugin).
 */
export function orderByServices(
  plugins: readonly LoadedPlugin[],
  coreServices: readonly ServiceToken<unknown>[],
  coreDefaults: readonly ServiceToken<unknown>[] = [],
): LoadedPlugin[] {
  const provider = new Map<string, string>();
  for (const token of coreServices) provider.set(token.id, 'core');
  for (const { plugin } of plugins) {
    for (const token of plugin.provides ?? []) {
      const existing = provider.get(token.id);
      if (existing) {
        throw new PosthornError('PH_SERVICE_DUPLICATE', `service ${token.id} is provided by both ${existing} and ${plugin.name}`, { plugin: plugin.name, service: token.id });
      }
      provider.set(token.id, plugin.name);
    }
  }
  for (const token of coreDefaults) if (!provider.has(token.id)) provider.set(token.id, 'core');
  const byName = new Map(plugins.map((entry) => [entry.plugin.name, entry]));
  const dependencies = new Map<string, string[]>();
  for (const { plugin } of plugins) {
    const deps: string[] = [];
    for (const token of plugin.needs ?? []) {
      const from = provider.get(token.id);
      if (!from) {
        throw new PosthornError('PH_SERVICE_MISSING', `plugin ${plugin.name} needs service ${token.id} (${token.description}), which no listed plugin provides`, {
          plugin: plugin.name,
          service: token.id,
        });
      }
      if (from !== 'core' && from !== plugin.name) deps.push(from);
    }
    for (const token of plugin.uses ?? []) {
      const from = provider.get(token.id);
      if (from && from !== 'core' && from !== plugin.name) deps.push(from);
    }
    dependencies.set(plugin.name, deps);
  }
  const ordered: LoadedPlugin[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]): void => {
    const mark = state.get(name);
    if (mark === 'done') return;
    if (mark === 'visiting') {
      throw new PosthornError('PH_SERVICE_CYCLE', `plugins need each other in a cycle: ${[...path, name].join(' -> ')}`, { plugin: name });
    }
    state.set(name, 'visiting');
    for (const dep of dependencies.get(name) ?? []) visit(dep, [...path, name]);
    state.set(name, 'done');
    ordered.push(byName.get(name)!);
  };
  for (const { plugin } of plugins) visit(plugin.name, []);
  return ordered;
}
