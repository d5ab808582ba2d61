import type { Account, AccountDirectory } from '@posthorn/contracts';
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from '../logger.ts';
import { clientKey } from './client-address.ts';
import { type LoginThrottle, loginKey } from './login-throttle.ts';

/** Longest piece of a login name that goes into a log line. */
const LOGGED_LOGIN_LENGTH = 200;
/** LOGIN-DELAY bookkeeping is swept when it holds this many accounts. */
const MAX_TRACKED_LOGINS = 10_000;

/** Why a login was refused: a wrong password, a lockout in force, or LOGIN-DELAY (RFC 2449). */
export type LoginRefusal = 'failed' | 'locked-out' | 'login-delay';

export type LoginResult = { readonly ok: true; readonly account: Account } | { readonly ok: false; readonly refusal: LoginRefusal };

export interface PasswordGateDeps {
  readonly accounts: AccountDirectory;
  readonly throttle: LoginThrottle;
  /** Waits before a refusal (default: a timer that does not hold the process open); tests hand in one that does not sleep. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** RFC 2449 LOGIN-DELAY in ms; 0: none. */
  readonly loginDelayMs?: number;
  readonly now?: () => number;
  /** Names the protocol in log lines (`pop3`, `imap`). */
  readonly protocol: string;
}

/**
 * Checks a login and password for the mail access protocols (POP3, IMAP): lockouts first, then
 * the password through the account directory, then LOGIN-DELAY. Failures are counted, delayed
 * and logged like SMTP AUTH's (address and login name, never the password), through the
 * shared LoginThrottle. The protocol turns the refusal into its own reply.
 */
export class PasswordGate {
  readonly #deps: PasswordGateDeps;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #loginDelayMs: number;
  /** Account id -> time of its last successful login, for LOGIN-DELAY. */
  readonly #lastLogin = new Map<string, number>();

  constructor(deps: PasswordGateDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
    this.#sleep = deps.sleep ?? sleepUnref;
    this.#loginDelayMs = deps.loginDelayMs ?? 0;
  }

  get loginDelaySeconds(): number {
    return Math.ceil(this.#loginDelayMs / 1000);
  }

  async check(ip: string, login: string, password: string, method: string, log: Logger): Promise<LoginResult> {
    const { accounts, throttle } = this.#deps;
    const sleep = this.#sleep;
    const logged = { ip, login: login.slice(0, LOGGED_LOGIN_LENGTH), method };
    const client = clientKey(ip);
    const name = loginKey(login);

    const locked = await throttle.lockout(client, name);
    if (locked) {
      // Not even checked: the right password gets the same answer while the lockout lasts.
      log.warn({ ...logged, lockout: locked }, `${this.#deps.protocol} login refused: locked out`);
      await sleep(throttle.limits.maxDelayMs);
      return { ok: false, refusal: 'locked-out' };
    }

    const account = await accounts.authenticate(login, password);
    if (!account) {
      const failure = await throttle.recordFailure(client, name);
      log.warn({ ...logged, ipFailures: failure.ipFailures, loginFailures: failure.loginFailures, delayMs: failure.delayMs }, `${this.#deps.protocol} login failed`);
      for (const scope of failure.lockedOut) log.warn({ ...logged, lockout: scope, seconds: throttle.limits.lockoutMs / 1000 }, `${this.#deps.protocol} lockout started`);
      await sleep(failure.delayMs);
      return { ok: false, refusal: 'failed' };
    }
    await throttle.recordSuccess(client, name);

    if (this.#loginDelayMs > 0) {
      const last = this.#lastLogin.get(account.id);
      if (last !== undefined && this.#now() - last < this.#loginDelayMs) {
        log.info({ ...logged, user: account.id }, `${this.#deps.protocol} login refused: login delay`);
        return { ok: false, refusal: 'login-delay' };
      }
    }
    return { ok: true, account };
  }

  /** A session of this account has opened its maildrop: the start of its LOGIN-DELAY. */
  loggedIn(id: string): void {
    if (this.#loginDelayMs > 0) this.#remember(id, this.#now());
  }

  #remember(id: string, now: number): void {
    this.#lastLogin.delete(id);
    this.#lastLogin.set(id, now);
    if (this.#lastLogin.size <= MAX_TRACKED_LOGINS) return;
    // Oldest first (Map order is insertion order, and a login re-inserts its account).
    for (const [key, at] of this.#lastLogin) {
      if (now - at < this.#loginDelayMs && this.#lastLogin.size <= MAX_TRACKED_LOGINS) break;
      this.#lastLogin.delete(key);
    }
  }
}

async function sleepUnref(ms: number): Promise<void> {
  if (ms > 0) await delay(ms, undefined, { ref: false });
}
