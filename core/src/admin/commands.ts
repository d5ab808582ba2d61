import { Accounts, type JsonValue, Queue, type QueueEntry, type ServiceToken } from '@posthorn/contracts';
import { PosthornError } from '../errors.ts';
import type { AdminCommand } from '../plugin.ts';
import { type DnsAdvisor, dnsRecords } from './dns-records.ts';

type Args = Readonly<Record<string, JsonValue>>;

function requireString(args: Args, key: string): string {
  const value = args[key];
  if (typeof value !== 'string' || value === '') throw new PosthornError('PH_ADMIN_UNKNOWN', `missing argument: ${key}`);
  return value;
}

function summary(entry: QueueEntry): JsonValue {
  const next = entry.recipients
    .map((r) => r.nextAttemptAt)
    .filter((t): t is string => Boolean(t))
    .sort()[0];
  return {
    id: entry.envelope.id,
    from: entry.envelope.mailFrom,
    size: entry.size,
    receivedAt: entry.envelope.receivedAt,
    nextAttemptAt: next ?? null,
    recipients: entry.recipients.map((r) => ({
      address: r.address,
      status: r.status,
      attempts: r.attempts,
      nextAttemptAt: r.nextAttemptAt ?? null,
      lastReply: r.lastReply ? `${r.lastReply.code} ${r.lastReply.enhanced} ${r.lastReply.lines.join(' ')}` : null,
      lastReplyBy: r.lastReply?.by ?? null,
    })),
  };
}

/**
 * The admin commands the core offers on top of the service contracts, so that every
 * implementation of a contract (files today, PostgreSQL later) gets the same CLI.
 */
export function coreAdminCommands(
  service: <T>(token: ServiceToken<T>) => T | undefined,
  dns: { readonly hostname: string; readonly advisors: readonly DnsAdvisor[] },
): Record<string, AdminCommand> {
  const queue = () => {
    const q = service(Queue);
    if (!q) throw new PosthornError('PH_SERVICE_MISSING', 'no queue plugin is configured');
    return q;
  };
  const accounts = () => {
    const a = service(Accounts);
    if (!a) throw new PosthornError('PH_SERVICE_MISSING', 'no account directory plugin is configured');
    return a;
  };
  return {
    'dns.records': {
      description: 'Records a local domain needs in DNS: MX, SPF, DKIM, DMARC, and PTR advice',
      run: (args) => dnsRecords(args, dns.hostname, service, dns.advisors),
    },
    'queue.list': {
      description: 'List queued messages with per-recipient state',
      run: async () => (await queue().list()).map(summary),
    },
    'queue.show': {
      description: 'Show one queued message: envelope, recipients, header',
      run: async (args) => {
        const id = requireString(args, 'id');
        const entry = await queue().get(id);
        if (!entry) throw new PosthornError('PH_ADMIN_UNKNOWN', `no queued message ${id}`);
        const raw = await queue().read(id);
        const end = raw.indexOf('\r\n\r\n');
        return {
          ...(summary(entry) as Record<string, JsonValue>),
          origin: entry.envelope.origin as unknown as JsonValue,
          header: raw.toString('utf8', 0, end === -1 ? Math.min(raw.length, 65536) : end),
        };
      },
    },
    'queue.retry': {
      description: 'Make deferred recipients due now (one message, or all)',
      run: async (args) => ({ retried: await queue().retry(typeof args.id === 'string' ? args.id : undefined) }),
    },
    'queue.delete': {
      description: 'Remove a message from the queue without delivering or bouncing it',
      run: async (args) => {
        const id = requireString(args, 'id');
        if (!(await queue().remove(id))) throw new PosthornError('PH_ADMIN_UNKNOWN', `no queued message ${id}`);
        return { deleted: id };
      },
    },
    'user.list': {
      description: 'List accounts',
      run: async () => (await accounts().listAccounts()).map((a) => ({ id: a.id, addresses: [...a.addresses], displayName: a.displayName ?? null })),
    },
    'user.add': {
      description: 'Add an account',
      run: async (args) => {
        const account = await accounts().addAccount(requireString(args, 'address'), requireString(args, 'password'), {
          ...(typeof args.name === 'string' ? { displayName: args.name } : {}),
        });
        return { added: account.id };
      },
    },
    'user.del': {
      description: 'Remove an account (its mailboxes stay on disk)',
      run: async (args) => {
        const address = requireString(args, 'address');
        if (!(await accounts().removeAccount(address))) throw new PosthornError('PH_ADMIN_UNKNOWN', `no account ${address}`);
        return { removed: address };
      },
    },
    'user.passwd': {
      description: "Change an account's password",
      run: async (args) => {
        const address = requireString(args, 'address');
        if (!(await accounts().setPassword(address, requireString(args, 'password')))) throw new PosthornError('PH_ADMIN_UNKNOWN', `no account ${address}`);
        return { changed: address };
      },
    },
  };
}
