/** Counts open sessions per account, so one account cannot take every connection slot. */
export class UserSessions {
  readonly #max: number;
  readonly #open = new Map<string, number>();

  constructor(maxPerUser: number) {
    this.#max = maxPerUser;
  }

  /** A release function, or undefined when the account is at its limit. */
  acquire(user: string): (() => void) | undefined {
    const open = this.#open.get(user) ?? 0;
    if (open >= this.#max) return undefined;
    this.#open.set(user, open + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#open.get(user) ?? 1) - 1;
      if (left > 0) this.#open.set(user, left);
      else this.#open.delete(user);
    };
  }
}
