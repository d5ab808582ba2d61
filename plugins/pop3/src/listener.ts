import type { Socket } from 'node:net';
import { accessListenerSettings, type Logger, SessionListener } from '@posthorn/core';
import { Pop3Connection } from './connection.ts';
import type { Pop3ListenerOptions } from './options.ts';
import { Replies } from './replies.ts';
import { Pop3Session, type SessionRuntime } from './session.ts';

/** One POP3 port (plain with STLS, or implicit TLS) running a Pop3Session per connection. */
export function pop3Listener(options: Pop3ListenerOptions, runtime: Omit<SessionRuntime, 'listener'>, tls: { key: Buffer; cert: Buffer }, log: Logger): SessionListener {
  const settings = accessListenerSettings(options, 'pop3', (closing) => (closing ? Replies.shuttingDown : Replies.tooManyConnections));
  const sessionRuntime: SessionRuntime = { ...runtime, listener: { name: settings.name, tls: options.tls, allowInsecureAuth: options.allowInsecureAuth } };
  return new SessionListener(settings, tls, log, (socket: Socket, secure: boolean, sessionLog: Logger, id: string) => {
    const connection = new Pop3Connection(socket, { maxLineLength: runtime.options.maxLineLength, idleTimeout: runtime.options.idleTimeout, log: sessionLog }, secure);
    const session = new Pop3Session(connection, sessionRuntime, sessionLog, id);
    session.start();
    return { closed: session.closedPromise, shutdown: () => session.shutdown(), abort: () => session.abort() };
  });
}
