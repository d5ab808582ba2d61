import type { Socket } from 'node:net';
import { accessListenerSettings, type Logger, SessionListener } from '@posthorn/core';
import type { ImapListenerOptions } from './options.ts';
import { ImapConnection } from './protocol/connection.ts';
import { Session, type SessionRuntime } from './session.ts';

/** One IMAP port (plain with STARTTLS, or implicit TLS) running a Session per connection. */
export function imapListener(options: ImapListenerOptions, runtime: Omit<SessionRuntime, 'listener'>, tls: { key: Buffer; cert: Buffer }, log: Logger): SessionListener {
  const settings = accessListenerSettings(options, 'imap', (closing) => (closing ? '* BYE Server shutting down' : '* BYE [UNAVAILABLE] Too many connections'));
  const sessionRuntime: SessionRuntime = { ...runtime, listener: { name: settings.name, tls: options.tls, allowInsecureAuth: options.allowInsecureAuth } };
  const { options: imap } = runtime;
  const limits = {
    maxLineLength: imap.maxLineLength,
    maxLiteral: imap.maxLiteral,
    maxAppendLiteral: imap.maxMessageSize,
    maxCommandSize: imap.maxMessageSize + imap.maxLineLength,
    idleTimeout: imap.idleTimeout,
  };
  return new SessionListener(settings, tls, log, (socket: Socket, secure: boolean, sessionLog: Logger, id: string) => {
    const connection = new ImapConnection(socket, limits, sessionLog, secure);
    const session = new Session(connection, sessionRuntime, sessionLog, id);
    session.run().catch((err: Error) => {
      sessionLog.error({ err: err.message, stack: err.stack }, 'imap session failed');
      connection.destroy();
    });
    return session;
  });
}
