/** JSON value: what plugins may store in per-message notes, which travel with the queue. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** An envelope recipient as given in RCPT TO, with its ESMTP parameters (DSN: NOTIFY, ORCPT). */
export interface EnvelopeRecipient {
  readonly address: string;
  readonly params: Readonly<Record<string, string>>;
}

/** Facts about the SMTP session that handed a message over, kept for trace and policy. */
export interface EnvelopeOrigin {
  readonly listener: string;
  readonly role: string;
  readonly remoteAddress: string;
  readonly remoteHostname?: string;
  readonly helo?: string;
  readonly user?: string;
  readonly tls: boolean;
}

/**
 * What the queue stores beside each message. It is serialised as JSON, so everything in it is
 * plain data.
 */
export interface Envelope {
  /** Queue id: unique, URL- and filename-safe. Also the transaction id that accepted it. */
  readonly id: string;
  /** Envelope sender; the empty string is the null reverse-path `<>` (bounces). */
  readonly mailFrom: string;
  readonly mailFromParams: Readonly<Record<string, string>>;
  readonly recipients: readonly EnvelopeRecipient[];
  /** ISO 8601 time at which the message was accepted. */
  readonly receivedAt: string;
  readonly origin: EnvelopeOrigin;
  /** Per-message data that plugins recorded during the transaction (maddy-style). */
  readonly notes: Readonly<Record<string, JsonValue>>;
}
