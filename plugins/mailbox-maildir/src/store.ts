import { join } from 'node:path';
import type {
  AppendOptions,
  AppendResult,
  CopyResult,
  FlagUpdateMode,
  FlagUpdateResult,
  MailboxChange,
  MailboxInfo,
  MailboxSelector,
  MailboxStatus,
  MailStore,
  MessageMeta,
  SpecialUse,
} from '@posthorn/contracts';
import type { Logger } from '@posthorn/core';
import { AccountStore } from './account-store.ts';
import { ChangeHub } from './change-hub.ts';
import { MailStoreError, nonexistent } from './errors.ts';
import { MailboxLocks } from './locks.ts';
import { accountPath, mailboxNameOrThrow, normaliseMailboxName } from './names.ts';

export interface MaildirStoreOptions {
  /** Directory that holds `<domain>/<local part>/` for every account. */
  readonly root: string;
  readonly log: Logger;
  /** The account's quota in bytes, or undefined for none (from the account directory). */
  readonly quotaOf?: (user: string) => Promise<number | undefined>;
}

/**
 * The MailStore contract on Maildir++ with one SQLite index per account. Accounts are opened
 * (and reconciled) on first use and stay open until close().
 */
export class MaildirStore implements MailStore {
  readonly root: string;
  readonly #log: Logger;
  readonly #quotaOf: (user: string) => Promise<number | undefined>;
  readonly #accounts = new Map<string, Promise<AccountStore>>();
  readonly #hub: ChangeHub;
  readonly #locks = new MailboxLocks();

  constructor(options: MaildirStoreOptions) {
    this.root = options.root;
    this.#log = options.log;
    this.#quotaOf = options.quotaOf ?? (async () => undefined);
    this.#hub = new ChangeHub(options.log);
  }

  /** The open store of an account, opening (and reconciling) it on first use. */
  account(user: string): Promise<AccountStore> {
    const { key, domain, local } = accountPath(user);
    let opening = this.#accounts.get(key);
    if (!opening) {
      opening = AccountStore.open({
        user: key,
        dir: join(this.root, domain, local),
        log: this.#log.child({ user: key }),
        notify: (mailbox, change) => this.#hub.emit(ChangeHub.key(key, mailbox), change),
      });
      this.#accounts.set(key, opening);
      // A failed open (disk full, unreadable index) is retried by the next call.
      opening.catch(() => this.#accounts.delete(key));
    }
    return opening;
  }

  async close(): Promise<void> {
    const accounts = [...this.#accounts.values()];
    this.#accounts.clear();
    for (const opening of accounts) {
      const store = await opening.catch(() => undefined);
      await store?.close();
    }
  }

  async ensureAccount(user: string): Promise<void> {
    await (await this.account(user)).ensureDefaults();
  }

  async listMailboxes(user: string): Promise<MailboxInfo[]> {
    return (await this.account(user)).listMailboxes();
  }

  async createMailbox(user: string, name: string, options: { readonly specialUse?: SpecialUse } = {}): Promise<void> {
    await (await this.account(user)).createMailbox(mailboxNameOrThrow(name), options.specialUse);
  }

  async deleteMailbox(user: string, name: string): Promise<void> {
    await (await this.account(user)).deleteMailbox(existingName(user, name));
  }

  async renameMailbox(user: string, from: string, to: string): Promise<void> {
    await (await this.account(user)).renameMailbox(existingName(user, from), mailboxNameOrThrow(to));
  }

  async setSubscribed(user: string, name: string, subscribed: boolean): Promise<void> {
    (await this.account(user)).setSubscribed(existingName(user, name), subscribed);
  }

  async status(box: MailboxSelector): Promise<MailboxStatus> {
    return (await this.account(box.user)).status(existingName(box.user, box.mailbox));
  }

  async append(box: MailboxSelector, message: Buffer, options: AppendOptions = {}): Promise<AppendResult> {
    const account = await this.account(box.user);
    const name = existingName(box.user, box.mailbox);
    return account.append(name, message, options, (pending) => this.#checkQuota(box.user, account, message.length, pending));
  }

  async listMessages(box: MailboxSelector, options: { readonly uids?: readonly number[]; readonly changedSince?: number } = {}): Promise<MessageMeta[]> {
    return (await this.account(box.user)).listMessages(existingName(box.user, box.mailbox), options);
  }

  async readMessage(box: MailboxSelector, uid: number, range?: { readonly start: number; readonly end?: number }): Promise<Buffer> {
    return (await this.account(box.user)).readMessage(existingName(box.user, box.mailbox), uid, range);
  }

  async updateFlags(
    box: MailboxSelector,
    uids: readonly number[],
    mode: FlagUpdateMode,
    flags: readonly string[],
    options: { readonly unchangedSince?: number } = {},
  ): Promise<FlagUpdateResult> {
    return (await this.account(box.user)).updateFlags(existingName(box.user, box.mailbox), uids, mode, flags, options.unchangedSince);
  }

  async expunge(box: MailboxSelector, uids?: readonly number[]): Promise<number[]> {
    return (await this.account(box.user)).expunge(existingName(box.user, box.mailbox), uids);
  }

  async copy(from: MailboxSelector, uids: readonly number[], to: string): Promise<CopyResult> {
    const account = await this.account(from.user);
    const source = existingName(from.user, from.mailbox);
    const target = existingName(from.user, to);
    const bytes = account.listMessages(source, { uids }).reduce((sum, message) => sum + message.size, 0);
    await this.#checkQuota(from.user, account, bytes);
    return account.copy(source, uids, target);
  }

  async move(from: MailboxSelector, uids: readonly number[], to: string): Promise<CopyResult> {
    return (await this.account(from.user)).move(existingName(from.user, from.mailbox), uids, existingName(from.user, to));
  }

  async expungedSince(box: MailboxSelector, sinceModseq: number): Promise<number[]> {
    return (await this.account(box.user)).expungedSince(existingName(box.user, box.mailbox), sinceModseq);
  }

  async usage(user: string): Promise<{ readonly bytes: number; readonly messages: number }> {
    return (await this.account(user)).usage();
  }

  watch(box: MailboxSelector, listener: (change: MailboxChange) => void): () => void {
    return this.#hub.subscribe(this.#key(box), listener);
  }

  async lock(box: MailboxSelector, owner: string): Promise<() => void> {
    return this.#locks.acquire(this.#key(box), owner);
  }

  #key(box: MailboxSelector): string {
    const checked = normaliseMailboxName(box.mailbox);
    return ChangeHub.key(accountPath(box.user).key, checked.ok ? checked.name : box.mailbox);
  }

  /**
   * Checked before the write. `pending`: bytes of appends admitted earlier and not yet
   * committed. A copy does not see those, nor appends see a copy in progress, so the quota is
   * soft: a copy racing with a delivery may overshoot it by what they add.
   */
  async #checkQuota(user: string, account: AccountStore, bytes: number, pending = 0): Promise<void> {
    const quota = await this.#quotaOf(user);
    if (quota === undefined) return;
    const used = account.usage().bytes + pending;
    if (used + bytes > quota) {
      throw new MailStoreError('OVERQUOTA', `${user} is over quota`, { quota, used, size: bytes });
    }
  }
}

/** A mailbox name to look up; an invalid name simply names no mailbox. */
function existingName(user: string, name: string): string {
  const checked = normaliseMailboxName(name);
  if (!checked.ok) throw nonexistent(user, String(name));
  return checked.name;
}
