/**
 * dsn: delivery status notifications (RFC 3464 multipart/report, RFC 6522). Taps `bounce`
 * (failures), `delayed` (delay warnings) and `delivered` (NOTIFY=SUCCESS), and queues each
 * notice from the null sender to the original sender through `ctx.lifecycle.enqueue`.
 */
import { join } from 'node:path';
import { Accounts, type Envelope, type EnvelopeRecipient } from '@posthorn/contracts';
import { type BounceEvent, type DelayedEvent, type DeliveredEvent, definePlugin, type Logger, type PluginContext } from '@posthorn/core';
import { composeNotice } from './compose.ts';
import { DelayRecords } from './delay-records.ts';
import type { RecipientReport } from './delivery-status.ts';
import type { NoticeType } from './explanation.ts';
import { type NoticeSuffix, noticeId } from './ids.ts';
import { wantsFullReturn, wantsNotice } from './notify.ts';
import { type DsnOptions, optionsSchema } from './options.ts';
import { failureStatus, remoteMta } from './status.ts';

export type { DsnOptions } from './options.ts';

export default definePlugin<DsnOptions>({
  name: 'dsn',
  version: '0.1.0',
  core: '^0.1.0',
  description: 'Delivery status notifications (RFC 3464): bounces, delay warnings and success notices to the envelope sender',
  options: optionsSchema,
  uses: [Accounts],
  setup(ctx, options) {
    const records = new DelayRecords(join(ctx.dataDir, 'dsn', 'delay-warnings'), ctx.log);
    const send = sender(ctx, options);

    ctx.on('bounce', async (event) => {
      const { envelope } = event;
      // queue-fs never bounces a message from <>; a notice about a notice would start a loop.
      if (envelope.mailFrom === '') return;
      const reports: RecipientReport[] = event.failures
        .filter((failure) => wantsNotice(failure.recipient, 'FAILURE'))
        .map((failure) => ({
          recipient: failure.recipient,
          action: 'failed' as const,
          status: failureStatus(failure.reply, failure.reason),
          reply: failure.reply,
          expired: failure.reason === 'expired',
          ...optional('remoteMta', remoteMta(failure.by)),
        }));
      if (reports.length) {
        // Throws when the queue refuses: queue-fs keeps the message and runs the bounce again.
        await send(event, 'failure', 'dsn-failure', reports);
      } else {
        event.log.info({ rcpts: event.failures.map((f) => f.recipient.address) }, 'no failure notice: NOTIFY excludes FAILURE');
      }
      await forgetWarnings(records, envelope, indexesOf(event), event.log);
    });

    ctx.on('delayed', async (event) => {
      const { envelope, recipient, recipientIndex } = event;
      if (envelope.mailFrom === '' || !options.delayWarning.enabled || !wantsNotice(recipient, 'DELAY')) return;
      const arrival = Date.parse(envelope.receivedAt);
      if (Number.isNaN(arrival) || Date.now() - arrival < options.delayWarning.after * 1000) return;
      if (await records.has(envelope.id, recipientIndex)) return;
      const report: RecipientReport = {
        recipient,
        action: 'delayed',
        // A deferral's reply is a 4xx, so its code is a 4.x.x; anything else would contradict `delayed`.
        status: event.reply.enhanced.startsWith('4.') ? event.reply.enhanced : '4.0.0',
        reply: event.reply,
        lastAttemptDate: new Date(),
        ...optional('remoteMta', remoteMta(event.by)),
        ...optional('willRetryUntil', options.queueMaxAge === undefined ? undefined : new Date(arrival + options.queueMaxAge * 1000)),
      };
      await send(event, 'delay', `dsn-delay-${recipientIndex}`, [report]);
      await records.add(envelope.id, recipientIndex);
    });

    ctx.on('delivered', async (event) => {
      const { envelope, recipient, recipientIndex } = event;
      await forgetWarnings(records, envelope, [recipientIndex], event.log);
      if (envelope.mailFrom === '' || !wantsNotice(recipient, 'SUCCESS')) return;
      const local = await isLocal(ctx, recipient);
      const report: RecipientReport = {
        recipient,
        // RFC 3464 2.3.3: `delivered` when the message reached the mailbox; `relayed` when it
        // went to an MTA that will not send a DSN itself (we cannot tell that it will).
        action: local ? 'delivered' : 'relayed',
        status: event.reply.isPositive ? event.reply.enhanced : '2.0.0',
        ...(local ? {} : { reply: event.reply }),
        ...optional('remoteMta', local ? undefined : remoteMta(event.by)),
      };
      await send(event, 'success', `dsn-success-${recipientIndex}`, [report]);
    });
  },
});

type NoticeEvent = BounceEvent | DelayedEvent | DeliveredEvent;

/** Composes a notice and queues it; throws unless the queue accepted it. */
function sender(ctx: PluginContext, options: DsnOptions) {
  const from = { name: options.fromName, address: options.fromAddress ?? `MAILER-DAEMON@${ctx.hostname}` };
  return async (event: NoticeEvent, type: NoticeType, suffix: NoticeSuffix, reports: RecipientReport[]): Promise<void> => {
    const { envelope, message } = composeNotice({
      type,
      id: noticeId(event.envelope.id, suffix),
      original: event.envelope,
      message: await event.read(),
      reports,
      hostname: ctx.hostname,
      from,
      // RET governs failure notices only (RFC 3461 4.3); the others carry the header.
      returnFull: type === 'failure' && wantsFullReturn(event.envelope.mailFromParams),
      maxReturnSize: options.maxReturnSize,
      now: new Date(),
    });
    const outcome = await ctx.lifecycle.enqueue({ envelope, message, log: event.log });
    if (outcome.verdict.action !== 'accept') {
      const { code, enhanced } = outcome.verdict.reply;
      throw new Error(`the queue refused the ${type} notice ${envelope.id} (${code} ${enhanced}, by ${outcome.by})`);
    }
    event.log.info({ notice: envelope.id, type, to: envelope.recipients[0]!.address, rcpts: reports.map((r) => r.recipient.address) }, 'delivery status notification queued');
  };
}

/** Whether the recipient is one of our own accounts' (local delivery), as the directory says. */
async function isLocal(ctx: PluginContext, recipient: EnvelopeRecipient): Promise<boolean> {
  const accounts = ctx.optionalService(Accounts);
  if (!accounts) return false;
  return (await accounts.resolveRecipient(recipient.address)).kind === 'local';
}

/** Positions of the failed recipients in the envelope (the delay records are kept by position). */
function indexesOf(event: BounceEvent): number[] {
  const recipients = event.envelope.recipients;
  return event.failures.map((failure) => {
    const same = recipients.indexOf(failure.recipient);
    return same !== -1 ? same : recipients.findIndex((r) => r.address === failure.recipient.address);
  }).filter((index) => index !== -1);
}

/** Final recipients need no delay record any more; failing to delete one must not fail the hook. */
async function forgetWarnings(records: DelayRecords, envelope: Envelope, indexes: readonly number[], log: Logger): Promise<void> {
  try {
    await records.remove(envelope.id, indexes);
  } catch (err) {
    log.warn({ err }, 'cannot remove a delay warning record');
  }
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
