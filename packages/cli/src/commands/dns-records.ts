import { runAdmin } from '../admin.ts';
import { print, printJson } from '../output.ts';
import type { CommandContext } from './command.ts';

interface DomainRecords {
  readonly domain: string;
  readonly records: readonly { name: string; type: string; value: string; purpose: string }[];
}

/** Prints, per local domain, the records to publish, in zone-file order with the reason above each. */
export async function dnsRecords(ctx: CommandContext): Promise<number> {
  const [domain] = ctx.args;
  const result = (await runAdmin(await ctx.loadConfig(), 'dns.records', domain ? { domain } : {})) as unknown as DomainRecords[];
  if (ctx.options.json) {
    printJson(result as never);
    return 0;
  }
  const lines: string[] = [];
  for (const entry of result) {
    lines.push(`; ${entry.domain}`);
    for (const record of entry.records) {
      lines.push(`; ${record.purpose}`);
      const value = record.type === 'TXT' ? quoteTxt(record.value) : record.value;
      lines.push(`${record.name}\tIN\t${record.type}\t${value}`);
    }
    lines.push('');
  }
  print(...(lines.length ? lines : ['no local domains']));
  return 0;
}

/** A TXT value as zone-file character-strings of at most 255 bytes each (RFC 1035 3.3.14). */
function quoteTxt(value: string): string {
  const parts: string[] = [];
  for (let i = 0; i < value.length; i += 255) parts.push(`"${value.slice(i, i + 255).replace(/["\\]/g, '\\$&')}"`);
  return parts.join(' ');
}
