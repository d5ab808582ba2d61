/**
 * Runs the dsn plugin without a server: a fake PluginContext records the taps and hands the
 * notices to a fake queue, and the events are built here.
 */
import type { AccountDirectory, Envelope, EnvelopeRecipient } from '@posthorn/contracts';
import {
  accept,
  type BounceEvent,
  type DelayedEvent,
  type DeliveredEvent,
  type DeliveryOutcome,
  type HookFn,
  type HookName,
  type PluginContext,
  type QueueRequest,
  silentLogger,
  type SmtpReply,
  validateWithSchema,
} from '@posthorn/core';
import dsn, { type DsnOptions } from '../src/index.ts';

export interface Harness {
  readonly queued: QueueRequest[];
  /** What the fake queue answers; accepts by default. */
  answer: (request: QueueRequest) => DeliveryOutcome;
  bounce(event: BounceEvent): Promise<void>;
  delayed(event: DelayedEvent): Promise<void>;
  delivered(event: DeliveredEvent): Promise<void>;
}

export async function startPlugin(options: Record<string, unknown>, setup: { dataDir: string; localDomains?: readonly string[] }): Promise<Harness> {
  const filled = validateWithSchema<DsnOptions>(dsn.options!, options);
  if (!filled.ok) throw new Error(`bad options: ${JSON.stringify(filled.issues)}`);
  const taps = new Map<HookName, HookFn<HookName>>();
  const accounts = setup.localDomains
    ? ({
        resolveRecipient: async (address: string) => (setup.localDomains!.includes(address.split('@').pop()!) ? { kind: 'local', accounts: [address] } : { kind: 'remote' }),
      } as unknown as AccountDirectory)
    : undefined;
  const harness: Harness = {
    queued: [],
    answer: () => ({ verdict: accept(), by: 'fake-queue' }),
    bounce: (event) => run('bounce', event),
    delayed: (event) => run('delayed', event),
    delivered: (event) => run('delivered', event),
  };
  const run = async (hook: HookName, event: unknown): Promise<void> => {
    const fn = taps.get(hook);
    if (!fn) throw new Error(`no tap for ${hook}`);
    await (fn as (e: unknown) => Promise<unknown>)(event);
  };
  const ctx = {
    name: 'dsn',
    mode: 'server',
    log: silentLogger(),
    hostname: 'mx.test',
    dataDir: setup.dataDir,
    resolvePath: (path: string) => path,
    on: (hook: HookName, fn: HookFn<HookName>) => void taps.set(hook, fn),
    provide: () => undefined,
    service: () => {
      throw new Error('no needs');
    },
    optionalService: () => accounts,
    onStart: () => undefined,
    onStop: () => undefined,
    admin: () => undefined,
    adviseDns: () => undefined,
    lifecycle: {
      enqueue: async (request: QueueRequest) => {
        const outcome = harness.answer(request);
        if (outcome.verdict.action === 'accept') harness.queued.push(request);
        return outcome;
      },
      deliver: () => Promise.reject(new Error('not here')),
      bounce: () => Promise.reject(new Error('not here')),
      delivered: () => Promise.reject(new Error('not here')),
      delayed: () => Promise.reject(new Error('not here')),
    },
  } as unknown as PluginContext;
  await dsn.setup(ctx, filled.value);
  return harness;
}

export const ORIGINAL = Buffer.from(
  'Received: from client.test by mx.test; Mon, 1 Jan 2024 00:00:00 +0000\r\n' +
    'From: Alice <alice@localhost>\r\n' +
    'To: bob@failing.test\r\n' +
    'Subject: Lunch\r\n' +
    'Message-ID: <lunch@localhost>\r\n' +
    '\r\n' +
    'Shall we have lunch?\r\n',
);

export function envelope(overrides: Partial<Envelope> = {}): Envelope {
  return {
    id: 'm0abcdef0123456789',
    mailFrom: 'alice@localhost',
    mailFromParams: {},
    recipients: [{ address: 'bob@failing.test', params: {} }],
    receivedAt: '2024-01-01T00:00:00.000Z',
    origin: { listener: 'mx', role: 'mx', remoteAddress: '127.0.0.1', tls: false },
    notes: {},
    ...overrides,
  };
}

export function bounceEvent(
  env: Envelope,
  failures: { recipient?: EnvelopeRecipient; index?: number; reply: SmtpReply; reason?: 'failed' | 'expired'; by?: string }[],
  message: Buffer = ORIGINAL,
): BounceEvent {
  return {
    envelope: env,
    failures: failures.map((f) => ({ recipient: f.recipient ?? env.recipients[f.index ?? 0]!, reply: f.reply, reason: f.reason ?? 'failed', by: f.by })),
    read: async () => message,
    log: silentLogger(),
  };
}

export function delayedEvent(env: Envelope, index: number, reply: SmtpReply, by?: string, message: Buffer = ORIGINAL): DelayedEvent {
  return {
    envelope: env,
    recipient: env.recipients[index]!,
    recipientIndex: index,
    reply,
    by,
    attempts: 2,
    nextAttemptAt: new Date(Date.now() + 60_000),
    read: async () => message,
    log: silentLogger(),
  };
}

export function deliveredEvent(env: Envelope, index: number, reply: SmtpReply, by?: string, message: Buffer = ORIGINAL): DeliveredEvent {
  return { envelope: env, recipient: env.recipients[index]!, recipientIndex: index, reply, by, read: async () => message, log: silentLogger() };
}
