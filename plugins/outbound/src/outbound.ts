import type { AccountDirectory, DnsResolver, EnvelopeRecipient } from '@posthorn/contracts';
import { type Delivery, type Logger, reject, type Verdict } from '@posthorn/core';
import { Coalescer } from './coalesce.ts';
import { DestinationLimiter } from './limits.ts';
import type { OutboundOptions } from './options.ts';
import { ConnectionPool } from './pool.ts';
import { LocalReplies } from './replies.ts';
import { type Destination, destinationLabel, destinationOf, domainOf, planHops, type RouteTable, routeTable } from './routing.ts';
import { deliverToHops } from './transaction.ts';

export interface OutboundDeps {
  readonly options: OutboundOptions;
  readonly resolver: DnsResolver;
  readonly accounts: AccountDirectory | undefined;
  readonly heloName: string;
  readonly ca: readonly string[] | undefined;
  readonly log: Logger;
}

interface Item {
  readonly delivery: Delivery;
  readonly destination: Destination;
}

/**
 * Remote delivery: decides which recipients are ours (not in a local domain), gathers the ones
 * of one message going to one destination into a single transaction, and runs it within the
 * per-destination and overall connection limits.
 */
export class Outbound {
  readonly #options: OutboundOptions;
  readonly #resolver: DnsResolver;
  readonly #accounts: AccountDirectory | undefined;
  readonly #log: Logger;
  readonly #routes: RouteTable;
  readonly #pool: ConnectionPool;
  readonly #limiter = new DestinationLimiter();
  readonly #coalescer: Coalescer<Item, Verdict>;

  constructor(deps: OutboundDeps) {
    const { options } = deps;
    this.#options = options;
    this.#resolver = deps.resolver;
    this.#accounts = deps.accounts;
    this.#log = deps.log;
    this.#routes = routeTable(options.routes);
    this.#pool = new ConnectionPool({
      settings: {
        heloName: deps.heloName,
        ...(deps.ca ? { ca: deps.ca } : {}),
        connectTimeoutMs: options.timeouts.connect * 1000,
        greetingTimeoutMs: options.timeouts.greeting * 1000,
        socketTimeoutMs: options.timeouts.socket * 1000,
      },
      maxConnections: options.maxConnections,
      maxTransactionsPerConnection: options.maxMessagesPerConnection,
      idleTimeoutMs: options.idleTimeout * 1000,
    });
    this.#coalescer = new Coalescer((_key, items) => this.#deliverBatch(items));
  }

  /** The deliver tap: undefined for recipients that are not ours (local domains, no domain). */
  async deliver(delivery: Delivery): Promise<Verdict | undefined> {
    const address = delivery.recipient.address;
    const domain = domainOf(address);
    if (!domain) return undefined;
    // The directory is asked with the domain as the sender wrote it; DNS gets the A-label.
    if (this.#accounts && (await this.#accounts.isLocalDomain(address.slice(address.lastIndexOf('@') + 1).toLowerCase()))) return undefined;
    const destination = destinationOf(domain, this.#routes);
    return this.#coalescer.add(`${delivery.envelope.id}\n${destination.key}`, { delivery, destination });
  }

  close(): void {
    this.#pool.close();
  }

  async #deliverBatch(items: readonly Item[]): Promise<Verdict[]> {
    const { delivery: first, destination } = items[0]!;
    const log = first.log.child({ plugin: 'outbound', destination: destination.key });
    try {
      // A recipient given twice in one envelope is sent once; both get the answer.
      const recipients = new Map<string, EnvelopeRecipient>();
      for (const { delivery } of items) if (!recipients.has(delivery.recipient.address)) recipients.set(delivery.recipient.address, delivery.recipient);
      if (items.length > 1) log.debug({ recipients: recipients.size }, 'recipients gathered into one transaction');
      const plan = await planHops(destination, this.#options, this.#resolver);
      if ('reply' in plan) {
        log.info({ rcpts: [...recipients.keys()], detail: plan.detail, code: plan.reply.code, enhanced: plan.reply.enhanced, reply: plan.reply.lines.join(' ') }, 'no route to destination');
        return items.map(() => reject(plan.reply));
      }
      const message = await first.read();
      const limit = destination.kind === 'route' ? (destination.route.maxConnections ?? this.#options.maxConnectionsPerDomain) : this.#options.maxConnectionsPerDomain;
      const release = await this.#limiter.acquire(destination.key, limit, log);
      let verdicts;
      try {
        verdicts = await deliverToHops({ pool: this.#pool, resolver: this.#resolver, log }, plan.hops, destinationLabel(destination), first.envelope, [...recipients.values()], message);
      } finally {
        release();
      }
      return items.map(({ delivery }) => verdicts.get(delivery.recipient.address) ?? reject(LocalReplies.internal()));
    } catch (err) {
      log.error({ err }, 'remote delivery failed unexpectedly');
      return items.map(() => reject(LocalReplies.internal()));
    }
  }
}
