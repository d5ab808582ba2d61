import { type ThrottleOptions, throttleOptionProperties } from '@posthorn/core';

/** How a listener does TLS: STLS on a plain port (110 style), or TLS from the first byte (995). */
export type TlsMode = 'starttls' | 'implicit';

export interface Pop3ListenerOptions {
  /** Unique across the server; reported in the `ready` line. Default `pop3` / `pop3s` by TLS mode. */
  readonly name?: string;
  readonly host: string;
  readonly port: number;
  readonly tls: TlsMode;
  /**
   * Take passwords without TLS from loopback clients (127.0.0.0/8, ::1) on this listener: for
   * local testing only. Anyone else must use STLS first, whatever this says.
   */
  readonly allowInsecureAuth: boolean;
  readonly maxConnections: number;
  readonly maxConnectionsPerIp: number;
}

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
    maxConnectionsPerIp: { type: 'integer', minimum: 1, default: 20 },
  },
} as const;

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

/** The listener's name when the config gives none. */
export function listenerName(listener: Pop3ListenerOptions): string {
  return listener.name ?? (listener.tls === 'implicit' ? 'pop3s' : 'pop3');
}
