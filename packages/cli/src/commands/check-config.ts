import { dirname, relative } from 'node:path';
import { Resolver, type ServiceToken, SharedState } from '@posthorn/contracts';
import { type LoadedConfig, loadPlugins, parseConfig, type PluginSpec, readConfigFile } from '@posthorn/core';
import { withAdminApp } from '../admin.ts';
import { print, printJson } from '../output.ts';
import type { CommandContext } from './command.ts';

interface Issue {
  readonly pointer: string;
  readonly message: string;
  readonly plugin?: string;
  readonly code?: string;
}

/**
 * Validates the config file and every plugin's options, and reports every problem at once,
 * each with its JSON pointer. Plugins are set up in admin mode, exactly as the CLI's other
 * commands would, so a plugin that refuses its options at setup is caught here too.
 */
export async function checkConfig(ctx: CommandContext): Promise<number> {
  const { filepath, raw } = await readConfigFile({ ...(ctx.options.config ? { path: ctx.options.config } : {}) });
  const checked = await findIssues(filepath, raw);
  const { issues } = checked;
  const file = displayPath(filepath);
  const summary = checked.config && !issues.length ? summarise(checked.config, checked.plugins ?? []) : undefined;
  if (ctx.options.json) {
    printJson({ ok: issues.length === 0, file: filepath, issues, ...(summary ? { summary } : {}) });
  } else if (!summary) {
    for (const issue of issues) print(`${file}: ${issue.pointer} ${issue.message}${issue.plugin && !issue.message.includes(issue.plugin) ? ` (plugin ${issue.plugin})` : ''}`);
  } else {
    print('ok', `${file}: ${summary.listeners.length} listener(s) (${summary.listeners.join(', ') || 'none'}); ${summary.plugins.length} plugin(s) (${summary.plugins.join(', ') || 'none'}); data in ${summary.dataDir}`);
  }
  return issues.length ? 1 : 0;
}

interface Checked {
  readonly config?: LoadedConfig;
  /** Names and versions of the loaded plugins, in setup order. */
  readonly plugins?: readonly string[];
  readonly issues: readonly Issue[];
}

async function findIssues(filepath: string, raw: unknown): Promise<Checked> {
  let config: LoadedConfig;
  try {
    config = parseConfig(raw, filepath);
  } catch (err) {
    const issues = issuesOf(err);
    if (!issues) throw err;
    // The core part is wrong, but the plugin list may still be readable: check it too, so
    // one run reports everything instead of one layer of problems at a time.
    const all = [...issues, ...(await pluginIssues(lenientSpecs(raw), filepath))];
    // In document order, so the problems of one entry stand together.
    return { issues: all.sort((a, b) => a.pointer.localeCompare(b.pointer, 'en', { numeric: true })) };
  }
  let plugins: string[];
  try {
    plugins = await withAdminApp(config, async (app) => app.plugins.map(({ plugin }) => `${plugin.name} ${plugin.version}`));
  } catch (err) {
    const issues = issuesOf(err);
    if (issues) return { config, issues };
    const e = err as { code?: string; message: string; details?: { plugin?: string } };
    if (typeof e.code === 'string' && e.code.startsWith('PH_')) {
      return { config, issues: [{ pointer: '/plugins', message: e.message, code: e.code, ...(e.details?.plugin ? { plugin: e.details.plugin } : {}) }] };
    }
    throw err;
  }
  return { config, plugins, issues: [] };
}

/** The issues of a ConfigError or PluginLoadError (from any copy of the core). */
function issuesOf(err: unknown): Issue[] | undefined {
  const issues = (err as { issues?: unknown }).issues;
  if (!Array.isArray(issues)) return undefined;
  return issues.map((issue: Issue) => ({ pointer: issue.pointer, message: issue.message, ...(issue.plugin ? { plugin: issue.plugin } : {}), ...(issue.code ? { code: issue.code } : {}) }));
}

/** Plugin entries that are well-formed enough to load, from a config whose core part failed. */
function lenientSpecs(raw: unknown): PluginSpec[] {
  const plugins = (raw as { plugins?: unknown } | null)?.plugins;
  if (!Array.isArray(plugins)) return [];
  return plugins.flatMap((entry: unknown, index): PluginSpec[] => {
    if (typeof entry === 'string' && entry) return [{ plugin: entry, options: {}, index }];
    const object = entry as { plugin?: unknown; options?: unknown } | null;
    if (typeof object?.plugin !== 'string' || !object.plugin) return [];
    const options = object.options ?? {};
    if (typeof options !== 'object' || options === null || Array.isArray(options)) return [];
    return [{ plugin: object.plugin, options: options as Record<string, unknown>, index }];
  });
}

async function pluginIssues(specs: PluginSpec[], filepath: string): Promise<Issue[]> {
  try {
    // As App.create: the resolver is always the core's, SharedState unless a plugin provides one.
    await loadPlugins(specs, dirname(filepath), [Resolver as ServiceToken<unknown>], [SharedState as ServiceToken<unknown>]);
    return [];
  } catch (err) {
    return issuesOf(err) ?? [{ pointer: '/plugins', message: (err as Error).message }];
  }
}

function summarise(config: LoadedConfig, plugins: readonly string[]): { listeners: string[]; plugins: string[]; dataDir: string } {
  return {
    listeners: config.core.listeners.map((l) => `${l.name} (${l.role}) ${l.host}:${l.port}`),
    plugins: [...plugins],
    dataDir: config.core.dataDir,
  };
}

/** The config path as the operator would type it: relative when under the current directory. */
function displayPath(filepath: string): string {
  const rel = relative(process.cwd(), filepath);
  return rel && !rel.startsWith('..') ? rel : filepath;
}
