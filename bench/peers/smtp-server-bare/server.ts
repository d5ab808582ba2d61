/**
 * A bare smtp-server for the bench: the Node ceiling. Accepts every sender and recipient, and
 * either discards each message or writes it to its own file and fsyncs that file before the
 * 250 (no directory fsync). Started as its own process by ../smtp-server-bare.ts:
 *   node server.ts <port> <discard|fsync> [dir]
 */
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';

const [portArg, mode = 'discard', dir = '.'] = process.argv.slice(2);
const port = Number(portArg);
if (!Number.isInteger(port) || (mode !== 'discard' && mode !== 'fsync')) {
  console.error('usage: server.ts <port> <discard|fsync> [dir]');
  process.exit(2);
}

// smtp-server waits a hard-coded 100 ms before its greeting (early-talker detection). With
// one connection per message that alone caps a session at 10 messages/s, so the bench takes
// it out here, the same way Posthorn's listener makes it configurable.
type Internals = { _setListeners(cb: () => void): void; connectionReady(): void };
(SMTPConnection.prototype as unknown as { init(): void }).init = function (this: Internals) {
  this._setListeners(() => this.connectionReady());
};

let sequence = 0;

async function store(chunks: Buffer[]): Promise<void> {
  sequence += 1;
  const file = await open(join(dir, `${process.pid}-${sequence}.eml`), 'wx');
  try {
    await file.writev(chunks);
    await file.sync();
  } finally {
    await file.close();
  }
}

const server = new SMTPServer({
  name: 'bench.localhost',
  authOptional: true,
  disabledCommands: ['AUTH', 'STARTTLS'],
  disableReverseLookup: true,
  maxClients: 100_000,
  size: 64 * 1024 * 1024,
  logger: false,
  onData(stream, _session, done) {
    if (mode === 'discard') {
      stream.on('data', () => {});
      stream.on('end', () => done());
      return;
    }
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      store(chunks).then(
        () => done(),
        (err: Error) => done(err),
      );
    });
  },
});
server.on('error', () => {
  // Client resets are routine under load; one connection ends, the server goes on.
});
server.listen(port, '127.0.0.1', () => console.log(`listening on 127.0.0.1:${port} (${mode})`));
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  // Idle clients may still be connected; the bench is done with them.
  setTimeout(() => process.exit(0), 2000).unref();
});
