import { type AccountGroup, DOMAIN, message } from '../lib/mail-data.ts';

/** The accounts of an IMAP run; every one uses the cheap hash, so logins measure the servers. */
export interface ImapDataset {
  /** One account per concurrent session, 20 small messages each: the login rate. */
  readonly login: AccountGroup;
  /** One account whose INBOX all sessions of the mix share. */
  readonly shared: AccountGroup;
  /** One account with a large INBOX: FETCH FLAGS and SEARCH timed per command. */
  readonly big: AccountGroup;
  /** How many of the big INBOX's first messages the bench marks \Seen before timing. */
  readonly bigSeen: number;
  /** The message a session of the mix appends and then expunges again. */
  own(session: number): Buffer;
}

export function imapDataset(options: { sessions: number; quick: boolean }): ImapDataset {
  const set = (bytes: number, count: number) => Array.from({ length: count }, (_, i) => message(bytes, i + 1));
  const small = set(2048, options.quick ? 100 : 200);
  const bigCount = 10_000;
  return {
    login: { name: 'login', users: Array.from({ length: options.sessions }, (_, i) => `login${i + 1}@${DOMAIN}`), hash: 'cheap', messages: small.slice(0, 20), bytes: 2048 },
    shared: { name: 'shared', users: [`shared@${DOMAIN}`], hash: 'cheap', messages: small, bytes: 2048 },
    big: { name: 'big', users: [`big@${DOMAIN}`], hash: 'cheap', messages: set(2048, bigCount), bytes: 2048 },
    bigSeen: Math.round(bigCount * 0.75),
    own: (session) => message(2048, 1_000_000 + session),
  };
}
