import type { AccountDirectory } from '@posthorn/contracts';
import { type AuthRequest, type AuthVerdict, clientKey, isLoopback, type LoginThrottle, loginKey, reject, type Session } from '@posthorn/core';
import { AuthReplies } from './replies.ts';

/** Mechanisms that hand us the password itself. */
const PASSWORD_MECHANISMS = new Set(['PLAIN', 'LOGIN']);

/** Longest piece of a login name that goes into a log line. */
const LOGGED_LOGIN_LENGTH = 200;

export interface PasswordLoginDeps {
  readonly accounts: AccountDirectory;
  readonly throttle: LoginThrottle;
  /** Waits before a refusal; tests hand in one that records the delay instead of sleeping. */
  readonly sleep: (ms: number) => Promise<void>;
}

export type AuthTap = (session: Session, request: AuthRequest) => Promise<AuthVerdict>;

/**
 * The `auth` tap: TLS first, then lockouts, then the password. Every failure is counted,
 * delayed and logged (address and login name, never the password).
 */
export function passwordLogin(deps: PasswordLoginDeps): AuthTap {
  const { accounts, throttle, sleep } = deps;
  return async (session, request) => {
    const method = request.method.toUpperCase();
    const login = request.login;
    const logged = { ip: session.remoteAddress, login: login.slice(0, LOGGED_LOGIN_LENGTH), method };

    // smtp-server refuses AUTH before TLS unless the listener sets allowInsecureAuth; even
    // then a password in clear text is only taken from this machine (local testing).
    if (!session.tls && !isLoopback(session.remoteAddress)) {
      session.log.warn(logged, 'auth refused: no TLS and not a loopback client');
      return reject(AuthReplies.encryptionRequired);
    }
    // CRAM-MD5 and friends need a shared secret that the account contract cannot hand out.
    if (!PASSWORD_MECHANISMS.has(method) || request.password === undefined) {
      session.log.info(logged, 'auth refused: unsupported mechanism');
      return reject(AuthReplies.unsupportedMechanism);
    }

    const client = clientKey(session.remoteAddress);
    const name = loginKey(login);
    const locked = await throttle.lockout(client, name);
    if (locked) {
      // Not even checked: the right password gets the same answer while the lockout lasts.
      session.log.warn({ ...logged, lockout: locked }, 'auth refused: locked out');
      await sleep(throttle.limits.maxDelayMs);
      return reject(AuthReplies.lockedOut);
    }

    const account = await accounts.authenticate(login, request.password);
    if (account) {
      await throttle.recordSuccess(client, name);
      return { action: 'accept', user: { id: account.id, login, method } };
    }

    const failure = await throttle.recordFailure(client, name);
    session.log.warn({ ...logged, ipFailures: failure.ipFailures, loginFailures: failure.loginFailures, delayMs: failure.delayMs }, 'auth failed');
    for (const scope of failure.lockedOut) {
      session.log.warn({ ...logged, lockout: scope, seconds: throttle.limits.lockoutMs / 1000 }, 'auth lockout started');
    }
    await sleep(failure.delayMs);
    return reject(AuthReplies.failed);
  };
}
