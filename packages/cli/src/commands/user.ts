import type { JsonValue } from '@posthorn/contracts';
import { runAdmin } from '../admin.ts';
import { print, printJson, table } from '../output.ts';
import { readNewPassword } from '../password.ts';
import type { CommandContext } from './command.ts';

/** Runs an admin command and prints its result as JSON (--json) or as text. */
async function report(ctx: CommandContext, name: string, args: Record<string, JsonValue>, human: (result: JsonValue) => string[]): Promise<number> {
  const result = await runAdmin(await ctx.loadConfig(), name, args);
  if (ctx.options.json) printJson(result);
  else print(...human(result));
  return 0;
}

export async function userAdd(ctx: CommandContext): Promise<number> {
  const [address] = ctx.args as [string];
  // The password first: a refusal (no terminal) then costs nothing.
  const password = await readNewPassword({ fromStdin: Boolean(ctx.options['password-stdin']), command: 'user add' });
  const args = { address, password, ...(ctx.options.name !== undefined ? { name: ctx.options.name } : {}) };
  return report(ctx, 'user.add', args, (result) => [`added ${(result as { added?: string }).added ?? address}`]);
}

export async function userDel(ctx: CommandContext): Promise<number> {
  const [address] = ctx.args as [string];
  return report(ctx, 'user.del', { address }, () => [`removed ${address}`]);
}

export async function userList(ctx: CommandContext): Promise<number> {
  return report(ctx, 'user.list', {}, (result) => {
    const accounts = result as { id: string; addresses: string[]; displayName: string | null }[];
    if (!accounts.length) return ['no accounts'];
    return table(
      ['ACCOUNT', 'NAME', 'OTHER ADDRESSES'],
      accounts.map((a) => [a.id, a.displayName ?? '-', a.addresses.filter((x) => x !== a.id).join(', ') || '-']),
    );
  });
}

export async function userPasswd(ctx: CommandContext): Promise<number> {
  const [address] = ctx.args as [string];
  const password = await readNewPassword({ fromStdin: Boolean(ctx.options['password-stdin']), command: 'user passwd' });
  return report(ctx, 'user.passwd', { address, password }, () => [`password changed for ${address}`]);
}
