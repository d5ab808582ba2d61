import type { Account, AccountDirectory } from '@posthorn/contracts';
import { clientKey, type Logger, type LoginThrottle, loginKey } from '@posthorn/core';
import { Replies } from './replies.ts';

/** Longest piece of a login name that goes into a log line. */
const LOGGED_LOGIN_LENGTH = 200;
/** LOGIN-DELAY bookkeeping is swept when it holds this many accounts. */
const MAX_TRACKED_LOGINS = 10_000;

export type LoginResult = { readonly ok: true; readonly account: Account } | { readonly ok: false; readonly reply: string };

export interface LoginGateDeps {
  readonly accounts: AccountDirectory;
  readonly throttle: LoginThrottle;
  /** Waits before a refusal; tests hand in one that does not sleep. */
  readonly sleep: (ms: number) => Promise<void>;
  /** RFC 2449 LOGIN-DELAY in ms; 0: none. */
  readonly loginDelayMs: number;
  readonly now?: () => number;
}

/**
 * Checks a login and password for every listener of the plugin: lockouts first, then the
 * password through the account directory, then LOGIN-DELAY. Failures are counted, delayed and
 * logged like SMTP AUTH's (address and login name, never the password), through the core's
 * shared LoginThrottle.
 */
export class LoginGate {
  readonly #deps: LoginGateDeps;
  readonly #now: () => number;
  /** Account id -> time of its last successful login, for LOGIN-DELAY. */
  readonly #lastLogin = new Map<string, number>();

  constructor(deps: LoginGateDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
  }

  get loginDelaySeconds(): number {
    return Math.ceil(this.#deps.loginDelayMs / 1000);
  }

  async check(ip: string, login: string, password: string, method: string, log: Logger): Promise<LoginResult> {
    const { accounts, throttle, sleep } = this.#deps;
    const logged = { ip, login: login.slice(0, LOGGED_LOGIN_LENGTH), method };
    const client = clientKey(ip);
    const name = loginKey(login);

    const locked = await throttle.lockout(client, name);
    if (locked) {
      // Not even checked: the right password gets the same answer while the lockout lasts.
      log.warn({ ...logged, lockout: locked }, 'pop3 login refused: locked out');
      await sleep(throttle.limits.maxDelayMs);
      return { ok: false, reply: Replies.lockedOut };
    }

    const account = await accounts.authenticate(login, password);
    if (!account) {
      const failure = await throttle.recordFailure(client, name);
      log.warn({ ...logged, ipFailures: failure.ipFailures, loginFailures: failure.loginFailures, delayMs: failure.delayMs }, 'pop3 login failed');
      for (const scope of failure.lockedOut) log.warn({ ...logged, lockout: scope, seconds: throttle.limits.lockoutMs / 1000 }, 'pop3 lockout started');
      await sleep(failure.delayMs);
      return { ok: false, reply: Replies.authFailed };
    }
    await throttle.recordSuccess(client, name);

    if (this.#deps.loginDelayMs > 0) {
      const last = this.#lastLogin.get(account.id);
      if (last !== undefined && this.#now() - last < this.#deps.loginDelayMs) {
        log.info({ ...logged, user: account.id }, 'pop3 login refused: login delay');
        return { ok: false, reply: Replies.loginDelay };
      }
    }
    return { ok: true, account };
  }

  /** A session of this account has opened its maildrop: the start of its LOGIN-DELAY. */
  loggedIn(id: string): void {
    if (this.#deps.loginDelayMs > 0) this.#remember(id, this.#now());
  }

  #remember(id: string, now: number): void {
    this.#lastLogin.delete(id);
    this.#lastLogin.set(id, now);
    if (this.#lastLogin.size <= MAX_TRACKED_LOGINS) return;
    // Oldest first (Map order is insertion order, and a login re-inserts its account).
    for (const [key, at] of this.#lastLogin) {
      if (now - at < this.#deps.loginDelayMs && this.#lastLogin.size <= MAX_TRACKED_LOGINS) break;
      this.#lastLogin.delete(key);
    }
  }
}
