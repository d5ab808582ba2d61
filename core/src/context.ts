import type { Envelope, EnvelopeRecipient, JsonValue } from '@posthorn/contracts';
import type { Logger } from 'pino';
import type { MessageContent } from './message/message.ts';
import type { SmtpReply } from './reply.ts';

export type ListenerRole = 'mx' | 'submission' | 'submissions';

export interface ListenerInfo {
  readonly name: string;
  readonly role: ListenerRole;
}

/** The identity an `auth` tap established. */
export interface AuthenticatedUser {
  /** Account id from the account directory (canonical address). */
  readonly id: string;
  /** What the client typed as login name. */
  readonly login: string;
  readonly method: string;
}

/** One SMTP connection, as plugins see it. */
export interface Session {
  /** Connection id, unique for the life of the process; bound into `log` as `cid`. */
  readonly id: string;
  readonly listener: ListenerInfo;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Name from the reverse lookup, when there is one and it looks like a host name. */
  readonly remoteHostname: string | undefined;
  readonly localAddress: string;
  readonly localPort: number;
  /** True once TLS is active (implicit TLS or after STARTTLS). */
  readonly tls: boolean;
  /** The name given in HELO/EHLO, once given. */
  readonly helo: string | undefined;
  /** True when the client greeted with EHLO. */
  readonly esmtp: boolean;
  readonly user: AuthenticatedUser | undefined;
  readonly log: Logger;
  /** Per-connection scratch space for plugins, keyed by plugin name by convention. */
  readonly state: Map<string, unknown>;
}

/** The parameters of MAIL FROM. */
export interface Sender {
  /** Reverse-path; the empty string is the null sender `<>`. */
  readonly address: string;
  readonly params: Readonly<Record<string, string>>;
}

/** One mail transaction: MAIL FROM up to the end of DATA (or RSET). */
export interface Transaction {
  /** Transaction id; becomes the queue id. Bound into `log` as `tid`. */
  readonly id: string;
  readonly session: Session;
  readonly mailFrom: Sender;
  /** Recipients accepted so far, in RCPT order. */
  readonly recipients: readonly EnvelopeRecipient[];
  /**
   * Per-message plugin data. Must stay JSON-serialisable: it is stored with the queued message
   * and handed back at delivery.
   */
  readonly notes: Record<string, JsonValue>;
  readonly log: Logger;
}

export interface HeloCommand {
  readonly name: string;
  readonly extended: boolean;
}

export interface AuthRequest {
  readonly method: string;
  readonly login: string;
  /** Plain-text password for PLAIN and LOGIN. */
  readonly password: string | undefined;
  /** For challenge-response mechanisms (CRAM-MD5): checks a candidate shared secret. */
  readonly validatePassword: ((secret: string) => boolean) | undefined;
}

export type AuthVerdict =
  | { readonly action: 'accept'; readonly user: AuthenticatedUser }
  | { readonly action: 'reject'; readonly reply: SmtpReply };

/** What the queue step is handed: a complete envelope and the final message bytes. */
export interface QueueRequest {
  readonly envelope: Envelope;
  readonly message: Buffer;
  readonly log: Logger;
}

/** One delivery attempt of a queued message to one recipient. */
export interface Delivery {
  readonly envelope: Envelope;
  readonly recipient: EnvelopeRecipient;
  /** Index of the recipient in `envelope.recipients`; with the queue id it names this delivery. */
  readonly recipientIndex: number;
  /** Attempt number, 1 for the first. */
  readonly attempt: number;
  readonly size: number;
  /** Reads the message bytes (from the queue's store). */
  read(): Promise<Buffer>;
  readonly log: Logger;
}

/** Why recipients of a message will never be delivered. */
export interface BounceEvent {
  readonly envelope: Envelope;
  readonly failures: readonly {
    readonly recipient: EnvelopeRecipient;
    readonly reply: SmtpReply;
    /** `failed`: a permanent reply; `expired`: retried until the maximum age. */
    readonly reason: 'failed' | 'expired';
    /** Host or plugin that gave the reply. */
    readonly by: string | undefined;
  }[];
  read(): Promise<Buffer>;
  readonly log: Logger;
}

/** A recipient was delivered (the deliver hook accepted it). */
export interface DeliveredEvent {
  readonly envelope: Envelope;
  readonly recipient: EnvelopeRecipient;
  readonly recipientIndex: number;
  /** The positive reply of the delivery (a remote server's 250, or the local store's). */
  readonly reply: SmtpReply;
  /** Host or plugin that took the message. */
  readonly by: string | undefined;
  read(): Promise<Buffer>;
  readonly log: Logger;
}

/** A recipient's delivery failed temporarily and will be tried again. */
export interface DelayedEvent {
  readonly envelope: Envelope;
  readonly recipient: EnvelopeRecipient;
  readonly recipientIndex: number;
  /** The temporary failure of the last attempt. */
  readonly reply: SmtpReply;
  readonly by: string | undefined;
  readonly attempts: number;
  readonly nextAttemptAt: Date;
  read(): Promise<Buffer>;
  readonly log: Logger;
}

export type { MessageContent };
