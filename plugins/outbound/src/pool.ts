import type { Logger } from '@posthorn/core';
import { type ClientSettings, type Endpoint, RemoteClient } from './client.ts';
import { Semaphore } from './semaphore.ts';

/** A connection handed out for one transaction; `done` gives it back (reusable or not). */
export interface Lease {
  readonly client: RemoteClient;
  /** Whether the connection served an earlier transaction. */
  readonly reused: boolean;
  done(reusable: boolean): void;
}

export interface PoolOptions {
  readonly settings: ClientSettings;
  /** Open connections at once, all destinations together. */
  readonly maxConnections: number;
  readonly maxTransactionsPerConnection: number;
  readonly idleTimeoutMs: number;
}

interface Idle {
  readonly client: RemoteClient;
  readonly timer: NodeJS.Timeout;
  readonly since: number;
}

/** Connections that may serve each other's traffic: same address, port, TLS policy, server name and login. */
function keyOf(endpoint: Endpoint): string {
  return [endpoint.ip, endpoint.port, endpoint.tls, endpoint.verify ? 'verify' : 'any', endpoint.host, endpoint.auth?.user ?? ''].join('|');
}

/**
 * Open SMTP connections, reused across transactions: an idle connection is kept for
 * `idleTimeoutMs`, checked with RSET when it is taken again, and closed after
 * `maxTransactionsPerConnection` transactions. At most `maxConnections` are open at once;
 * when that limit is reached an idle connection of another destination is closed to make room.
 */
export class ConnectionPool {
  readonly #options: PoolOptions;
  readonly #slots: Semaphore;
  readonly #idle = new Map<string, Idle[]>();
  #closing = false;

  constructor(options: PoolOptions) {
    this.#options = options;
    this.#slots = new Semaphore(options.maxConnections);
  }

  /** An idle connection to the endpoint if one still works, else a new one. Rejects with a SetupError. */
  async acquire(endpoint: Endpoint, log: Logger): Promise<Lease> {
    const key = keyOf(endpoint);
    for (let idle = this.#takeIdle(key); idle; idle = this.#takeIdle(key)) {
      try {
        await idle.client.reset();
        log.debug({ host: endpoint.host, ip: endpoint.ip, port: endpoint.port, tls: idle.client.secure }, 'reusing connection');
        return this.#lease(key, idle.client, true);
      } catch {
        idle.client.close();
      }
    }
    await this.#slot(log);
    let client: RemoteClient;
    try {
      client = await RemoteClient.open(endpoint, this.#options.settings);
    } catch (err) {
      this.#slots.release();
      throw err;
    }
    client.onClosed(() => {
      this.#slots.release();
      this.#forget(key, client);
    });
    log.debug({ host: endpoint.host, ip: endpoint.ip, port: endpoint.port, tls: client.secure, auth: endpoint.auth ? endpoint.auth.user : undefined }, 'connected');
    return this.#lease(key, client, false);
  }

  /** Closes idle connections now; connections in use close when they are given back. */
  close(): void {
    this.#closing = true;
    for (const list of this.#idle.values()) {
      for (const idle of list.splice(0)) {
        clearTimeout(idle.timer);
        idle.client.quit();
      }
    }
    this.#idle.clear();
  }

  #lease(key: string, client: RemoteClient, reused: boolean): Lease {
    let returned = false;
    return {
      client,
      reused,
      done: (reusable) => {
        if (returned) return;
        returned = true;
        this.#giveBack(key, client, reusable);
      },
    };
  }

  #giveBack(key: string, client: RemoteClient, reusable: boolean): void {
    const keep =
      reusable &&
      !this.#closing &&
      client.usable &&
      client.transactions < this.#options.maxTransactionsPerConnection &&
      // Someone waits for a connection slot: an idle connection is worth less than their delivery.
      this.#slots.waiting === 0;
    if (!keep) {
      client.quit();
      return;
    }
    const timer = setTimeout(() => {
      this.#forget(key, client);
      client.quit();
    }, this.#options.idleTimeoutMs);
    timer.unref();
    const list = this.#idle.get(key) ?? [];
    list.push({ client, timer, since: Date.now() });
    this.#idle.set(key, list);
  }

  /** The most recently used idle connection of a key (the one least likely to have timed out). */
  #takeIdle(key: string): Idle | undefined {
    const list = this.#idle.get(key);
    const idle = list?.pop();
    if (list && list.length === 0) this.#idle.delete(key);
    if (idle) clearTimeout(idle.timer);
    return idle;
  }

  #forget(key: string, client: RemoteClient): void {
    const list = this.#idle.get(key);
    if (!list) return;
    const index = list.findIndex((idle) => idle.client === client);
    if (index >= 0) {
      clearTimeout(list[index]!.timer);
      list.splice(index, 1);
    }
    if (list.length === 0) this.#idle.delete(key);
  }

  async #slot(log: Logger): Promise<void> {
    if (this.#slots.tryAcquire()) return;
    const oldest = [...this.#idle.values()].flat().sort((a, b) => a.since - b.since)[0];
    // Closing it releases its slot at once (RemoteClient.onClosed), to us or to an earlier waiter.
    if (oldest) oldest.client.quit();
    if (this.#slots.tryAcquire()) return;
    log.debug({ maxConnections: this.#options.maxConnections }, 'waiting for a free connection (maxConnections)');
    await this.#slots.acquire();
  }
}
