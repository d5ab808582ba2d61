import { type AccountDirectory, type DeliveryTarget, type MailStore, Notes } from '@posthorn/contracts';
import { accept, type Delivery, type PluginContext, reject, tempfail, type Verdict } from '@posthorn/core';

/**
 * Local delivery: recipients of local accounts are accepted at RCPT and, at delivery, appended
 * to the INBOX of every account they resolve to, or to the mailbox with the special use a
 * plugin asked for in the message's notes (`Notes.deliveryTarget`: spam into Junk).
 */
export function tapLocalDelivery(ctx: PluginContext, accounts: AccountDirectory, store: MailStore): void {
  ctx.on(
    'rcpt',
    async (_tx, recipient) => {
      const resolved = await accounts.resolveRecipient(recipient.address);
      if (resolved.kind === 'local') return accept();
      if (resolved.kind === 'unknown') return reject(550, '5.1.1', 'No such user here');
      // Not one of our domains: relay policy decides (the core refuses if nobody accepts).
      return undefined;
    },
    { stage: 0 },
  );

  ctx.on('deliver', async (delivery) => {
    const resolved = await accounts.resolveRecipient(delivery.recipient.address);
    // The directory changed since RCPT: no longer ours, someone else may route it.
    if (resolved.kind !== 'local') return undefined;
    return deliverLocally(delivery, resolved.accounts, store);
  });
}

async function deliverLocally(delivery: Delivery, targets: readonly string[], store: MailStore): Promise<Verdict> {
  const { envelope, recipientIndex, log } = delivery;
  let message: Buffer;
  try {
    message = await delivery.read();
  } catch (err) {
    log.error({ err: (err as Error).message }, 'cannot read the queued message for local delivery');
    return tempfail('4.3.0', 'Temporary local problem, will retry');
  }
  const overQuota: { account: string; permanent: boolean }[] = [];
  for (const account of targets) {
    try {
      await store.ensureAccount(account);
      // Same key on every attempt: a retry (after a crash, or for a list alias where one member
      // was full) finds the copies already stored instead of storing them again.
      const mailbox = await targetMailbox(store, account, envelope.notes[Notes.deliveryTarget] as DeliveryTarget | undefined);
      const result = await store.append({ user: account, mailbox }, message, { dedupeKey: `${envelope.id}/${recipientIndex}/${account}` });
      log.info({ account, mailbox, uid: result.uid, id: result.id, duplicate: result.duplicate }, result.duplicate ? 'already delivered to the mailbox' : 'delivered to the mailbox');
    } catch (err) {
      const failure = err as { code?: unknown; details?: Record<string, unknown> };
      if (failure.code === 'OVERQUOTA') {
        const quota = Number(failure.details?.quota ?? Infinity);
        // A message bigger than the whole quota will never fit; anything else may, once the user cleans up.
        overQuota.push({ account, permanent: message.length > quota });
        log.warn({ account, quota, used: failure.details?.used, size: message.length }, 'mailbox over quota');
        continue;
      }
      log.error({ account, err: (err as Error).message, code: failure.code }, 'local delivery failed; will retry');
      return tempfail('4.3.0', 'Temporary local problem, will retry');
    }
  }
  if (!overQuota.length) return accept();
  if (overQuota.every((entry) => entry.permanent)) return reject(552, '5.2.2', 'Mailbox full');
  return reject(452, '4.2.2', 'Mailbox full, try again later');
}

/** The mailbox of the requested special use; INBOX when there is no request or no such mailbox. */
async function targetMailbox(store: MailStore, account: string, target: DeliveryTarget | undefined): Promise<string> {
  if (!target?.specialUse) return 'INBOX';
  const found = (await store.listMailboxes(account)).find((box) => box.specialUse === target.specialUse);
  return found?.name ?? 'INBOX';
}
