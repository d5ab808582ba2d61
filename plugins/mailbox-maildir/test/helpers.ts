import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { Logger } from '@posthorn/core';
import { silentLogger } from '@posthorn/core';
import { tempDir } from '@posthorn/testkit';
import { MaildirStore } from '../src/store.ts';

export const USER = 'alice@localhost';
export const inbox = { user: USER, mailbox: 'INBOX' } as const;
export const box = (mailbox: string) => ({ user: USER, mailbox });

export function message(subject: string, body = 'Hello.\r\n'): Buffer {
  return Buffer.from(`From: a@example.org\r\nTo: alice@localhost\r\nSubject: ${subject}\r\n\r\n${body}`);
}

/** A store on a fresh temp directory; `reopen()` simulates a restart on the same files. */
export async function openStore(options: { quotaOf?: (user: string) => Promise<number | undefined>; log?: Logger } = {}) {
  const dir = await tempDir('posthorn-maildir-');
  const make = () => new MaildirStore({ root: dir.path, log: options.log ?? silentLogger(), ...(options.quotaOf ? { quotaOf: options.quotaOf } : {}) });
  let store = make();
  return {
    get store() {
      return store;
    },
    root: dir.path,
    accountDir: join(dir.path, 'localhost', 'alice'),
    async reopen() {
      await store.close();
      store = make();
      return store;
    },
    async remove() {
      await store.close();
      await dir.remove();
    },
  };
}

/** Names of the message files in a folder's new/ and cur/. */
export async function filesIn(folder: string): Promise<string[]> {
  const found: string[] = [];
  for (const sub of ['new', 'cur']) for (const name of await readdir(join(folder, sub))) found.push(`${sub}/${name}`);
  return found.sort();
}

/**
 * Runs SQL against the account's index from a second connection: what a crash leaves behind
 * (with the store closed), or a fault injected under a running store.
 */
export function tamper(accountDir: string, sql: string, ...params: (string | number)[]): void {
  const db = new DatabaseSync(join(accountDir, 'posthorn-index.sqlite'));
  try {
    db.prepare(sql).run(...params);
  } finally {
    db.close();
  }
}
