import { randomBytes } from 'node:crypto';
import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { PosthornError } from '@posthorn/core';
import type { Logger } from 'pino';
import { fsyncDirectory, LOCK_FILE } from './segment-files.ts';

/** What the lock file says about its holder. */
export interface LockOwner {
  readonly pid: number;
  readonly hostname: string;
  /** Linux boot id: a pid from an earlier boot says nothing about today's processes. */
  readonly bootId?: string;
  readonly since: string;
  readonly token: string;
}

/** Prefix of the file a lock is prepared in before it is linked into place. */
export const LOCK_TEMP_PREFIX = '.lock-';

/**
 * Lock files held by this process. Two apps in one process (tests, a reload) share a pid, so
 * the pid alone cannot tell a live holder from a stale file left by this same pid.
 */
const heldHere = new Set<string>();

let cachedBootId: string | undefined | null = null;
async function bootId(): Promise<string | undefined> {
  if (cachedBootId === null) cachedBootId = (await readFile('/proc/sys/kernel/random/boot_id', 'utf8').catch(() => '')).trim() || undefined;
  return cachedBootId;
}

/** The queue directory is in use by a live process. */
export function lockedError(dir: string, owner: LockOwner): PosthornError {
  const who = owner.pid === process.pid ? 'another server in this process' : `a running server (pid ${owner.pid} on ${owner.hostname})`;
  return new PosthornError('PH_ADMIN_UNREACHABLE', `queue directory ${dir} is locked by ${who}; stop it first, or send the command to that server`, {
    dir,
    pid: owner.pid,
  });
}

export async function readLockOwner(dir: string): Promise<LockOwner | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, LOCK_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const owner = JSON.parse(text) as LockOwner;
    if (Number.isSafeInteger(owner.pid) && typeof owner.hostname === 'string') return owner;
  } catch {
    // fall through: the file is written in one piece, so garbage is not from a live holder
  }
  return { pid: 0, hostname: hostname(), since: '', token: '' };
}

/** Whether the holder named in a lock file may still be running. */
export async function isLive(dir: string, owner: LockOwner): Promise<boolean> {
  if (owner.pid <= 0) return false;
  // Another machine on a shared filesystem: nothing here can prove it dead.
  if (owner.hostname !== hostname()) return true;
  const boot = await bootId();
  if (owner.bootId && boot && owner.bootId !== boot) return false;
  if (owner.pid === process.pid) return heldHere.has(join(dir, LOCK_FILE));
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** An exclusive claim on a queue directory: one server (or one admin edit) at a time. */
export class QueueLock {
  readonly #path: string;
  readonly #token: string;
  #released = false;

  private constructor(path: string, token: string) {
    this.#path = path;
    this.#token = token;
  }

  /**
   * Takes the lock, or throws (PH_ADMIN_UNREACHABLE) when a live process holds it. A lock left
   * by a dead process is taken over with a warning.
   */
  static async acquire(dir: string, log: Logger): Promise<QueueLock> {
    const path = join(dir, LOCK_FILE);
    const owner: LockOwner = {
      pid: process.pid,
      hostname: hostname(),
      ...((await bootId()) ? { bootId: (await bootId())! } : {}),
      since: new Date().toISOString(),
      token: randomBytes(8).toString('hex'),
    };
    // Written aside in full, then linked into place: link refuses an existing target, so the
    // lock file appears atomically and never half-written.
    const temp = join(dir, `${LOCK_TEMP_PREFIX}${owner.token}`);
    await writeFile(temp, JSON.stringify(owner), { mode: 0o640, flush: true });
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          await link(temp, path);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
          const holder = await readLockOwner(dir);
          if (holder && (await isLive(dir, holder))) throw lockedError(dir, holder);
          log.warn({ pid: holder?.pid, since: holder?.since }, 'taking over a stale queue lock');
          await unlink(path).catch(() => undefined);
          continue;
        }
        heldHere.add(path);
        await fsyncDirectory(dir);
        return new QueueLock(path, owner.token);
      }
      throw new PosthornError('PH_ADMIN_UNREACHABLE', `cannot take the lock of queue directory ${dir}: it keeps changing hands`, { dir });
    } finally {
      await unlink(temp).catch(() => undefined);
    }
  }

  /** Removes the lock file if it is still ours. */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    heldHere.delete(this.#path);
    const text = await readFile(this.#path, 'utf8').catch(() => '');
    if (text.includes(`"token":"${this.#token}"`)) await unlink(this.#path).catch(() => undefined);
  }
}
