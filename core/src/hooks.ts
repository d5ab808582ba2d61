import type { EnvelopeRecipient } from '@posthorn/contracts';
import { AsyncSeriesBailHook, AsyncSeriesHook } from 'tapable';
import type {
  AuthRequest,
  AuthVerdict,
  BounceEvent,
  DelayedEvent,
  DeliveredEvent,
  Delivery,
  HeloCommand,
  MessageContent,
  QueueRequest,
  Session,
  Transaction,
} from './context.ts';
import { PosthornError } from './errors.ts';
import type { Verdict } from './reply.ts';

/**
 * The lifecycle, in the order a message meets it. Decision hooks run their taps in series and
 * stop at the first verdict (`undefined` means "no opinion"); notification hooks run every tap.
 */
export interface HookSignatures {
  /** A client connected. Accept to skip later connect checks (allow list), reject to refuse. */
  connect: { args: [session: Session]; result: Verdict };
  helo: { args: [session: Session, helo: HeloCommand]; result: Verdict };
  /** SMTP AUTH. The first tap that accepts establishes the user. Nobody answering means failure. */
  auth: { args: [session: Session, request: AuthRequest]; result: AuthVerdict };
  mailFrom: { args: [tx: Transaction]; result: Verdict };
  /** A recipient is refused (550 5.7.1) unless some tap accepts it: never an open relay. */
  rcpt: { args: [tx: Transaction, recipient: EnvelopeRecipient]; result: Verdict };
  /** The whole message is here; taps may inspect and edit its header, or refuse it. */
  data: { args: [tx: Transaction, message: MessageContent]; result: Verdict };
  /** Store the message durably; accept only once it is safe. Nobody accepting means 451. */
  queue: { args: [request: QueueRequest]; result: Verdict };
  /** Deliver to one recipient: accept = delivered, 4xx = try again later, 5xx = bounce. */
  deliver: { args: [delivery: Delivery]; result: Verdict };
  /** Recipients failed permanently or expired; e.g. send a delivery status notification. */
  bounce: { args: [event: BounceEvent]; result: void };
  /** A recipient was delivered (for success notifications, RFC 3461 NOTIFY=SUCCESS, and metrics). */
  delivered: { args: [event: DeliveredEvent]; result: void };
  /** A recipient's delivery was deferred (for delay warnings, RFC 3461 NOTIFY=DELAY, and metrics). */
  delayed: { args: [event: DelayedEvent]; result: void };
  disconnect: { args: [session: Session]; result: void };
}

export type HookName = keyof HookSignatures;
export type HookArgs<K extends HookName> = HookSignatures[K]['args'];
export type HookResult<K extends HookName> = HookSignatures[K]['result'];
export type HookFn<K extends HookName> = (...args: HookArgs<K>) => Promise<HookResult<K> | undefined | void>;

export interface TapOptions {
  /** Lower stages run first (default 0); within a stage, taps run in plugin order. */
  readonly stage?: number;
  /** Run before the taps of these plugins. */
  readonly before?: string | string[];
}

export const DECISION_HOOKS = ['connect', 'helo', 'auth', 'mailFrom', 'rcpt', 'data', 'queue', 'deliver'] as const;
export const NOTIFICATION_HOOKS = ['bounce', 'delivered', 'delayed', 'disconnect'] as const;
export type NotificationHookName = (typeof NOTIFICATION_HOOKS)[number];
export const HOOK_NAMES: readonly HookName[] = [...DECISION_HOOKS, ...NOTIFICATION_HOOKS];

export type DecisionHookName = (typeof DECISION_HOOKS)[number];

/** A verdict together with the plugin that gave it. */
export interface Attributed<R> {
  readonly verdict: R;
  readonly by: string;
}

/** Marks the value a wrapped tap returns, so the caller can tell who decided. */
const ATTRIBUTED = Symbol('posthorn.attributed');
interface Tagged<R> extends Attributed<R> {
  readonly [ATTRIBUTED]: true;
}

export type TapFailureKind = 'error' | 'timeout';

/** A tap threw or ran out of time; names the plugin. */
export class TapFailure extends PosthornError {
  readonly plugin: string;
  readonly hook: HookName;
  readonly kind: TapFailureKind;
  constructor(plugin: string, hook: HookName, kind: TapFailureKind, budgetMs: number, cause?: unknown) {
    super(
      kind === 'timeout' ? 'PH_PLUGIN_TIMEOUT' : 'PH_PLUGIN_HOOK',
      kind === 'timeout'
        ? `plugin ${plugin} did not answer the ${hook} hook within ${budgetMs} ms`
        : `plugin ${plugin} failed in the ${hook} hook: ${(cause as Error | undefined)?.message ?? String(cause)}`,
      { plugin, hook },
      { cause },
    );
    this.plugin = plugin;
    this.hook = hook;
    this.kind = kind;
  }
}

/** How long each plugin may take in one tap call, in milliseconds. */
export type BudgetFor = (plugin: string, hook: HookName) => number;

type AnyHook = AsyncSeriesBailHook<unknown[], unknown> | AsyncSeriesHook<unknown[]>;

/**
 * One generation of hooks. tapable cannot remove a tap, so a reload builds a new HookSet and
 * swaps it in; work already running keeps the set it started with.
 */
export class HookSet {
  readonly #hooks: Record<HookName, AnyHook>;

  constructor(budgetFor: BudgetFor) {
    const hooks = {} as Record<HookName, AnyHook>;
    for (const name of DECISION_HOOKS) hooks[name] = new AsyncSeriesBailHook<unknown[], unknown>(['a', 'b'], name);
    for (const name of NOTIFICATION_HOOKS) hooks[name] = new AsyncSeriesHook<unknown[]>(['a'], name);
    for (const name of HOOK_NAMES) {
      const decision = (DECISION_HOOKS as readonly string[]).includes(name);
      hooks[name].intercept({
        // Every tap is wrapped once, at registration: errors and overruns become a TapFailure
        // naming the plugin, and a decision is tagged with the plugin that made it.
        register: (tap) => ({ ...tap, fn: wrapTap(name, tap.name, tap.fn as (...args: unknown[]) => Promise<unknown>, budgetFor, decision) }),
      });
    }
    this.#hooks = hooks;
  }

  /** Registers a tap. Only promise-returning functions: no callbacks, no sync taps. */
  tap<K extends HookName>(hook: K, plugin: string, fn: HookFn<K>, options: TapOptions = {}): void {
    const target = this.#hooks[hook];
    if (!target) throw new RangeError(`unknown hook: ${String(hook)}`);
    if (typeof fn !== 'function') throw new TypeError(`tap for ${hook} from ${plugin} is not a function`);
    target.tapPromise({ name: plugin, stage: options.stage ?? 0, ...(options.before ? { before: options.before } : {}) } as never, fn as never);
  }

  /** Whether any plugin taps the hook. */
  isUsed(hook: HookName): boolean {
    // Not tapable's isUsed(): it also counts interceptors, and every hook here has one.
    return this.#hooks[hook].taps.length > 0;
  }

  /** The plugins tapping a hook, in call order. */
  tapsOf(hook: HookName): { plugin: string; stage: number }[] {
    return this.#hooks[hook].taps.map((tap) => ({ plugin: tap.name, stage: tap.stage ?? 0 }));
  }

  /**
   * Runs a decision hook. Resolves to the first verdict and who gave it, or undefined when no
   * tap had an opinion. Rejects with a TapFailure when a tap throws or times out.
   */
  async decide<K extends DecisionHookName>(hook: K, ...args: HookArgs<K>): Promise<Attributed<HookResult<K>> | undefined> {
    const target = this.#hooks[hook] as AsyncSeriesBailHook<unknown[], unknown>;
    if (target.taps.length === 0) return undefined;
    const result = (await target.promise(...args)) as Tagged<HookResult<K>> | undefined;
    return result === undefined ? undefined : { verdict: result.verdict, by: result.by };
  }

  /**
   * Runs a notification hook: every tap, in order. A failing tap is reported to `onFailure` and
   * the others still run.
   */
  async notify<K extends NotificationHookName>(hook: K, onFailure: (failure: TapFailure) => void, ...args: HookArgs<K>): Promise<void> {
    const target = this.#hooks[hook];
    for (const tap of target.taps) {
      try {
        await (tap.fn as (...a: unknown[]) => Promise<unknown>)(...args);
      } catch (err) {
        onFailure(err instanceof TapFailure ? err : new TapFailure(tap.name, hook, 'error', 0, err));
      }
    }
  }
}

function wrapTap(
  hook: HookName,
  plugin: string,
  fn: (...args: unknown[]) => Promise<unknown>,
  budgetFor: BudgetFor,
  decision: boolean,
): (...args: unknown[]) => Promise<unknown> {
  return (...args: unknown[]) => {
    const budget = budgetFor(plugin, hook);
    let timer: NodeJS.Timeout | undefined;
    const run = (async () => {
      let result: unknown;
      try {
        result = await fn(...args);
      } catch (err) {
        throw new TapFailure(plugin, hook, 'error', budget, err);
      }
      if (!decision || result === undefined || result === null) return undefined;
      const tagged: Tagged<unknown> = { [ATTRIBUTED]: true, verdict: result, by: plugin };
      return tagged;
    })();
    if (!(budget > 0) || !Number.isFinite(budget)) return run;
    const overrun = new Promise<never>((_, rejectWith) => {
      timer = setTimeout(() => rejectWith(new TapFailure(plugin, hook, 'timeout', budget)), budget);
    });
    return Promise.race([run, overrun]).finally(() => clearTimeout(timer));
  };
}
