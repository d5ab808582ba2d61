import type { Description } from '@posthorn/core';
import { withAdminApp } from '../admin.ts';
import { print, printJson, table } from '../output.ts';
import type { CommandContext } from './command.ts';

/** Who taps what, in call order; who provides which service; which admin commands exist. */
export async function plugins(ctx: CommandContext): Promise<number> {
  const config = await ctx.loadConfig();
  const description = await withAdminApp(config, async (app) => app.describe());
  if (ctx.options.json) printJson(description);
  else print(...render(description));
  return 0;
}

function render(description: Description): string[] {
  const lines: string[] = [];
  lines.push('Plugins (in setup order)');
  lines.push(
    ...indent(
      table(
        ['NAME', 'VERSION', 'PROVIDES', 'NEEDS', 'USES'],
        description.plugins.map((p) => [p.name, p.version, list(p.provides), list(p.needs), list(p.uses)]),
      ),
    ),
  );
  lines.push('', 'Hooks (taps in call order)');
  lines.push(
    ...indent(
      table(
        ['HOOK', 'TAPS'],
        Object.entries(description.hooks).map(([hook, taps]) => [hook, taps.map((t) => (t.stage ? `${t.plugin} (stage ${t.stage})` : t.plugin)).join(' -> ') || '-']),
      ),
    ),
  );
  lines.push('', 'Services');
  lines.push(...indent(table(['SERVICE', 'PROVIDER', 'DESCRIPTION'], description.services.map((s) => [s.id, s.provider, s.description]))));
  lines.push('', 'Admin commands');
  lines.push(...indent(table(['COMMAND', 'DESCRIPTION'], description.admin.map((a) => [a.name, a.description]))));
  return lines;
}

function list(values: readonly string[]): string {
  return values.length ? values.join(', ') : '-';
}

function indent(lines: readonly string[]): string[] {
  return lines.map((line) => `  ${line}`);
}
