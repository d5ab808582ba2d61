import { serviceToken } from './service.ts';

/** A mail account: one login, one set of mailboxes. */
export interface Account {
  /** Canonical address, lower-case domain; also the login name and the mailbox owner key. */
  readonly id: string;
  readonly displayName?: string;
  /** Every address that is this account's own: its id and the aliases that point only to it. */
  readonly addresses: readonly string[];
  /** Mailbox quota in bytes; absent means unlimited. */
  readonly quotaBytes?: number;
}

/** Where an envelope recipient goes, as far as the directory knows. */
export type RecipientResolution =
  /** The domain is local and the address maps to these accounts (one, or several for a list alias). */
  | { readonly kind: 'local'; readonly accounts: readonly string[] }
  /** The domain is local but nobody by that name lives there. */
  | { readonly kind: 'unknown' }
  /** Not one of our domains: somebody else's business (relay policy, outbound). */
  | { readonly kind: 'remote' };

/**
 * Who lives here: local domains, accounts, aliases, credentials. Used by SMTP AUTH, local
 * delivery, POP3 and IMAP. Reads are async so that a shared implementation (PostgreSQL, LDAP)
 * can serve the same contract.
 */
export interface AccountDirectory {
  isLocalDomain(domain: string): Promise<boolean>;
  /**
   * Resolves an envelope address: plus-addressing (`user+tag@`), aliases and catch-all are
   * applied here so every consumer sees the same answer.
   */
  resolveRecipient(address: string): Promise<RecipientResolution>;
  /**
   * Checks a password. Returns the account, or null for a wrong password and for an unknown
   * user alike, taking comparable time in both cases so the answer reveals nothing.
   */
  authenticate(login: string, password: string): Promise<Account | null>;
  getAccount(id: string): Promise<Account | null>;
  /** Whether the directory can hand out a shared secret for challenge mechanisms (APOP, CRAM-MD5). */
  readonly supportsSharedSecrets: boolean;

  /** The local domains, lower case. */
  listDomains(): Promise<string[]>;

  /** Administration: used by `posthorn user ...`. */
  listAccounts(): Promise<Account[]>;
  addAccount(address: string, password: string, options?: { displayName?: string }): Promise<Account>;
  removeAccount(address: string): Promise<boolean>;
  setPassword(address: string, password: string): Promise<boolean>;
  /** Called with the account ids whose data changed (reload, admin edit). */
  onChange(listener: (event: { readonly reason: string }) => void): () => void;
}

export const Accounts = serviceToken<AccountDirectory>('posthorn.accounts', 'Account directory: domains, users, aliases, credentials');
