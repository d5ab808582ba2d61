import { type AccessListenerOptions, accessListenerSchema, type ThrottleOptions, throttleOptionProperties } from '@posthorn/core';

/** A IMAP listener: the listener options every mail access protocol shares. */
export type ImapListenerOptions = AccessListenerOptions;

export interface ImapOptions extends ThrottleOptions {
  readonly listeners: readonly ImapListenerOptions[];
  /** Autologout timer in ms (RFC 9051 5.4: at least 30 minutes). */
  readonly idleTimeout: number;
  /** Longest line of a command, CRLF included (literals are counted apart). */
  readonly maxLineLength: number;
  /** Largest literal outside APPEND. */
  readonly maxLiteral: number;
  /** Largest message APPEND takes (advertised as APPENDLIMIT). */
  readonly maxMessageSize: number;
  /** Commands allowed before a successful login. */
  readonly maxUnauthenticatedCommands: number;
  /** BAD answers in a row before the connection is closed. */
  readonly maxErrors: number;
  /** Sessions one account may have open at once, across listeners. */
  readonly maxSessionsPerUser: number;
  /** Ms to let busy sessions finish their command when the server stops. */
  readonly shutdownGrace: number;
  /** Parsed messages kept in memory for FETCH and SEARCH, in bytes of raw message. */
  readonly messageCacheBytes: number;
}

const listenerSchema = accessListenerSchema(50);

export const optionsSchema = {
  type: 'object',
  properties: {
    listeners: {
      type: 'array',
      items: listenerSchema,
      default: [
        { host: '127.0.0.1', port: 2143, tls: 'starttls' },
        { host: '127.0.0.1', port: 2993, tls: 'implicit' },
      ],
    },
    // RFC 9051 asks for at least 30 minutes; shorter values are allowed for tests and are logged.
    idleTimeout: { type: 'integer', minimum: 1000, default: 1800000 },
    maxLineLength: { type: 'integer', minimum: 1024, maximum: 1048576, default: 65536 },
    maxLiteral: { type: 'integer', minimum: 1024, maximum: 16777216, default: 65536 },
    maxMessageSize: { type: 'integer', minimum: 1024, default: 52428800 },
    maxUnauthenticatedCommands: { type: 'integer', minimum: 3, default: 30 },
    maxErrors: { type: 'integer', minimum: 1, default: 20 },
    maxSessionsPerUser: { type: 'integer', minimum: 1, default: 50 },
    shutdownGrace: { type: 'integer', minimum: 0, default: 10000 },
    ...throttleOptionProperties,
    messageCacheBytes: { type: 'integer', minimum: 0, default: 67108864 },
  },
} as const;
