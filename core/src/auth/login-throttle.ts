import type { FailureStore } from './failure-store.ts';

export interface ThrottleLimits {
  /** Failures from one client (IPv4 address or IPv6 /64) within the window before it is locked out. */
  readonly maxFailuresPerIp: number;
  /** Failures for one login name, from anywhere, within the window before it is locked out. */
  readonly maxFailuresPerLogin: number;
  readonly windowMs: number;
  readonly lockoutMs: number;
  /** Delay before the reply to the first failure; it doubles with each further one. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export type LockScope = 'ip' | 'login';

export interface FailureRecord {
  /** How long to wait before answering this failure. */
  readonly delayMs: number;
  readonly ipFailures: number;
  readonly loginFailures: number;
  /** Lockouts this failure started. */
  readonly lockedOut: readonly LockScope[];
}

/**
 * Brute-force brakes for password logins, shared by every protocol that takes a password
 * (SMTP AUTH, POP3, IMAP): failures are counted per client and per login name, each answered
 * a little later than the one before, and too many within the window lock the client or the
 * login out for a while.
 *
 * The login name is counted whether or not such an account exists, and the delay depends on
 * the counters only, so neither the reply, its timing nor a lockout tells an attacker which
 * names are real.
 */
export class LoginThrottle {
  readonly #store: FailureStore;
  readonly #limits: ThrottleLimits;

  constructor(store: FailureStore, limits: ThrottleLimits) {
    this.#store = store;
    this.#limits = limits;
  }

  get limits(): ThrottleLimits {
    return this.#limits;
  }

  /** Which lockout, if any, holds for this client or this login now. */
  async lockout(client: string, login: string): Promise<LockScope | undefined> {
    if ((await this.#store.get(lockKey('ip', client))) > 0) return 'ip';
    if ((await this.#store.get(lockKey('login', login))) > 0) return 'login';
    return undefined;
  }

  /** Counts a failed attempt; says how long to hold the reply and which lockouts it started. */
  async recordFailure(client: string, login: string): Promise<FailureRecord> {
    const { windowMs, lockoutMs, maxFailuresPerIp, maxFailuresPerLogin } = this.#limits;
    const ipFailures = await this.#store.increment(failKey('ip', client), windowMs);
    const loginFailures = await this.#store.increment(failKey('login', login), windowMs);
    await this.#store.increment(pairKey(client, login), windowMs);
    const lockedOut: LockScope[] = [];
    if (ipFailures >= maxFailuresPerIp) lockedOut.push('ip');
    if (loginFailures >= maxFailuresPerLogin) lockedOut.push('login');
    // The lock key's own window is the lockout: it starts now and ends lockoutMs later.
    if (lockedOut.includes('ip')) await this.#store.increment(lockKey('ip', client), lockoutMs);
    if (lockedOut.includes('login')) await this.#store.increment(lockKey('login', login), lockoutMs);
    return { delayMs: this.delayFor(Math.max(ipFailures, loginFailures)), ipFailures, loginFailures, lockedOut };
  }

  /**
   * A correct password clears the login's counter and the client+login pair. The client's own
   * counter is cleared only when every failure it holds was for this login: someone with one
   * valid account must not be able to wipe the per-client count between guesses at others.
   */
  async recordSuccess(client: string, login: string): Promise<void> {
    const pair = await this.#store.get(pairKey(client, login));
    const ip = await this.#store.get(failKey('ip', client));
    if (ip <= pair) await this.#store.reset(failKey('ip', client));
    await this.#store.reset(pairKey(client, login));
    await this.#store.reset(failKey('login', login));
  }

  /** Delay for the n-th failure: baseDelayMs, doubling, capped at maxDelayMs. */
  delayFor(failures: number): number {
    const { baseDelayMs, maxDelayMs } = this.#limits;
    if (failures <= 0 || baseDelayMs <= 0) return 0;
    // Capped exponent: 2 ** 1000 would be Infinity, and no delay needs more than 2 ** 30.
    return Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(failures - 1, 30));
  }
}

/**
 * The form a login name is counted under: Unicode NFC, lower case, and at most 320 characters
 * (an address's maximum), so `Alice@x` and `alice@x` share one counter and a huge name
 * cannot make a huge key.
 */
export function loginKey(login: string): string {
  return login.normalize('NFC').toLowerCase().slice(0, 320);
}

function failKey(scope: LockScope, value: string): string {
  return `fail:${scope}:${value}`;
}

function lockKey(scope: LockScope, value: string): string {
  return `lock:${scope}:${value}`;
}

function pairKey(client: string, login: string): string {
  return `fail:pair:${client}|${login}`;
}
