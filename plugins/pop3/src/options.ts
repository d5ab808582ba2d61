import { type AccessListenerOptions, accessListenerSchema, type ThrottleOptions, throttleOptionProperties } from '@posthorn/core';

/** A POP3 listener: the listener options every mail access protocol shares. */
export type Pop3ListenerOptions = AccessListenerOptions;

export interface Pop3Options extends ThrottleOptions {
  readonly listeners: readonly Pop3ListenerOptions[];
  /** The mailbox served as the maildrop. */
  readonly mailbox: string;
  /** Autologout timer in ms (RFC 1939 3: at least 10 minutes). */
  readonly idleTimeout: number;
  /** Longest command line, CRLF included (RFC 2449 4 says clients stay within 255). */
  readonly maxLineLength: number;
  /** Commands allowed in one session, of any kind. */
  readonly maxCommands: number;
  /** Commands allowed before a successful login. */
  readonly maxUnauthenticatedCommands: number;
  /** `-ERR` answers to unknown, malformed or misplaced commands before the connection is closed. */
  readonly maxErrors: number;
  /** RFC 2449 LOGIN-DELAY: seconds between two logins of one account; 0 leaves it out. */
  readonly loginDelaySeconds: number;
  /** Ms to let busy sessions finish their command when the server stops. */
  readonly shutdownGrace: number;
}

const listenerSchema = accessListenerSchema(20);

export const optionsSchema = {
  type: 'object',
  properties: {
    listeners: {
      type: 'array',
      items: listenerSchema,
      default: [
        { host: '127.0.0.1', port: 2110, tls: 'starttls' },
        { host: '127.0.0.1', port: 2995, tls: 'implicit' },
      ],
    },
    mailbox: { type: 'string', minLength: 1, default: 'INBOX' },
    // RFC 1939 asks for at least 10 minutes; shorter values are allowed for tests and are logged.
    idleTimeout: { type: 'integer', minimum: 1000, default: 600000 },
    // 255 is RFC 2449's limit for clients; passwords and AUTH PLAIN lines of real clients can be
    // longer, and a longer line costs us nothing (it is bounded either way).
    maxLineLength: { type: 'integer', minimum: 255, maximum: 65536, default: 2048 },
    maxCommands: { type: 'integer', minimum: 10, default: 100000 },
    maxUnauthenticatedCommands: { type: 'integer', minimum: 3, default: 20 },
    maxErrors: { type: 'integer', minimum: 1, default: 10 },
    loginDelaySeconds: { type: 'integer', minimum: 0, default: 0 },
    shutdownGrace: { type: 'integer', minimum: 0, default: 10000 },
    ...throttleOptionProperties,
  },
} as const;
