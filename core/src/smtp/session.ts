import type { EnvelopeRecipient, JsonValue } from '@posthorn/contracts';
import type { Logger } from 'pino';
import type { SMTPServerAddress, SMTPServerSession } from 'smtp-server';
import type { AuthenticatedUser, ListenerInfo, Sender, Session, Transaction } from '../context.ts';

/** smtp-server's session object, with what we attach to it. */
export type RawSession = SMTPServerSession & Record<symbol, unknown>;

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

/** What every session of one listener shares: one object per listener, not per connection. */
export interface SessionShared {
  readonly listener: ListenerInfo;
  /** The listener's logger; a session's own logger is a child of it. */
  readonly log: Logger;
}

/**
 * The plugin-facing view of one SMTP connection, backed by smtp-server's session object.
 * Thousands can be open at once, so it holds only what differs per connection; the rest is
 * read from smtp-server's session or from what the listener's sessions share.
 */
export class SmtpSession implements Session {
  user: AuthenticatedUser | undefined = undefined;
  /** The transaction in progress, if any. */
  transaction: SmtpTransaction | undefined = undefined;
  readonly #raw: RawSession;
  readonly #shared: SessionShared;
  // Made on first use: most connections never log anything of their own and no plugin keeps
  // state on them, and with thousands of idle connections every object counts.
  #log: Logger | undefined = undefined;
  #state: Map<string, unknown> | undefined = undefined;

  constructor(raw: RawSession, shared: SessionShared) {
    this.#raw = raw;
    this.#shared = shared;
  }

  get id(): string {
    return this.#raw.id;
  }

  get listener(): ListenerInfo {
    return this.#shared.listener;
  }

  get log(): Logger {
    return (this.#log ??= this.#shared.log.child({ cid: this.#raw.id, ip: this.#raw.remoteAddress }));
  }

  get state(): Map<string, unknown> {
    return (this.#state ??= new Map());
  }

  get remoteAddress(): string {
    return this.#raw.remoteAddress;
  }
  get remotePort(): number {
    return this.#raw.remotePort;
  }
  get remoteHostname(): string | undefined {
    const name = this.#raw.clientHostname;
    // smtp-server falls back to "[ip]" when there is no usable reverse name.
    return name && !name.startsWith('[') ? name : undefined;
  }
  get localAddress(): string {
    return this.#raw.localAddress;
  }
  get localPort(): number {
    return this.#raw.localPort;
  }
  get tls(): boolean {
    return Boolean(this.#raw.secure);
  }
  get tlsInfo(): { version?: string; cipher?: string } | undefined {
    if (!this.#raw.secure) return undefined;
    const cipher = this.#raw.tlsOptions as { name?: string; version?: string } | false | undefined;
    return cipher ? { version: cipher.version, cipher: cipher.name } : {};
  }
  get helo(): string | undefined {
    return this.#raw.hostNameAppearsAs || undefined;
  }
  get esmtp(): boolean {
    return this.#raw.openingCommand === 'EHLO';
  }
  get isLoopback(): boolean {
    return LOOPBACK.test(this.#raw.remoteAddress);
  }
  /** Recipients smtp-server has accepted in the current transaction. */
  get rawRecipients(): SMTPServerAddress[] {
    return this.#raw.envelope?.rcptTo ?? [];
  }
  get smtpUtf8(): boolean {
    return Boolean((this.#raw.envelope as { smtpUtf8?: boolean } | undefined)?.smtpUtf8);
  }
}

export function paramsOf(address: SMTPServerAddress): Record<string, string> {
  const params: Record<string, string> = {};
  const args = address.args as Record<string, string | boolean> | false | undefined;
  if (args) for (const [key, value] of Object.entries(args)) params[key.toUpperCase()] = value === true ? '' : String(value);
  return params;
}

export class SmtpTransaction implements Transaction {
  readonly id: string;
  readonly session: SmtpSession;
  readonly mailFrom: Sender;
  readonly notes: Record<string, JsonValue> = {};
  #log: Logger | undefined;

  constructor(id: string, session: SmtpSession, mailFrom: Sender) {
    this.id = id;
    this.session = session;
    this.mailFrom = mailFrom;
  }

  get log(): Logger {
    return (this.#log ??= this.session.log.child({ tid: this.id }));
  }

  /** Derived from smtp-server's envelope, so the two never disagree (RSET, repeated RCPT). */
  get recipients(): readonly EnvelopeRecipient[] {
    return this.session.rawRecipients.map((rcpt) => ({ address: rcpt.address, params: paramsOf(rcpt) }));
  }
}
