import { runAdmin } from '../admin.ts';
import { print, printJson } from '../output.ts';
import type { CommandContext } from './command.ts';

/** Asks the server to read its rule files again and prints what each one came to. */
export async function reload(ctx: CommandContext): Promise<number> {
  const result = (await runAdmin(await ctx.loadConfig(), 'reload')) as { file: string; reloaded: boolean }[];
  if (ctx.options.json) {
    printJson(result as never);
    return result.every((r) => r.reloaded) ? 0 : 1;
  }
  if (!result.length) print('no rule files');
  for (const entry of result) print(`${entry.reloaded ? 'reloaded' : 'refused (previous version kept; see the log)'}: ${entry.file}`);
  return result.every((r) => r.reloaded) ? 0 : 1;
}
