import type { Socket } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import type { SmtpReply } from '../reply.ts';
import { Replies } from '../reply.ts';
import { LeanSmtpConnection } from './lean-connection.ts';
import type { SmtpSession } from './session.ts';

/** What the Posthorn listener supplies to each connection. */
export interface ConnectionHost {
  readonly greetingDelay: number;
  readonly maxConnectionsPerIp: number;
  /** Runs the helo hook; a reply means refuse the greeting. */
  onHelo(session: object, name: string, extended: boolean): Promise<SmtpReply | undefined>;
}

/** Where the connection object is kept on smtp-server's session object. */
export const CONNECTION = Symbol('posthorn.connection');

const EXPLICIT_ENHANCED = /^[245]\.\d{1,3}\.\d{1,3} /;

/**
 * Enhanced codes for smtp-server's own replies where its default mapping is wrong for us.
 * smtp-server derives enhanced codes from basic codes; replies Posthorn makes always carry an
 * explicit one, and these cover the built-in ones that would otherwise be misleading.
 */
const BUILTIN_OVERRIDES: readonly [RegExp, string][] = [
  [/^Error: command not recognized/, '5.5.1'],
  [/^Server shutting down/, '4.3.2'],
  [/You talk too soon$/, '4.7.0'],
  [/^HTTP requests not allowed/, '4.7.0'],
  [/^Error: too many (unrecognized|unauthenticated) commands/, '4.7.0'],
  [/^Error: Must issue a STARTTLS command first/, '5.7.11'],
  // Greeting syntax errors: smtp-server sends them without any enhanced code (context false).
  [/^Error: (syntax|Syntax): (EHLO|HELO|LHLO) hostname$/, '5.5.4'],
  [/^Error: Bad hostname syntax$/, '5.5.4'],
  // An over-long command line closes the connection (421); it is a protocol error, not a timeout.
  [/^Error: Command line too long$/, '4.5.0'],
];

function builtinOverride(data: string): string | undefined {
  for (const [pattern, enhanced] of BUILTIN_OVERRIDES) if (pattern.test(data)) return enhanced;
  return undefined;
}

/**
 * smtp-server's connection with three changes: the pause before the greeting is configurable
 * (smtp-server fixes it at 100 ms), connections per IP are limited, and replies carry the
 * enhanced status code Posthorn chose instead of one derived from the basic code.
 *
 * Thousands of these can sit idle at once, so each carries as little as it can: the listener's
 * settings are read through the server, not copied, and nothing is hung on the socket.
 */
export class PosthornConnection extends LeanSmtpConnection {
  /**
   * The plugin-facing session. Undefined until smtp-server's onConnect; then null until the
   * listener first needs the object (an idle connection may never); then the session. Kept
   * here and not on smtp-server's session object: a property added to that object once
   * smtp-server has filled it in turns it into a slow dictionary-mode object of about 1 KB.
   */
  posthornSession: SmtpSession | null | undefined = undefined;
  /** The address this connection was counted under in the per-IP map, until it is closed. */
  #countedIp: string | undefined = undefined;

  constructor(server: PosthornSmtpServer, socket: Socket, options: unknown) {
    super(server, socket, options);
    // Set while the session object has only its id, so it stays a fast object.
    this.session[CONNECTION] = this;
  }

  get #posthornServer(): PosthornSmtpServer {
    return this._server as unknown as PosthornSmtpServer;
  }

  override init(): void {
    this._setListeners(() => {
      const server = this.#posthornServer;
      const total = Number(server.options.maxClients) || 0;
      if (total && server.connections.size > total) {
        this.send(Replies.tooManyConnections.code, Replies.tooManyConnections.text, false);
        return;
      }
      const ip = this.remoteAddress;
      const count = (server.perIp.get(ip) ?? 0) + 1;
      server.perIp.set(ip, count);
      // Given back in _onClose(), which smtp-server runs for the plain socket and, after
      // STARTTLS, for the TLS socket (a listener on the plain socket would be dropped then).
      this.#countedIp = ip;
      if (count > server.host.maxConnectionsPerIp) {
        this.send(Replies.tooManyConnectionsFromIp.code, Replies.tooManyConnectionsFromIp.text, false);
        return;
      }
      if (server.host.greetingDelay > 0) {
        // Early-talker detection: a client that sends before the greeting is refused.
        setTimeout(() => this.connectionReady(), server.host.greetingDelay).unref();
      } else {
        this.connectionReady();
      }
    });
  }

  override _onClose(): void {
    super._onClose();
    const ip = this.#countedIp;
    if (ip === undefined) return;
    this.#countedIp = undefined;
    const perIp = this.#posthornServer.perIp;
    const left = (perIp.get(ip) ?? 1) - 1;
    if (left > 0) perIp.set(ip, left);
    else perIp.delete(ip);
  }

  override send(code: number, data?: string | string[], context?: string | false): void {
    if (code === 250 && Array.isArray(data) && !this.secure && !this._server.options.allowInsecureAuth) {
      // The EHLO reply (the only multi-line 250). AUTH that would be refused before TLS is not
      // offered either (RFC 4954 4: do not advertise what cannot be used); after STARTTLS the
      // client's new EHLO sees it.
      data = data.filter((line) => !/^AUTH\b/i.test(line));
    }
    if (typeof data === 'string' && EXPLICIT_ENHANCED.test(data)) {
      // A Posthorn reply: the text already starts with its enhanced code.
      super.send(code, data.includes('\n') ? data.split('\n') : data, false);
      return;
    }
    // Also when smtp-server says context false (its HELO/EHLO refusals): every 4xx/5xx that
    // matches an override gets its enhanced code, greeting replies included.
    if (typeof data === 'string' && code >= 400) {
      const enhanced = builtinOverride(data);
      if (enhanced) {
        super.send(code, `${enhanced} ${data}`, false);
        return;
      }
    }
    super.send(code, data, context);
  }

  override handler_EHLO(command: Buffer, callback: () => void): void {
    this.#greet(command, true, () => super.handler_EHLO(command, callback), callback);
  }

  override handler_HELO(command: Buffer, callback: () => void): void {
    this.#greet(command, false, () => super.handler_HELO(command, callback), callback);
  }

  /** Runs the helo hook before smtp-server answers the greeting. */
  #greet(command: Buffer, extended: boolean, proceed: () => void, callback: () => void): void {
    const parts = command.toString().trim().split(/\s+/);
    // Malformed greetings are smtp-server's to refuse with its own syntax errors.
    if (parts.length !== 2 || !parts[1]) {
      proceed();
      return;
    }
    this.#posthornServer.host.onHelo(this.session, parts[1], extended).then(
      (refusal) => {
        if (!refusal) return proceed();
        this.send(refusal.code, refusal.text);
        callback();
      },
      () => {
        this.send(Replies.internalError.code, Replies.internalError.text);
        callback();
      },
    );
  }
}

/** smtp-server with Posthorn's connection class. */
export class PosthornSmtpServer extends SMTPServer {
  readonly host: ConnectionHost;
  readonly perIp = new Map<string, number>();

  constructor(options: SMTPServerOptions, host: ConnectionHost) {
    super(options);
    this.host = host;
  }

  /** Replaces smtp-server's connect(), which hard-codes its own connection class. */
  override connect(socket: Socket, socketOptions: unknown): void {
    const internals = this as unknown as { connections: Set<unknown>; _onError(err: Error): void; _onClientConnect(data: unknown): void };
    const connection = new PosthornConnection(this, socket, socketOptions);
    internals.connections.add(connection);
    connection.on('error', (err: Error) => internals._onError(err));
    connection.on('connect', (data: unknown) => internals._onClientConnect(data));
    connection.init();
  }
}

export function connectionOf(session: object): PosthornConnection | undefined {
  return (session as Record<symbol, unknown>)[CONNECTION] as PosthornConnection | undefined;
}
