import type { JsonValue } from '@posthorn/contracts';
import { runAdmin } from '../admin.ts';
import { duration, print, printJson, relativeTime, table } from '../output.ts';
import type { CommandContext } from './command.ts';

/** What the core's queue.list and queue.show commands return for one message. */
interface QueueSummary {
  id: string;
  from: string;
  size: number;
  receivedAt: string;
  nextAttemptAt: string | null;
  recipients: {
    address: string;
    status: string;
    attempts: number;
    nextAttemptAt: string | null;
    lastReply: string | null;
    lastReplyBy: string | null;
  }[];
}

interface QueueDetail extends QueueSummary {
  origin?: { listener?: string; role?: string; remoteAddress?: string; remoteHostname?: string; helo?: string; user?: string; tls?: boolean };
  header?: string;
}

const sender = (from: string) => (from === '' ? '<>' : from);
const lastError = (r: QueueSummary['recipients'][number]) => (r.lastReply ? `${r.lastReply}${r.lastReplyBy ? ` (by ${r.lastReplyBy})` : ''}` : '-');

export async function queueList(ctx: CommandContext): Promise<number> {
  const entries = (await runAdmin(await ctx.loadConfig(), 'queue.list')) as unknown as QueueSummary[];
  if (ctx.options.json) {
    printJson(entries);
    return 0;
  }
  if (!entries.length) {
    print('the queue is empty');
    return 0;
  }
  const now = Date.now();
  const rows: string[][] = [];
  for (const entry of entries) {
    // One row per recipient; the message's own columns only on its first row.
    entry.recipients.forEach((r, i) => {
      const first = i === 0;
      rows.push([
        first ? entry.id : '',
        first ? duration(now - Date.parse(entry.receivedAt)) : '',
        first ? sender(entry.from) : '',
        r.address,
        r.attempts ? `${r.status} (${r.attempts})` : r.status,
        r.status === 'pending' || r.status === 'deferred' ? relativeTime(r.nextAttemptAt, now) : '-',
        lastError(r),
      ]);
    });
  }
  print(...table(['ID', 'AGE', 'FROM', 'RECIPIENT', 'STATE', 'NEXT ATTEMPT', 'LAST ERROR'], rows), '', `${entries.length} message(s)`);
  return 0;
}

export async function queueShow(ctx: CommandContext): Promise<number> {
  const [id] = ctx.args as [string];
  const entry = (await runAdmin(await ctx.loadConfig(), 'queue.show', { id })) as unknown as QueueDetail;
  if (ctx.options.json) {
    printJson(entry);
    return 0;
  }
  const now = Date.now();
  const origin = entry.origin;
  print(
    `id:        ${entry.id}`,
    `from:      ${sender(entry.from)}`,
    `received:  ${entry.receivedAt} (${duration(now - Date.parse(entry.receivedAt))} ago)`,
    `size:      ${entry.size} bytes`,
  );
  if (origin) {
    const client = [origin.remoteHostname, origin.remoteAddress ? `[${origin.remoteAddress}]` : undefined].filter(Boolean).join(' ');
    const facts = [origin.helo ? `helo ${origin.helo}` : '', origin.tls ? 'tls' : 'no tls', origin.user ? `user ${origin.user}` : ''].filter(Boolean);
    print(`origin:    ${origin.listener ?? '?'} (${origin.role ?? '?'}) from ${client || '?'}, ${facts.join(', ')}`);
  }
  print('recipients:');
  print(
    ...table(
      ['ADDRESS', 'STATE', 'ATTEMPTS', 'NEXT ATTEMPT', 'LAST ERROR'],
      entry.recipients.map((r) => [r.address, r.status, String(r.attempts), r.status === 'pending' || r.status === 'deferred' ? relativeTime(r.nextAttemptAt, now) : '-', lastError(r)]),
    ).map((line) => `  ${line}`),
  );
  if (entry.header !== undefined) print('', entry.header.replace(/\r\n/g, '\n'));
  return 0;
}

export async function queueRetry(ctx: CommandContext): Promise<number> {
  const [id] = ctx.args;
  const result = (await runAdmin(await ctx.loadConfig(), 'queue.retry', id ? { id } : {})) as { retried?: number };
  if (ctx.options.json) printJson(result as JsonValue);
  else print(`${result.retried ?? 0} message(s) due now`);
  return 0;
}

export async function queueDelete(ctx: CommandContext): Promise<number> {
  const [id] = ctx.args as [string];
  const result = await runAdmin(await ctx.loadConfig(), 'queue.delete', { id });
  if (ctx.options.json) printJson(result);
  else print(`deleted ${id}`);
  return 0;
}
