import type { Envelope, QueueEntry } from '@posthorn/contracts';
import { type BounceEvent, type DeliveryOutcome, type Lifecycle, reply, SmtpReply } from '@posthorn/core';
import type { Logger } from 'pino';
import { afterTemporaryFailure, retryDelay } from './backoff.ts';
import { DueQueue } from './due-queue.ts';
import { Fifo } from './fifo.ts';
import type { RetryPolicy } from './options.ts';
import { initialState, isFinal, type MessageState, type StoredRecipient } from './state.ts';
import type { QueueLog } from './store.ts';

/** The reply given to a bounce for an expired recipient that never got one (should not happen). */
const EXPIRED = reply(451, '4.4.7', 'Delivery time expired');
/** The reply given to the delivered hook when the deliver tap accepted without one. */
const DELIVERED = reply(250, '2.0.0', 'Delivered');

/**
 * Bytes of freshly queued messages kept in memory for their first attempt. Under a backlog
 * beyond this, first attempts read from disk like retries do.
 */
const CACHE_BYTES = 64 * 1024 * 1024;

/** One queued message as the runner tracks it. */
interface Tracked {
  readonly envelope: Envelope;
  readonly size: number;
  readonly receivedAt: number;
  readonly log: Logger;
  recipients: StoredRecipient[];
  bouncedAt: string | undefined;
  /** When the next attempt round is due (ms); Infinity when no recipient is waiting. */
  dueAt: number;
  /** An attempt round or the final clean-up is running. */
  busy: boolean;
  removed: boolean;
  /** `retry` came while a round ran: make what is still deferred due right after it. */
  retryRequested: boolean;
  /** The bytes as received, kept for the first round so it needs no read from disk. */
  cached: Buffer | undefined;
  /** Bounce attempts that failed (a bounce maker could not queue its notification). */
  bounceFailures: number;
  /** Finished: its `done` record is appended, and the id is free for a new message. */
  leaving: boolean;
}

/** The recipients of one message attempted together; state is saved once they all answered. */
interface Round {
  readonly entry: Tracked;
  outstanding: number;
  message: Promise<Buffer> | undefined;
  finish(): void;
}

interface Task {
  readonly round: Round;
  readonly index: number;
}

export interface RunnerOptions {
  readonly store: QueueLog;
  readonly lifecycle: Lifecycle;
  readonly log: Logger;
  readonly policy: RetryPolicy;
  readonly concurrency: number;
}

/**
 * Delivers queued messages: runs the deliver hook once per due recipient with at most
 * `concurrency` deliveries in flight, records each outcome, retries temporary failures with
 * backoff until the maximum age, and once every recipient is final runs the bounce hook for
 * the failures and removes the message.
 *
 * Never loses a recipient: a message is finished (its `done` record appended) only once every
 * recipient is final. Never re-delivers a recipient recorded as delivered. A crash between a
 * delivery and the durability of the record that says so repeats that delivery, which the
 * deliver hook makes harmless with the dedupe key `${envelope.id}/${recipientIndex}`.
 */
export class Runner {
  readonly #store: QueueLog;
  readonly #lifecycle: Lifecycle;
  readonly #log: Logger;
  readonly #policy: RetryPolicy;
  readonly #concurrency: number;
  readonly #entries = new Map<string, Tracked>();
  readonly #due = new DueQueue((id, at) => this.#onDue(id, at));
  readonly #tasks = new Fifo<Task>();
  /** Promises of rounds and clean-ups in progress, for stop(). */
  readonly #work = new Set<Promise<void>>();
  #inFlight = 0;
  #cachedBytes = 0;
  #phase: 'loading' | 'running' | 'stopping' | 'abandoned' = 'loading';

  constructor(options: RunnerOptions) {
    this.#store = options.store;
    this.#lifecycle = options.lifecycle;
    this.#log = options.log;
    this.#policy = options.policy;
    this.#concurrency = options.concurrency;
  }

  /**
   * Starts tracking a stored message; with no state, every recipient is due now. `message`, the
   * bytes just written, spares the first round a read from disk.
   */
  add(envelope: Envelope, size: number, state: MessageState | undefined, message?: Buffer): void {
    const known = this.#entries.get(envelope.id);
    if (known && !known.leaving) return;
    const cached = message && this.#cachedBytes + message.length <= CACHE_BYTES ? message : undefined;
    if (cached) this.#cachedBytes += cached.length;
    const now = Date.now();
    const receivedAt = Date.parse(envelope.receivedAt);
    const entry: Tracked = {
      envelope,
      size,
      receivedAt: Number.isNaN(receivedAt) ? now : receivedAt,
      log: this.#log.child({ tid: envelope.id }),
      recipients: [...(state ?? initialState(envelope, now)).recipients],
      bouncedAt: state?.bouncedAt,
      dueAt: Infinity,
      busy: false,
      removed: false,
      retryRequested: false,
      cached,
      bounceFailures: 0,
      leaving: false,
    };
    this.#entries.set(envelope.id, entry);
    if (this.#phase === 'running') this.#settle(entry);
  }

  /** Starts attempting: everything loaded so far is scheduled. */
  start(): void {
    if (this.#phase !== 'loading') return;
    this.#phase = 'running';
    for (const entry of this.#entries.values()) this.#settle(entry);
    this.#due.start();
  }

  /**
   * Stops scheduling and waits up to `timeoutMs` for deliveries in flight. Outcomes that come
   * later are not recorded: the next start attempts those recipients again.
   */
  async stop(timeoutMs: number): Promise<void> {
    if (this.#abandoned()) return;
    this.#phase = 'stopping';
    this.#due.stop();
    this.#log.info({ inFlight: this.#inFlight, waitMs: timeoutMs }, 'queue runner stopping');
    // Recipients not yet handed to the deliver hook wait for the next start.
    this.#tasks.drain((task) => this.#taskDone(task.round));
    if (this.#work.size) {
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise<'timeout'>((done) => (timer = setTimeout(() => done('timeout'), timeoutMs)));
      const outcome = await Promise.race([Promise.allSettled([...this.#work]).then(() => 'done' as const), bound]);
      clearTimeout(timer);
      if (outcome === 'timeout') this.#log.warn({ inFlight: this.#inFlight }, 'stopping with deliveries still in flight; they will be attempted again at the next start');
    }
    this.#phase = 'abandoned';
  }

  entries(): QueueEntry[] {
    return [...this.#entries.values()].map(toQueueEntry);
  }

  get(id: string): QueueEntry | null {
    const entry = this.#entries.get(id);
    return entry ? toQueueEntry(entry) : null;
  }

  /** Makes waiting recipients due now (of one message, or all); returns how many messages. */
  retry(id?: string): number {
    const targets = id === undefined ? [...this.#entries.values()] : [this.#entries.get(id)].filter((e): e is Tracked => e !== undefined);
    const now = Date.now();
    let count = 0;
    for (const entry of targets) {
      if (!entry.recipients.some((r) => !isFinal(r))) continue;
      count++;
      if (entry.busy) {
        entry.retryRequested = true;
        continue;
      }
      makeDue(entry, now);
      this.#settle(entry);
    }
    if (count) this.#log.info({ id: id ?? null, messages: count }, 'queue retry requested');
    return count;
  }

  /** Forgets a message and deletes its files without delivering or bouncing it. */
  async remove(id: string): Promise<boolean> {
    const entry = this.#entries.get(id);
    if (entry) {
      entry.removed = true;
      this.#entries.delete(id);
      this.#uncache(entry);
    }
    const existed = await this.#store.remove(id);
    if (entry || existed) this.#log.info({ tid: id }, 'queued message removed by an administrator');
    return Boolean(entry) || existed;
  }

  /** Schedules the next round of a message that is not busy, or finishes it when all are final. */
  #settle(entry: Tracked): void {
    if (entry.removed || entry.busy || this.#phase !== 'running') return;
    let due = Infinity;
    for (const r of entry.recipients) {
      if (isFinal(r)) continue;
      const at = r.nextAttemptAt === undefined ? 0 : Date.parse(r.nextAttemptAt);
      if (at < due) due = at;
    }
    if (due === Infinity) {
      entry.dueAt = Infinity;
      this.#track(this.#finish(entry));
      return;
    }
    entry.dueAt = due;
    this.#due.push(entry.envelope.id, due);
  }

  #onDue(id: string, at: number): void {
    const entry = this.#entries.get(id);
    // Slots are never deleted from the due queue; a stale one no longer matches the entry.
    if (!entry || entry.busy || entry.dueAt !== at) return;
    this.#startRound(entry);
  }

  #startRound(entry: Tracked): void {
    const now = Date.now();
    const due: number[] = [];
    entry.recipients.forEach((r, index) => {
      if (!isFinal(r) && (r.nextAttemptAt === undefined || Date.parse(r.nextAttemptAt) <= now)) due.push(index);
    });
    if (!due.length) return this.#settle(entry);
    entry.busy = true;
    entry.dueAt = Infinity;
    let finish!: () => void;
    const finished = new Promise<void>((done) => (finish = done));
    const round: Round = { entry, outstanding: due.length, message: undefined, finish };
    this.#track(finished.then(() => this.#endRound(round)));
    for (const index of due) this.#tasks.push({ round, index });
    this.#pump();
  }

  #pump(): void {
    while (this.#inFlight < this.#concurrency && this.#phase === 'running') {
      const task = this.#tasks.shift();
      if (!task) return;
      this.#inFlight++;
      void this.#attempt(task).finally(() => {
        this.#inFlight--;
        this.#taskDone(task.round);
        this.#pump();
      });
    }
  }

  #taskDone(round: Round): void {
    if (--round.outstanding === 0) round.finish();
  }

  async #attempt({ round, index }: Task): Promise<void> {
    const { entry } = round;
    const recipient = entry.recipients[index]!;
    const envelope = entry.envelope;
    const attempt = recipient.attempts + 1;
    let outcome: DeliveryOutcome;
    try {
      outcome = await this.#lifecycle.deliver({
        envelope,
        recipient: envelope.recipients[index]!,
        recipientIndex: index,
        attempt,
        size: entry.size,
        // One read per round, shared by its recipients, dropped with the round.
        read: () => (round.message ??= entry.cached ? Promise.resolve(entry.cached) : this.#store.read(envelope.id)),
        log: entry.log,
      });
    } catch (err) {
      // lifecycle.deliver does not reject; if it ever does, the recipient simply stays due.
      entry.log.error({ err, rcpt: recipient.address }, 'delivery attempt failed unexpectedly');
      return;
    }
    if (this.#abandoned() || entry.removed) return;
    const state = this.#outcomeState(entry, recipient, attempt, outcome, Date.now());
    entry.recipients[index] = state;
    await this.#announce(entry, index, state, outcome.by, round);
  }

  /** Tells the delivered/delayed hooks (success and delay notifications, metrics). */
  async #announce(entry: Tracked, index: number, state: StoredRecipient, by: string | undefined, round: Round): Promise<void> {
    const common = {
      envelope: entry.envelope,
      recipient: entry.envelope.recipients[index]!,
      recipientIndex: index,
      by,
      read: () => (round.message ??= entry.cached ? Promise.resolve(entry.cached) : this.#store.read(entry.envelope.id)),
      log: entry.log,
    };
    if (state.status === 'delivered') {
      await this.#lifecycle.delivered({ ...common, reply: state.lastReply ? SmtpReply.from(state.lastReply) : DELIVERED });
    } else if (state.status === 'deferred' && state.lastReply && state.nextAttemptAt) {
      await this.#lifecycle.delayed({ ...common, reply: SmtpReply.from(state.lastReply), attempts: state.attempts, nextAttemptAt: new Date(state.nextAttemptAt) });
    }
  }

  #outcomeState(entry: Tracked, recipient: StoredRecipient, attempts: number, outcome: DeliveryOutcome, now: number): StoredRecipient {
    const at = new Date(now).toISOString();
    const { verdict, by } = outcome;
    const base = { address: recipient.address, attempts };
    const fields = { rcpt: recipient.address, attempt: attempts, by };
    if (verdict.action === 'accept') {
      entry.log.info(fields, 'delivered');
      return { ...base, status: 'delivered', ...(verdict.reply ? { lastReply: { ...verdict.reply.toJSON(), at, by } } : {}) };
    }
    const lastReply = { ...verdict.reply.toJSON(), at, by };
    const replyFields = { ...fields, code: verdict.reply.code, enhanced: verdict.reply.enhanced };
    if (verdict.reply.isPermanent) {
      entry.log.info(replyFields, 'delivery failed');
      return { ...base, status: 'failed', lastReply };
    }
    const next = afterTemporaryFailure(attempts, entry.receivedAt, now, this.#policy);
    if ('expired' in next) {
      entry.log.info(replyFields, 'delivery expired');
      return { ...base, status: 'failed', expired: true, lastReply };
    }
    const nextAttemptAt = new Date(next.next).toISOString();
    entry.log.info({ ...replyFields, nextAttemptAt }, 'delivery deferred');
    return { ...base, status: 'deferred', nextAttemptAt, lastReply };
  }

  /** Saves what the round learned, then schedules the message again or finishes it. */
  async #endRound(round: Round): Promise<void> {
    const { entry } = round;
    if (this.#abandoned() || entry.removed) return;
    if (entry.recipients.some((r) => !isFinal(r))) this.#uncache(entry);
    // When every recipient is final the `done` record follows at once and no state is needed,
    // unless the runner is stopping and finishing is left to the next start. The next round
    // starts only once this state is durable, as a round of deliveries is a side effect that
    // should not run ahead of the record of the one before.
    if (entry.recipients.some((r) => !isFinal(r)) || this.#phase !== 'running') {
      try {
        if (!entry.removed) await this.#store.saveState(entry.envelope.id, stateOf(entry));
      } catch (err) {
        // The outcomes stay in memory; a restart before the next successful write repeats them.
        entry.log.error({ err }, 'cannot save queue state');
      }
      if (this.#abandoned()) return;
      if (entry.retryRequested) {
        entry.retryRequested = false;
        makeDue(entry, Date.now());
      }
    }
    entry.busy = false;
    this.#settle(entry);
  }

  /**
   * Every recipient is final: bounce the failures, then finish the message with a `done`
   * record that also says when it bounced. A crash between the bounce and the durability of
   * that record bounces again at the next start, under the bounce maker's deterministic id.
   */
  async #finish(entry: Tracked): Promise<void> {
    entry.busy = true;
    const id = entry.envelope.id;
    const failures = entry.recipients.flatMap((r, index) => (r.status === 'failed' ? [{ r, index }] : []));
    let bouncedNow = false;
    if (failures.length && !entry.bouncedAt) {
      if (entry.envelope.mailFrom === '') {
        entry.log.info({ failed: failures.map(({ r }) => r.address) }, 'not bouncing a message from the null sender');
      } else {
        const event: BounceEvent = {
          envelope: entry.envelope,
          failures: failures.map(({ r, index }) => ({
            recipient: entry.envelope.recipients[index]!,
            reply: r.lastReply ? SmtpReply.from(r.lastReply) : EXPIRED,
            reason: r.expired ? ('expired' as const) : ('failed' as const),
            by: r.lastReply?.by,
          })),
          read: async () => entry.cached ?? (await this.#store.read(id)),
          log: entry.log,
        };
        try {
          await this.#lifecycle.bounce(event);
        } catch (err) {
          // A bounce maker could not queue its notification: keep the message and bounce again
          // later rather than lose the notice. (lifecycle.bounce already logged the plugin.)
          entry.bounceFailures++;
          const at = Date.now() + retryDelay(entry.bounceFailures, this.#policy);
          entry.log.warn({ err: (err as Error).message, retryAt: new Date(at).toISOString() }, 'bounce failed; will try again');
          entry.busy = false;
          entry.dueAt = at;
          this.#due.push(id, at);
          return;
        }
        entry.bouncedAt = new Date().toISOString();
        bouncedNow = true;
      }
    }
    this.#uncache(entry);
    // A bounce that just went out is recorded even while stopping; anything else waits for the next start.
    if (entry.removed || (this.#abandoned() && !bouncedNow)) return;
    // From here the message is finished: an enqueue of the same id now is a new message (add()
    // replaces this entry instead of taking the id for one it already knows). The `done` record
    // is not waited for (see the README: it rides on the next group commit like everything else).
    entry.leaving = true;
    this.#store.finish(id, entry.bouncedAt).catch((err: unknown) => {
      entry.log.error({ err }, 'cannot record that a message is finished; the next start will finish it again');
    });
    if (this.#entries.get(id) === entry) this.#entries.delete(id);
    entry.log.debug('message left the queue');
  }

  #uncache(entry: Tracked): void {
    if (!entry.cached) return;
    this.#cachedBytes -= entry.cached.length;
    entry.cached = undefined;
  }

  /** A method, not a comparison, because the phase changes across awaits. */
  #abandoned(): boolean {
    return this.#phase === 'abandoned';
  }

  #track(work: Promise<void>): void {
    const guarded = work.catch((err: unknown) => this.#log.error({ err }, 'queue runner error'));
    this.#work.add(guarded);
    void guarded.finally(() => this.#work.delete(guarded));
  }
}

function makeDue(entry: Tracked, now: number): void {
  const at = new Date(now).toISOString();
  entry.recipients = entry.recipients.map((r) => (isFinal(r) ? r : { ...r, nextAttemptAt: at }));
}

function stateOf(entry: Tracked): MessageState {
  return { recipients: entry.recipients, ...(entry.bouncedAt ? { bouncedAt: entry.bouncedAt } : {}) };
}

function toQueueEntry(entry: Tracked): QueueEntry {
  return { envelope: entry.envelope, size: entry.size, recipients: [...entry.recipients] };
}
