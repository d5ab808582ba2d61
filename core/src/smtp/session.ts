import type { EnvelopeRecipient, JsonValue } from '@posthorn/contracts';
import type { Logger } from 'pino';
import type { SMTPServerAddress, SMTPServerSession } from 'smtp-server';
import type { AuthenticatedUser, ListenerInfo, Sender, Session, Transaction } from '../context.ts';

/** smtp-server's session object, with what we attach to it. */
export type RawSession = SMTPServerSession & Record<symbol, unknown>;

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

/** The plugin-facing view of one SMTP connection, backed by smtp-server's session object. */
export class SmtpSession implements Session {
  readonly id: string;
  readonly listener: ListenerInfo;
  user: AuthenticatedUser | undefined;
  /** The transaction in progress, if any. */
  transaction: SmtpTransaction | undefined;
  readonly #raw: RawSession;
  readonly #parentLog: Logger;
  // Made on first use: most connections never log anything of their own and no plugin keeps
  // state on them, and with thousands of idle connections every object counts.
  #log: Logger | undefined;
  #state: Map<string, unknown> | undefined;

  constructor(raw: RawSession, listener: ListenerInfo, log: Logger) {
    this.#raw = raw;
    this.id = raw.id;
    this.listener = listener;
    this.#parentLog = log;
  }

  get log(): Logger {
    return (this.#log ??= this.#parentLog.child({ cid: this.#raw.id, ip: this.#raw.remoteAddress }));
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
