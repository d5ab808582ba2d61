// Types for the parts of smtp-server that Posthorn extends by subclassing. They are not in
// @types/smtp-server because they are internal; smtp-server is pinned to an exact version and
// core/test/smtp-*.test.ts cover every behaviour that relies on them.
declare module 'smtp-server/lib/smtp-connection.js' {
  import { EventEmitter } from 'node:events';
  import type { Socket } from 'node:net';

  export class SMTPConnection extends EventEmitter {
    constructor(server: unknown, socket: Socket, options?: unknown);
    id: string;
    name: string;
    secure: boolean;
    remoteAddress: string;
    session: Record<string | symbol, unknown> & { id: string };
    _server: { options: Record<string, unknown>; connections: Set<unknown> };
    _socket: Socket;
    _closing: boolean;
    _closed: boolean;
    /** The command parser the socket feeds; false once the connection has closed. */
    _parser: import('node:stream').Writable | false;
    /** Set on an implicit-TLS listener whose TLS handshake still has to run on the socket. */
    needsUpgrade: boolean;
    _xClient: Map<string, string>;
    _xForward: Map<string, string>;
    init(): void;
    connectionReady(next?: () => void): void;
    send(code: number, data?: string | string[], context?: string | false): void;
    close(): void;
    _setListeners(callback: () => void): void;
    _onCloseEvent(hadError: boolean): void;
    _onError(err: Error): void;
    /** Arms the idle timeout of the socket (the current one by default). */
    _armTimeout(socket?: Socket): void;
    /** STARTTLS: moves the connection onto a TLS socket wrapped around the current one. */
    upgrade(callback: () => void, secureCallback?: () => void): void;
    /** Runs once the socket (after STARTTLS: the TLS socket) has closed. */
    _onClose(): void;
    handler_EHLO(command: Buffer, callback: () => void): void;
    handler_HELO(command: Buffer, callback: () => void): void;
  }
}
