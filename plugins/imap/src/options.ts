import { type ThrottleOptions, throttleOptionProperties } from '@posthorn/core';

/** How a listener does TLS: STARTTLS on a plain port (143 style), or TLS from the first byte (993). */
export type TlsMode = 'starttls' | 'implicit';

export interface ImapListenerOptions {
  /** Unique across the server; reported in the `ready` line. Default `imap` / `imaps` by TLS mode. */
  readonly name?: string;
  readonly host: string;
  readonly port: number;
  readonly tls: TlsMode;
  /**
   * Take passwords without TLS from loopback clients (127.0.0.0/8, ::1) on this listener: for
   * local testing only. Anyone else must use STARTTLS first, whatever this says.
   */
  readonly allowInsecureAuth: boolean;
  readonly maxConnections: number;
  readonly maxConnectionsPerIp: number;
}

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

const listenerSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['port'],
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$' },
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'integer', minimum: 0, maximum: 65535 },
    tls: { enum: ['starttls', 'implicit'], default: 'starttls' },
    allowInsecureAuth: { type: 'boolean', default: false },
    maxConnections: { type: 'integer', minimum: 1, default: 1000 },
    maxConnectionsPerIp: { type: 'integer', minimum: 1, default: 50 },
  },
} as const;

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

/** The listener's name when the config gives none. */
export function listenerName(listener: ImapListenerOptions): string {
  return listener.name ?? (listener.tls === 'implicit' ? 'imaps' : 'imap');
}
