import { domainToASCII } from 'node:url';
import type { SharedStateStore } from '@posthorn/contracts';
import { type HookFn, isOutgoing, type Logger, type NetworkList, reject, type Session, type SmtpReply } from '@posthorn/core';
import { countEvent } from './counter.ts';
import type { Limit, RateLimitOptions } from './options.ts';
import { RateLimitReplies } from './replies.ts';

export interface RateLimitTaps {
  readonly connect: HookFn<'connect'>;
  readonly mailFrom: HookFn<'mailFrom'>;
  readonly rcpt: HookFn<'rcpt'>;
}

interface Check {
  /** Counter family, part of the key and of the log line. */
  readonly kind: string;
  readonly subject: string;
  readonly limit: Limit;
  readonly refusal: SmtpReply;
}

/** The domain of an address, lower case and in A-label form. */
export function senderDomain(address: string): string {
  const domain = address.slice(address.lastIndexOf('@') + 1).toLowerCase().replace(/\.$/, '');
  return (/^[\x00-\x7f]*$/.test(domain) ? domain : domainToASCII(domain)) || domain;
}

/**
 * The taps. Each event is counted when it happens, before other plugins decide on it: a
 * message refused later (an unknown recipient, a greylisted triplet) still counted, which is
 * what a limit on attempts wants. Counting stops at the first limit that is reached, so one
 * refusal never uses up another counter.
 */
export function rateLimitTaps(store: SharedStateStore, options: RateLimitOptions, exempt: NetworkList, networkOf: (ip: string) => string): RateLimitTaps {
  const clientLimited = (session: Session) => options.clientListeners.includes(session.listener.role) && !exempt.contains(session.remoteAddress);

  /** Counts each check in order; the reply of the first one over its limit, if any. */
  async function run(checks: readonly Check[], log: Logger): Promise<ReturnType<typeof reject> | undefined> {
    for (const check of checks) {
      let count;
      try {
        count = await countEvent(store, check.kind, check.subject, check.limit);
      } catch (err) {
        // A protective check must not take mail down with its store: let it through, loudly.
        log.error({ err: (err as Error).message, limit: check.kind }, 'rate-limit: shared state failed, not limiting');
        return undefined;
      }
      if (count.over) {
        log.info({ limit: check.kind, subject: check.subject, count: count.count, max: check.limit.limit, window: check.limit.window }, 'rate-limit: limit reached');
        return reject(check.refusal);
      }
    }
    return undefined;
  }

  return {
    connect: async (session) => {
      if (!options.connectionsPerClient || !clientLimited(session)) return undefined;
      const network = networkOf(session.remoteAddress);
      return run([{ kind: 'connections', subject: network, limit: options.connectionsPerClient, refusal: RateLimitReplies.connections }], session.log);
    },

    mailFrom: async (tx) => {
      const session = tx.session;
      const checks: Check[] = [];
      if (session.user) {
        if (options.messagesPerUser) checks.push({ kind: 'user-messages', subject: session.user.id.toLowerCase(), limit: options.messagesPerUser, refusal: RateLimitReplies.userMessages });
      } else if (options.messagesPerClient && clientLimited(session)) {
        checks.push({ kind: 'messages', subject: networkOf(session.remoteAddress), limit: options.messagesPerClient, refusal: RateLimitReplies.clientMessages });
      }
      const domainLimit = options.messagesPerSenderDomain;
      if (domainLimit && tx.mailFrom.address && !exempt.contains(session.remoteAddress)) {
        const outgoing = isOutgoing(session, 'both');
        if (domainLimit.sessions === 'all' || (domainLimit.sessions === 'outgoing') === outgoing) {
          checks.push({ kind: 'sender-domain', subject: senderDomain(tx.mailFrom.address), limit: domainLimit, refusal: RateLimitReplies.senderDomainMessages });
        }
      }
      return checks.length ? run(checks, tx.log) : undefined;
    },

    rcpt: async (tx) => {
      const user = tx.session.user;
      if (!user || !options.recipientsPerUser) return undefined;
      return run([{ kind: 'user-recipients', subject: user.id.toLowerCase(), limit: options.recipientsPerUser, refusal: RateLimitReplies.userRecipients }], tx.log);
    },
  };
}
