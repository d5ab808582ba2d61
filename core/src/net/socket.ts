import type { Socket } from 'node:net';
import { type SecureContext, TLSSocket } from 'node:tls';

/** Resolves once the peer has taken what was written to `socket`, or the socket is gone. */
export async function socketDrained(socket: Socket): Promise<void> {
  if (!socket.writableNeedDrain || socket.destroyed) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}

/**
 * The server side of an in-protocol TLS upgrade (STARTTLS, STLS) on `plain`, whose data and
 * close listeners the caller has already taken off: the plain socket's own close still ends
 * the session if the handshake never starts (`onClose`), and `onSecure` runs once TLS is up.
 */
export function upgradeToTls(plain: Socket, secureContext: SecureContext, onClose: () => void, onSecure: () => void): TLSSocket {
  const secure = new TLSSocket(plain, { isServer: true, secureContext });
  plain.once('close', onClose);
  secure.once('secure', onSecure);
  return secure;
}
