import type { JsonValue } from '@posthorn/contracts';
import { print, printJson } from '../output.ts';
import type { CommandContext, CommandSpec } from './command.ts';

/**
 * `posthorn GROUP ACTION [ARGS] [--flag value]` for an admin command a plugin registered as
 * `GROUP.ACTION` (e.g. `posthorn dkim keygen example.org --selector s1` runs `dkim.keygen`).
 * Positional arguments arrive as `_`, flags under their names. The CLI knows nothing about the
 * command: a third-party plugin's commands work the same way as first-party ones.
 */
export function pluginCommand(group: string, action: string, positionals: readonly string[], flags: Readonly<Record<string, string | boolean>>): CommandSpec {
  const name = `${group}.${action}`;
  return {
    name: `${group} ${action}`,
    summary: `run the admin command ${name} of a plugin`,
    args: [],
    options: [],
    run: async (ctx: CommandContext) => {
      const args: Record<string, JsonValue> = { _: [...positionals] };
      for (const [key, value] of Object.entries(flags)) if (key !== 'config' && key !== 'json') args[key] = value;
      // Loaded here, not at the top: `posthorn --help` must not pay for loading the core.
      const { runAdmin } = await import('../admin.ts');
      const result = await runAdmin(await ctx.loadConfig(), name, args);
      // A plugin that returns text means it to be read as it is (a DNS record, a key).
      if (typeof result === 'string' && !flags.json) print(result);
      else printJson(result);
      return 0;
    },
  };
}
