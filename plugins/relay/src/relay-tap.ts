import type { AccountDirectory, EnvelopeRecipient } from '@posthorn/contracts';
import { accept, type NetworkList, reject, type Transaction, type Verdict } from '@posthorn/core';
import { isLocalDomain } from './local-domains.ts';
import { isAsciiLocalPart, recipientTarget } from './recipient.ts';
import { RelayReplies } from './replies.ts';

export type RcptTap = (tx: Transaction, recipient: EnvelopeRecipient) => Promise<Verdict | undefined>;

/**
 * The `rcpt` tap. It speaks only for sessions that may relay (an authenticated user, or a
 * client in a trusted network), and for them only about non-local domains; everybody else
 * gets no opinion, which the core turns into `550 5.7.1` unless a local-delivery plugin
 * takes the recipient.
 */
export function relayTap(accounts: AccountDirectory | undefined, networks: NetworkList): RcptTap {
  return async (tx, recipient) => {
    const session = tx.session;
    const reason = session.user ? 'authenticated' : networks.contains(session.remoteAddress) ? 'trusted network' : undefined;
    if (!reason) return undefined;
    const target = recipientTarget(recipient.address);
    const log = { rcpt: recipient.address, reason, user: session.user?.id };
    switch (target.kind) {
      case 'no-domain':
        return undefined;
      case 'invalid':
        tx.log.info({ ...log, problem: target.reason }, 'relay: recipient refused');
        return reject(RelayReplies.badSyntax);
      case 'literal':
        tx.log.info({ ...log, problem: 'address literal' }, 'relay: recipient refused');
        return reject(RelayReplies.denied);
      case 'domain':
        break;
    }
    // Ours: local delivery decides; the core refuses what nobody takes.
    if (await isLocalDomain(accounts, target)) return undefined;
    if (!isAsciiLocalPart(target.local) && !('SMTPUTF8' in tx.mailFrom.params)) {
      tx.log.info({ ...log, problem: 'non-ASCII local part without SMTPUTF8' }, 'relay: recipient refused');
      return reject(RelayReplies.needsSmtpUtf8);
    }
    tx.log.info({ ...log, domain: target.ascii }, 'relay: accepted');
    return accept();
  };
}
