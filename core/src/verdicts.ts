import type { Logger } from 'pino';
import type { AuthenticatedUser, AuthRequest, Session } from './context.ts';
import { type Attributed, type DecisionHookName, type HookArgs, type HookSet, type NotificationHookName, TapFailure } from './hooks.ts';
import { Replies, reject, reply, SmtpReply, type Verdict } from './reply.ts';

const NO_ROUTE = reply(451, '4.3.5', 'No delivery route for this recipient, will retry');

/**
 * Turns what the hooks say into what the protocol does: the first verdict wins and is logged
 * with the plugin that gave it; a tap that throws or overruns becomes a temporary failure
 * (451 4.3.0) logged with the plugin's name; silence becomes the hook's safe default.
 */
export class Verdicts {
  /**
   * Runs a decision hook and returns the reply that refuses, or undefined to go on. When
   * `unlessAccepted` is given, silence also refuses (a recipient nobody accepts).
   */
  async decide<K extends Exclude<DecisionHookName, 'auth' | 'queue' | 'deliver'>>(
    hooks: HookSet,
    hook: K,
    unlessAccepted: SmtpReply | undefined,
    ...args: HookArgs<K>
  ): Promise<SmtpReply | undefined> {
    const outcome = await this.#run(hooks, hook, args);
    // The session's or transaction's logger, fetched only when there is something to log:
    // it is made on first use, and most connections never need one.
    const log = (): Logger => logOf(args);
    if (!outcome) {
      if (unlessAccepted) log().info({ hook, code: unlessAccepted.code, enhanced: unlessAccepted.enhanced }, `${hook}: nobody accepted`);
      return unlessAccepted;
    }
    const verdict = outcome.verdict as Verdict;
    if (verdict.action === 'reject') {
      log().info({ hook, by: outcome.by, code: verdict.reply.code, enhanced: verdict.reply.enhanced }, `${hook}: rejected`);
      return verdict.reply;
    }
    const logger = log();
    if (logger.isLevelEnabled('debug')) logger.debug({ hook, by: outcome.by }, `${hook}: accepted`);
    return undefined;
  }

  async authenticate(hooks: HookSet, session: Session, request: AuthRequest): Promise<{ user: AuthenticatedUser } | { reply: SmtpReply }> {
    const outcome = await this.#run(hooks, 'auth', [session, request]);
    if (!outcome) {
      session.log.info({ hook: 'auth', method: request.method }, 'auth: nobody accepted');
      return { reply: Replies.authFailed };
    }
    const verdict = outcome.verdict as { action: string; user?: AuthenticatedUser; reply?: SmtpReply };
    if (verdict.action === 'accept' && verdict.user) {
      session.log.info({ hook: 'auth', by: outcome.by, user: verdict.user.id, method: request.method }, 'auth: accepted');
      return { user: verdict.user };
    }
    const refusal = verdict.reply ?? Replies.authFailed;
    session.log.info({ hook: 'auth', by: outcome.by, code: refusal.code, enhanced: refusal.enhanced }, 'auth: rejected');
    return { reply: refusal };
  }

  /** Runs the queue hook; nobody taking the message is a temporary failure. */
  async queue(hooks: HookSet, ...args: HookArgs<'queue'>): Promise<Attributed<Verdict>> {
    const log = args[0].log;
    const outcome = await this.#run(hooks, 'queue', args);
    if (!outcome) {
      log.error({ hook: 'queue' }, 'no plugin queued the message; is a queue plugin configured?');
      return { verdict: reject(Replies.notQueued), by: 'core' };
    }
    return outcome as Attributed<Verdict>;
  }

  /** Runs the deliver hook for one recipient; never rejects. */
  async deliver(hooks: HookSet, ...args: HookArgs<'deliver'>): Promise<Attributed<Verdict>> {
    const outcome = await this.#run(hooks, 'deliver', args);
    return (outcome as Attributed<Verdict> | undefined) ?? { verdict: reject(NO_ROUTE), by: 'core' };
  }

  /** Runs a notification hook; every tap runs, and the failures are logged and returned. */
  async notify<K extends NotificationHookName>(hooks: HookSet, hook: K, ...args: HookArgs<K>): Promise<TapFailure[]> {
    const failures: TapFailure[] = [];
    await hooks.notify(
      hook,
      (failure) => {
        failures.push(failure);
        logOf(args).error({ hook, plugin: failure.plugin, err: failure.cause ?? failure.message }, failure.message);
      },
      ...args,
    );
    return failures;
  }

  async #run(hooks: HookSet, hook: DecisionHookName, args: unknown[]): Promise<Attributed<unknown> | undefined> {
    try {
      const outcome = await (hooks.decide as (hook: DecisionHookName, ...a: unknown[]) => Promise<Attributed<unknown> | undefined>)(hook, ...args);
      if (outcome) return { verdict: normalise(outcome.verdict, hook, outcome.by), by: outcome.by };
      return undefined;
    } catch (err) {
      const failure = err instanceof TapFailure ? err : new TapFailure('unknown', hook, 'error', 0, err);
      logOf(args).error({ hook, plugin: failure.plugin, kind: failure.kind, err: failure.cause ?? failure.message }, failure.message);
      return { verdict: reject(hook === 'auth' ? Replies.authUnavailable : Replies.internalError), by: failure.plugin };
    }
  }
}

/** Every hook's first argument (session, transaction, request, event) carries its logger. */
function logOf(args: readonly unknown[]): Logger {
  return (args[0] as { readonly log: Logger }).log;
}

/** Checks what a tap returned; anything malformed counts as that plugin failing. */
function normalise(value: unknown, hook: DecisionHookName, plugin: string): unknown {
  const verdict = value as { action?: unknown; reply?: unknown; user?: unknown };
  if (verdict?.action === 'accept') {
    if (hook === 'auth' && (typeof verdict.user !== 'object' || verdict.user === null)) {
      throw new TapFailure(plugin, hook, 'error', 0, new TypeError('auth accept without a user'));
    }
    if (verdict.reply === undefined) return verdict;
    // An accept carrying a 4xx/5xx would be sent as "250 5.x.x ..." on the wire.
    const positive = replyOf(verdict.reply, hook, plugin);
    if (!positive.isPositive) throw new TapFailure(plugin, hook, 'error', 0, new RangeError('accept with a negative reply'));
    return { ...verdict, reply: positive };
  }
  if (verdict?.action === 'reject' && verdict.reply) {
    const refusal = replyOf(verdict.reply, hook, plugin);
    if (refusal.isPositive) throw new TapFailure(plugin, hook, 'error', 0, new RangeError('reject with a positive reply'));
    return { action: 'reject', reply: refusal };
  }
  throw new TapFailure(plugin, hook, 'error', 0, new TypeError(`not a verdict: ${JSON.stringify(value)}`));
}

/**
 * A reply from a tap, checked. SmtpReply's own RangeError would otherwise reach #run as an
 * anonymous error and be blamed on "unknown" instead of the plugin that returned it.
 */
function replyOf(data: unknown, hook: DecisionHookName, plugin: string): SmtpReply {
  try {
    if (typeof data !== 'object' || data === null) throw new TypeError(`not a reply: ${JSON.stringify(data)}`);
    return SmtpReply.from(data as SmtpReply);
  } catch (err) {
    throw new TapFailure(plugin, hook, 'error', 0, err);
  }
}
