import { type HookFn, type Logger, type Reject, reject, type RuleSet, type Session, type Transaction } from '@posthorn/core';
import { firstMatch } from './evaluate.ts';
import type { AccessEntry, AccessList } from './rules.ts';
import { CONNECT, HELO, MAIL_FROM, RCPT, STAGES, type StageIndex } from './stages.ts';

export interface AccessTaps {
  readonly connect: HookFn<'connect'>;
  readonly helo: HookFn<'helo'>;
  readonly mailFrom: HookFn<'mailFrom'>;
  readonly rcpt: HookFn<'rcpt'>;
}

/** A snapshot of the list and the entry that decided the earlier stage, if one did. */
interface Judged {
  readonly list: AccessList;
  readonly match: AccessEntry | undefined;
}

/**
 * The taps. The first entry in file order that matches decides, each entry being checked as
 * soon as what it names is known. A session's connect and greeting are judged by the version
 * of the file in force when it connected; each transaction by the version in force at its
 * MAIL FROM, which then holds until the transaction ends, whatever reloads meanwhile. At MAIL
 * FROM every entry up to that stage is checked again, so a client or HELO entry added to the
 * file applies from the next transaction of a session that is already open.
 */
export function accessTaps(rules: RuleSet<AccessList>): AccessTaps {
  const sessions = new WeakMap<Session, Judged>();
  const transactions = new WeakMap<Transaction, Judged>();

  function act(entry: AccessEntry | undefined, stage: StageIndex, log: Logger): Reject | undefined {
    if (!entry) return undefined;
    const where = { rule: entry.pointer, ...(entry.name ? { name: entry.name } : {}), action: entry.action, stage: STAGES[stage] };
    if (entry.action === 'allow') {
      // Logged where the entry first decides, not again for every later command it covers.
      if (entry.stage === stage) log.info(where, 'access: allowed');
      return undefined;
    }
    const refusal = entry.replyAt(stage);
    log.info({ ...where, code: refusal.code, enhanced: refusal.enhanced }, `access: ${entry.action === 'reject' ? 'rejected' : 'temporarily refused'}`);
    return reject(refusal);
  }

  function judgeConnect(session: Session): Judged {
    const list = rules.current;
    const judged = { list, match: firstMatch(list, { client: session.remoteAddress }, CONNECT, CONNECT) };
    sessions.set(session, judged);
    return judged;
  }

  return {
    connect: async (session) => {
      const judged = judgeConnect(session);
      return act(judged.match, CONNECT, session.log);
    },

    helo: async (session, helo) => {
      const judged = sessions.get(session) ?? judgeConnect(session);
      const facts = { client: session.remoteAddress, helo: helo.name };
      return act(firstMatch(judged.list, facts, HELO, HELO, judged.match?.index) ?? judged.match, HELO, session.log);
    },

    mailFrom: async (tx) => {
      const session = tx.session;
      const list = rules.current;
      const facts = { client: session.remoteAddress, helo: session.helo, sender: tx.mailFrom.address };
      const judged = { list, match: firstMatch(list, facts, CONNECT, MAIL_FROM) };
      transactions.set(tx, judged);
      return act(judged.match, MAIL_FROM, tx.log);
    },

    rcpt: async (tx, recipient) => {
      const session = tx.session;
      const judged = transactions.get(tx);
      const list = judged?.list ?? rules.current;
      const facts = { client: session.remoteAddress, helo: session.helo, sender: tx.mailFrom.address, recipient: recipient.address };
      // Without the MAIL FROM judgement (a transaction this plugin did not see start), every stage is checked.
      const match = judged ? (firstMatch(list, facts, RCPT, RCPT, judged.match?.index) ?? judged.match) : firstMatch(list, facts, CONNECT, RCPT);
      return act(match, RCPT, tx.log);
    },
  };
}
