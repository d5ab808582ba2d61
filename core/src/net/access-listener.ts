import { createSecureContext, type SecureContext } from 'node:tls';
import { PosthornError } from '../errors.ts';
import type { PluginContext } from '../plugin.ts';
import type { SessionListener, SessionListenerOptions } from './session-listener.ts';

/** How a mail access listener does TLS: an upgrade command on a plain port, or TLS from the first byte. */
export type TlsMode = 'starttls' | 'implicit';

/** One listener of a mail access protocol (POP3, IMAP), as an operator configures it. */
export interface AccessListenerOptions {
  /** Unique across the server; reported in the `ready` line. Default `<protocol>` / `<protocol>s` by TLS mode. */
  readonly name?: string;
  readonly host: string;
  readonly port: number;
  readonly tls: TlsMode;
  /**
   * Take passwords without TLS from loopback clients (127.0.0.0/8, ::1) on this listener: for
   * local testing only. Anyone else must upgrade to TLS first, whatever this says.
   */
  readonly allowInsecureAuth: boolean;
  readonly maxConnections: number;
  readonly maxConnectionsPerIp: number;
}

/** The JSON Schema of one AccessListenerOptions; protocols differ only in the per-IP default. */
export function accessListenerSchema(defaultMaxConnectionsPerIp: number) {
  return {
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
      maxConnectionsPerIp: { type: 'integer', minimum: 1, default: defaultMaxConnectionsPerIp },
    },
  } as const;
}

/** The listener's name when the config gives none: `imap` / `imaps`, `pop3` / `pop3s`. */
export function accessListenerName(listener: AccessListenerOptions, protocol: string): string {
  return listener.name ?? (listener.tls === 'implicit' ? `${protocol}s` : protocol);
}

/** The SessionListener settings of a configured access listener. */
export function accessListenerSettings(listener: AccessListenerOptions, protocol: string, refusal: (closing: boolean) => string): SessionListenerOptions {
  return {
    name: accessListenerName(listener, protocol),
    host: listener.host,
    port: listener.port,
    implicitTls: listener.tls === 'implicit',
    maxConnections: listener.maxConnections,
    maxConnectionsPerIp: listener.maxConnectionsPerIp,
    protocol,
    refusal,
  };
}

/** Refuses two listeners of one protocol with the same name (their `ready` lines would collide). */
export function checkAccessListenerNames(listeners: readonly AccessListenerOptions[], protocol: string): void {
  const names = listeners.map((listener) => accessListenerName(listener, protocol));
  const duplicate = names.find((name, i) => names.indexOf(name) !== i);
  if (duplicate) throw new Error(`two ${protocol.toUpperCase()} listeners are named ${duplicate}; give them distinct names`);
}

/**
 * Runs a plugin's access listeners with the server: on start each is created (with the
 * server's TLS material), listens and is announced; on stop they close with the grace period.
 * A port that cannot be bound stops the start with PH_LISTENER.
 */
export function serveAccessListeners(
  ctx: PluginContext,
  protocol: string,
  configs: readonly AccessListenerOptions[],
  shutdownGraceMs: number,
  create: (config: AccessListenerOptions, tls: { key: Buffer; cert: Buffer }, secureContext: SecureContext) => SessionListener,
): void {
  checkAccessListenerNames(configs, protocol);
  const listeners: SessionListener[] = [];
  ctx.onStart(async () => {
    const tls = await ctx.tls();
    const secureContext = createSecureContext({ key: tls.key, cert: tls.cert, minVersion: 'TLSv1.2' });
    for (const config of configs) {
      const listener = create(config, tls, secureContext);
      let address;
      try {
        address = await listener.listen();
      } catch (err) {
        throw new PosthornError('PH_LISTENER', `listener ${listener.name} cannot listen on ${config.host}:${config.port}: ${(err as Error).message}`, { listener: listener.name, plugin: protocol }, { cause: err });
      }
      listeners.push(listener);
      ctx.listening({ name: listener.name, role: config.tls === 'implicit' ? `${protocol}s` : protocol, host: address.address, port: address.port });
    }
  });
  ctx.onStop(async () => {
    const open = listeners.splice(0);
    await Promise.all(open.map((listener) => listener.close(shutdownGraceMs)));
  });
}
