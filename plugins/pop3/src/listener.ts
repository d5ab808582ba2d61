import type { Socket } from 'node:net';
import { type Logger, SessionListener } from '@posthorn/core';
import { Pop3Connection } from './connection.ts';
import { listenerName, type Pop3ListenerOptions } from './options.ts';
import { Replies } from './replies.ts';
import { Pop3Session, type SessionRuntime } from './session.ts';

/** One POP3 port (plain with STLS, or implicit TLS) running a Pop3Session per connection. */
export function pop3Listener(options: Pop3ListenerOptions, runtime: Omit<SessionRuntime, 'listener'>, tls: { key: Buffer; cert: Buffer }, log: Logger): SessionListener {
  const name = listenerName(options);
  const sessionRuntime: SessionRuntime = { ...runtime, listener: { name, tls: options.tls, allowInsecureAuth: options.allowInsecureAuth } };
  const settings = {
    name,
    host: options.host,
    port: options.port,
    implicitTls: options.tls === 'implicit',
    maxConnections: options.maxConnections,
    maxConnectionsPerIp: options.maxConnectionsPerIp,
    protocol: 'pop3',
    refusal: (closing: boolean) => (closing ? Replies.shuttingDown : Replies.tooManyConnections),
  };
  return new SessionListener(settings, tls, log, (socket: Socket, secure: boolean, sessionLog: Logger, id: string) => {
    const connection = new Pop3Connection(socket, { maxLineLength: runtime.options.maxLineLength, idleTimeout: runtime.options.idleTimeout, log: sessionLog }, secure);
    const session = new Pop3Session(connection, sessionRuntime, sessionLog, id);
    session.start();
    return { closed: session.closedPromise, shutdown: () => session.shutdown(), abort: () => session.abort() };
  });
}
