import type { AccountDirectory } from '@posthorn/contracts';
import { type AuthenticatedUser, type MessageContent, reject, type Transaction, type Verdict } from '@posthorn/core';
import { parseAddressList } from './address-list.ts';
import type { SenderPolicyOptions } from './options.ts';
import { addressKey, envelopeKey, type Ownership, ownership } from './ownership.ts';
import { SenderReplies } from './replies.ts';

type Tap<Args extends unknown[]> = (...args: Args) => Promise<Verdict | undefined>;

/** What a user may send as: their account's addresses, plus what the operator allows them. */
export function ownershipLookup(accounts: AccountDirectory, options: Pick<SenderPolicyOptions, 'allow' | 'plusSeparator'>) {
  // Allow-list keys are user ids, compared the way addresses are.
  const allow = new Map<string, readonly string[]>();
  const idKey = (id: string) => JSON.stringify(envelopeKey(id) ?? id.toLowerCase());
  for (const [id, entries] of Object.entries(options.allow)) allow.set(idKey(id), [...(allow.get(idKey(id)) ?? []), ...entries]);
  return async (user: AuthenticatedUser): Promise<Ownership> => {
    // An account removed since the login owns nothing any more (only what the operator allows).
    const account = await accounts.getAccount(user.id);
    return ownership(account?.addresses ?? [], allow.get(idKey(user.id)) ?? [], options.plusSeparator);
  };
}

/** `mailFrom`: the envelope sender of an authenticated session must be the user's. */
export function envelopeTap(lookup: (user: AuthenticatedUser) => Promise<Ownership>, options: SenderPolicyOptions): Tap<[Transaction]> {
  return async (tx) => {
    const user = tx.session.user;
    if (!user) return undefined;
    const sender = tx.mailFrom.address;
    if (sender === '') {
      if (options.allowNullSender) return undefined;
      tx.log.info({ user: user.id }, 'sender-policy: null sender refused');
      return reject(SenderReplies.nullSender);
    }
    if (!options.envelope) return undefined;
    const key = envelopeKey(sender);
    if (key && (await lookup(user)).owns(key)) return undefined;
    tx.log.info({ user: user.id, from: sender }, 'sender-policy: envelope sender refused');
    return reject(SenderReplies.envelope);
  };
}

/**
 * `data` (stage 50, after the header fixers): every mailbox in From: and Sender: must be the
 * user's, except that with `allowOnBehalf` an own Sender: lets From: name someone else.
 * A From: or Sender: that cannot be parsed, or a From: without any mailbox, is refused: what
 * cannot be read cannot be checked.
 */
export function headerTap(lookup: (user: AuthenticatedUser) => Promise<Ownership>, options: SenderPolicyOptions): Tap<[Transaction, MessageContent]> {
  return async (tx, message) => {
    const user = tx.session.user;
    if (!user || !options.header) return undefined;
    const owned = await lookup(user);
    const sender = checkField(message, 'Sender', owned);
    const from = checkField(message, 'From', owned);
    // On behalf of someone else: only a readable From: and only with the user's own Sender:.
    const onBehalf = options.allowOnBehalf && sender.state === 'owned';
    let problem: string | undefined;
    if (sender.state === 'foreign' || sender.state === 'unreadable') problem = sender.problem;
    else if (from.state === 'unreadable' || (from.state === 'foreign' && !onBehalf)) problem = from.problem;
    if (!problem) return undefined;
    tx.log.info({ user: user.id, problem: problem.slice(0, 300) }, 'sender-policy: header refused');
    return reject(SenderReplies.header);
  };
}

type FieldCheck = { readonly state: 'absent' | 'owned' } | { readonly state: 'foreign' | 'unreadable'; readonly problem: string };

/** Whether every mailbox of every field of that name is owned; unreadable trumps foreign. */
function checkField(message: MessageContent, name: string, owned: Ownership): FieldCheck {
  const values = message.headers.getAll(name);
  if (!values.length) return { state: 'absent' };
  let foreign: string | undefined;
  for (const value of values) {
    const parsed = parseAddressList(value);
    if (!parsed.ok) return { state: 'unreadable', problem: `${name}: ${parsed.error}` };
    if (!parsed.mailboxes.length) return { state: 'unreadable', problem: `${name}: no mailbox` };
    const stranger = parsed.mailboxes.find((mailbox) => !owned.owns(addressKey(mailbox.local, mailbox.domain)));
    if (stranger) foreign ??= `${name}: ${stranger.local}@${stranger.domain} not owned`;
  }
  return foreign ? { state: 'foreign', problem: foreign } : { state: 'owned' };
}
