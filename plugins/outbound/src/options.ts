/** How a connection uses TLS. `implicit`: TLS from the first byte (port 465 style). */
export type TlsMode = 'none' | 'opportunistic' | 'required' | 'implicit';

export interface RouteAuth {
  readonly user: string;
  readonly pass: string;
}

/** A static route: mail for a domain (or for every domain, `*`) goes to this host instead of its MX. */
export interface RouteOptions {
  readonly host: string;
  readonly port?: number;
  readonly tls: TlsMode;
  /** Verify the certificate (chain and host name); defaults to `verifyCertificates`. */
  readonly verify?: boolean;
  readonly auth?: RouteAuth;
  /** Connections to this route at once; defaults to `maxConnectionsPerDomain`. */
  readonly maxConnections?: number;
}

/** Options as the operator writes them (seconds), after the loader filled the defaults. */
export interface OutboundOptions {
  readonly port: number;
  readonly heloName?: string;
  readonly tls: 'none' | 'opportunistic' | 'required';
  readonly verifyCertificates: boolean;
  readonly ca?: string;
  readonly routes: Readonly<Record<string, RouteOptions>>;
  readonly maxConnections: number;
  readonly maxConnectionsPerDomain: number;
  readonly maxMessagesPerConnection: number;
  readonly idleTimeout: number;
  readonly timeouts: { readonly connect: number; readonly greeting: number; readonly socket: number };
}

const routeSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['host'],
  properties: {
    host: { type: 'string', minLength: 1, description: 'Host name or IP address (no MX lookup)' },
    port: { type: 'integer', minimum: 1, maximum: 65535, description: 'Default: 465 for tls implicit, else the top-level port' },
    tls: { enum: ['none', 'opportunistic', 'required', 'implicit'], default: 'opportunistic' },
    verify: { type: 'boolean', description: 'Verify the certificate; default verifyCertificates' },
    auth: {
      type: 'object',
      additionalProperties: false,
      required: ['user', 'pass'],
      properties: { user: { type: 'string', minLength: 1 }, pass: { type: 'string' } },
    },
    maxConnections: { type: 'integer', minimum: 1, description: 'Connections to this route at once; default maxConnectionsPerDomain' },
  },
} as const;

/** JSON Schema of the options; the loader refuses unknown keys and fills these defaults. */
export const optionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    port: { type: 'integer', minimum: 1, maximum: 65535, default: 25, description: 'Port of mail exchangers (and of routes without their own)' },
    heloName: { type: 'string', minLength: 1, description: 'Name given in EHLO; default the server hostname' },
    tls: { enum: ['none', 'opportunistic', 'required'], default: 'opportunistic', description: 'STARTTLS towards mail exchangers' },
    verifyCertificates: { type: 'boolean', default: false, description: 'Verify certificates whenever TLS is used' },
    ca: { type: 'string', minLength: 1, description: 'PEM file of extra trusted CA certificates' },
    routes: {
      type: 'object',
      default: {},
      propertyNames: { pattern: '^(\\*|\\.?[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?)$' },
      additionalProperties: routeSchema,
    },
    maxConnections: { type: 'integer', minimum: 1, default: 100, description: 'Open connections at once, all destinations' },
    maxConnectionsPerDomain: { type: 'integer', minimum: 1, default: 10, description: 'Connections in use at once per destination' },
    maxMessagesPerConnection: { type: 'integer', minimum: 1, default: 100, description: 'Transactions over one connection before it is closed' },
    idleTimeout: { type: 'number', exclusiveMinimum: 0, default: 5, description: 'Seconds an unused connection is kept for reuse' },
    timeouts: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        connect: { type: 'number', exclusiveMinimum: 0, default: 30, description: 'Seconds to open a TCP connection' },
        greeting: { type: 'number', exclusiveMinimum: 0, default: 300, description: 'Seconds to wait for the greeting (and EHLO, STARTTLS)' },
        socket: { type: 'number', exclusiveMinimum: 0, default: 600, description: 'Seconds of silence after a command before giving up' },
      },
    },
  },
} as const;
