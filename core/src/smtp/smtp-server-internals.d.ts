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
    init(): void;
    connectionReady(next?: () => void): void;
    send(code: number, data?: string | string[], context?: string | false): void;
    close(): void;
    _setListeners(callback: () => void): void;
    handler_EHLO(command: Buffer, callback: () => void): void;
    handler_HELO(command: Buffer, callback: () => void): void;
  }
}
