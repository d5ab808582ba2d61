import type { EnvelopeRecipient } from '@posthorn/contracts';
import { type HookFn, isOutgoing, normaliseAddress, reject, type Transaction } from '@posthorn/core';
import type { AllowList } from './allow-list.ts';
import type { Greylister } from './greylister.ts';
import { GreylistReplies } from './replies.ts';

export interface GreylistTaps {
  readonly mailFrom: HookFn<'mailFrom'>;
  readonly rcpt: HookFn<'rcpt'>;
  readonly data: HookFn<'data'>;
}

/**
 * RFC 5321 4.5.1: every domain's postmaster must be reachable. Mail about delivery problems is
 * sent there, often from servers that are themselves in trouble; delaying it helps nobody.
 */
export function isPostmaster(address: string): boolean {
  const at = address.lastIndexOf('@');
  return (at === -1 ? address : address.slice(0, at)).toLowerCase() === 'postmaster';
}

/**
 * The hook taps. Greylisting applies to mail arriving from other servers only: never to
 * authenticated sessions or submission listeners, whose clients are our own users' programs.
 *
 * Triplets with a sender are judged at RCPT, one recipient at a time. The null sender is judged
 * after DATA instead: a sender-verification probe (`MAIL FROM:<>`, `RCPT TO`, `QUIT`) then gets
 * its 250 and does not fail the probing server's own mail, while a real bounce, which does
 * send DATA, is still greylisted, once for all its recipients.
 */
export function greylistTaps(greylister: Greylister, allowLists: () => readonly AllowList[], networkOf: (ip: string) => string): GreylistTaps {
  // A transaction keeps the allow lists that were in force at its MAIL FROM.
  const snapshots = new WeakMap<Transaction, readonly AllowList[]>();
  const refreshed = new WeakSet<Transaction>();

  async function judge(tx: Transaction, recipients: readonly string[]): Promise<ReturnType<typeof reject> | undefined> {
    const lists = snapshots.get(tx) ?? allowLists();
    const ip = tx.session.remoteAddress;
    const sender = tx.mailFrom.address;
    if (lists.some((list) => list.networks.contains(ip))) return undefined;
    if (sender && lists.some((list) => list.senders.matches(sender))) return undefined;
    const candidates = recipients.filter((recipient) => !isPostmaster(recipient) && !lists.some((list) => list.recipients.matches(recipient)));
    if (candidates.length === 0) return undefined;
    const network = networkOf(ip);
    try {
      if (await greylister.isAutoAllowed(network)) {
        if (!refreshed.has(tx)) {
          refreshed.add(tx);
          await greylister.refreshAutoAllow(network);
        }
        return undefined;
      }
      let deferred = false;
      for (const recipient of candidates) {
        const triplet = { network, sender: normaliseAddress(sender), recipient: normaliseAddress(recipient) };
        const outcome = await greylister.check(triplet);
        if (outcome.verdict === 'defer') {
          deferred = true;
          tx.log.info({ ...triplet, why: outcome.why, waitMs: outcome.waitMs }, 'greylist: deferred');
        } else if (outcome.why === 'retried') {
          tx.log.info({ ...triplet, waitedMs: outcome.waitedMs }, 'greylist: passed after retry');
          if (outcome.autoAllowed) tx.log.info({ network }, 'greylist: client network auto-allowed');
        }
      }
      return deferred ? reject(GreylistReplies.greylisted) : undefined;
    } catch (err) {
      // A protective check must not take mail down with its store: pass, and say so loudly.
      tx.log.error({ err: (err as Error).message, network }, 'greylist: shared state failed, not greylisting');
      return undefined;
    }
  }

  return {
    mailFrom: async (tx) => {
      snapshots.set(tx, allowLists());
      return undefined;
    },
    rcpt: async (tx: Transaction, recipient: EnvelopeRecipient) => {
      if (isOutgoing(tx.session, 'both') || tx.mailFrom.address === '') return undefined;
      return judge(tx, [recipient.address]);
    },
    data: async (tx) => {
      if (isOutgoing(tx.session, 'both') || tx.mailFrom.address !== '') return undefined;
      return judge(
        tx,
        tx.recipients.map((r) => r.address),
      );
    },
  };
}
