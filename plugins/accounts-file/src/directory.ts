import { readFile } from 'node:fs/promises';
import type { Account, AccountDirectory, RecipientResolution } from '@posthorn/contracts';
import { describeFileProblem, type Logger, watchFile } from '@posthorn/core';
import { canonicalAddress, parseAddress } from './addresses.ts';
import { withPassword, withUserAdded, withUserRemoved } from './edits.ts';
import { AccountsError } from './errors.ts';
import { createIfMissing, readOrInitial, writeFileAtomic } from './file-io.ts';
import { INITIAL_FILE } from './file-format.ts';
import { type LoadSettings, loadAccounts } from './load.ts';
import { dummyHash, hashPassword, verifyPassword } from './passwords.ts';
import type { Snapshot } from './snapshot.ts';


export interface DirectoryOptions extends LoadSettings {
  /** Absolute path of the accounts file. */
  readonly file: string;
  readonly log: Logger;
  /** Create a missing file at once (a server); otherwise only the first edit creates it. */
  readonly createMissing?: boolean;
  /** Quiet time after the last change event before the file is read again. */
  readonly debounceMs?: number;
}

type ChangeListener = (event: { readonly reason: string }) => void;


/**
 * The account directory backed by one YAML file. All data lives in one immutable Snapshot;
 * a reload or an admin edit builds a new one and swaps the reference, so every call works on a
 * consistent version (it takes the reference once, before any await).
 */
export class FileAccountDirectory implements AccountDirectory {
  readonly supportsSharedSecrets = false;
  readonly file: string;
  readonly #settings: LoadSettings;
  readonly #log: Logger;
  readonly #debounceMs: number;
  #snapshot: Snapshot;
  /** The text last read or written, so our own writes and repeated events do not reload. */
  #lastText: string;
  readonly #listeners = new Set<ChangeListener>();
  /** Reloads and edits run one at a time, in order. */
  #serial: Promise<unknown> = Promise.resolve();
  #unwatch: (() => void) | undefined;

  private constructor(options: DirectoryOptions, snapshot: Snapshot, text: string) {
    this.file = options.file;
    this.#settings = { extraDomains: options.extraDomains, plusSeparator: options.plusSeparator };
    this.#log = options.log;
    this.#debounceMs = options.debounceMs ?? 50;
    this.#snapshot = snapshot;
    this.#lastText = text;
  }

  /** Reads (creating it if missing) and validates the file; throws naming the file and line when it is invalid. */
  static async open(options: DirectoryOptions): Promise<FileAccountDirectory> {
    // A CLI command (check-config, user list) must not write: there the first edit creates the file.
    if (options.createMissing && (await createIfMissing(options.file, INITIAL_FILE))) options.log.info({ file: options.file }, 'created an empty accounts file');
    const text = await readOrInitial(options.file, INITIAL_FILE);
    const result = loadAccounts(text, options);
    if (!result.ok) {
      throw new AccountsError('INVALID_FILE', `invalid accounts file ${result.problems.map((p) => describeFileProblem(options.file, p)).join('; ')}`);
    }
    const directory = new FileAccountDirectory(options, result.snapshot, text);
    directory.#logWarnings(result.snapshot);
    // Computed now so the first unknown login does not pay for it (and stand out by its timing).
    void dummyHash();
    return directory;
  }

  /** Starts reloading on change. */
  watch(): void {
    if (this.#unwatch) return;
    this.#unwatch = watchFile(this.file, () => void this.reload(), {
      debounceMs: this.#debounceMs,
      onError: (err) => this.#log.error({ file: this.file, err: err.message }, 'cannot watch the accounts file; changes need a restart'),
    });
  }

  close(): void {
    this.#unwatch?.();
    this.#unwatch = undefined;
  }

  /**
   * Reads the file again; a valid version replaces the current one, an invalid one is logged
   * and refused. Resolves to whether the file's current text is what is in force.
   */
  reload(): Promise<boolean> {
    return this.#exclusive(async () => {
      let text: string;
      try {
        text = await readFile(this.file, 'utf8');
      } catch (err) {
        this.#log.error({ file: this.file, err: (err as Error).message }, `cannot read accounts file ${this.file}; keeping the loaded version`);
        return false;
      }
      // Unchanged: what the file says is what is in force, which is what a reload reports.
      if (text === this.#lastText) return true;
      if (text.trim() === '') {
        // Most likely an editor that truncated the file and has not written it yet; the next
        // event brings the content. Emptying the directory on purpose takes `users: {}`.
        this.#log.warn({ file: this.file }, `accounts file ${this.file} is empty; keeping the loaded version`);
        return false;
      }
      this.#lastText = text;
      const result = loadAccounts(text, this.#settings);
      if (!result.ok) {
        for (const problem of result.problems) {
          this.#log.error(
            { file: this.file, line: problem.line, pointer: problem.pointer, error: problem.message },
            `accounts file refused, keeping the loaded version: ${describeFileProblem(this.file, problem)}`,
          );
        }
        return false;
      }
      this.#swap(result.snapshot, 'reload');
      return true;
    });
  }

  onChange(listener: ChangeListener): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  async isLocalDomain(domain: string): Promise<boolean> {
    return this.#snapshot.isLocalDomain(domain);
  }

  async resolveRecipient(address: string): Promise<RecipientResolution> {
    return this.#snapshot.resolveRecipient(address);
  }

  async authenticate(login: string, password: string): Promise<Account | null> {
    const record = this.#snapshot.user(login);
    // An unknown login (or one without a password) is checked against a dummy hash, so both
    // answers take about as long as a wrong password for a real user.
    const hash = record?.passwordHash ?? (await dummyHash());
    const ok = await verifyPassword(password, hash);
    return ok && record?.passwordHash !== undefined ? record.account : null;
  }

  async getAccount(id: string): Promise<Account | null> {
    return this.#snapshot.user(id)?.account ?? null;
  }

  async listDomains(): Promise<string[]> {
    return [...this.#snapshot.domains];
  }

  async listAccounts(): Promise<Account[]> {
    return this.#snapshot.accounts;
  }

  async addAccount(address: string, password: string, options: { displayName?: string } = {}): Promise<Account> {
    const id = canonicalAddress(address);
    if (!id) throw new AccountsError('INVALID_ADDRESS', `not a valid address: ${address}`);
    if (!password) throw new AccountsError('EMPTY_PASSWORD', 'the password must not be empty');
    const hash = await hashPassword(password);
    const snapshot = await this.#edit(`added ${id}`, (text, current) => {
      const { domain } = parseAddress(id)!;
      if (!current.isLocalDomain(domain)) throw new AccountsError('NOT_LOCAL', `${domain} is not a local domain`);
      if (current.hasAddress(id)) throw new AccountsError('ALREADY_EXISTS', `${id} already exists as a user or an alias`);
      return withUserAdded(text, id, hash, options.displayName);
    });
    return snapshot.user(id)!.account;
  }

  async removeAccount(address: string): Promise<boolean> {
    let removed = false;
    await this.#edit(`removed ${address}`, (text) => {
      const next = withUserRemoved(text, address);
      removed = next !== null;
      return next;
    });
    return removed;
  }

  async setPassword(address: string, password: string): Promise<boolean> {
    if (!password) throw new AccountsError('EMPTY_PASSWORD', 'the password must not be empty');
    const hash = await hashPassword(password);
    let changed = false;
    await this.#edit(`password of ${address}`, (text) => {
      const next = withPassword(text, address, hash);
      changed = next !== null;
      return next;
    });
    return changed;
  }

  /**
   * Applies one edit to the file as it is on disk now (the admin may have changed it since the
   * last reload), checks the result like any reload, writes it atomically and swaps it in.
   * `change` returns the new text, or null when there is nothing to write.
   */
  #edit(reason: string, change: (text: string, current: Snapshot) => string | null): Promise<Snapshot> {
    return this.#exclusive(async () => {
      const text = await readOrInitial(this.file, INITIAL_FILE);
      const current = loadAccounts(text, this.#settings);
      if (!current.ok) {
        throw new AccountsError('INVALID_FILE', `fix the accounts file first: ${current.problems.map((p) => describeFileProblem(this.file, p)).join('; ')}`);
      }
      const next = change(text, current.snapshot);
      if (next === null) return current.snapshot;
      const result = loadAccounts(next, this.#settings);
      if (!result.ok) throw new AccountsError('INVALID_FILE', `the edit would make the file invalid: ${result.problems.map((p) => p.message).join('; ')}`);
      await writeFileAtomic(this.file, next);
      this.#lastText = next;
      this.#swap(result.snapshot, reason);
      return result.snapshot;
    });
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#serial.then(fn, fn);
    this.#serial = run.catch(() => undefined);
    return run;
  }

  #swap(snapshot: Snapshot, reason: string): void {
    this.#snapshot = snapshot;
    this.#logWarnings(snapshot);
    this.#log.info({ file: this.file, reason, accounts: snapshot.accounts.length, domains: snapshot.domains.length }, 'accounts loaded');
    for (const listener of this.#listeners) {
      try {
        listener({ reason });
      } catch (err) {
        this.#log.error({ err: (err as Error).message }, 'an accounts change listener failed');
      }
    }
  }

  #logWarnings(snapshot: Snapshot): void {
    for (const warning of snapshot.warnings) this.#log.warn({ file: this.file, pointer: warning.pointer }, `accounts file: ${warning.message}`);
  }
}
