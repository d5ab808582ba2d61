import { createConnection, createServer, type Server } from 'node:net';
import { chmod, unlink } from 'node:fs/promises';
import type { JsonValue } from '@posthorn/contracts';
import type { Logger } from 'pino';
import { PosthornError } from '../errors.ts';

/** One request on the control socket: a JSON line. */
interface ControlRequest {
  readonly command: string;
  readonly args?: Record<string, JsonValue>;
}

type ControlResponse = { ok: true; result: JsonValue } | { ok: false; code?: string; error: string };

const MAX_REQUEST = 1 << 20;

/**
 * A Unix socket in the data directory, readable by the server's user only, over which the
 * CLI runs admin commands in the running server (so `posthorn queue retry` acts on the live
 * queue instead of racing it on disk).
 */
export class ControlServer {
  readonly #server: Server;
  readonly #path: string;

  constructor(path: string, run: (command: string, args: Record<string, JsonValue>) => Promise<JsonValue>, log: Logger) {
    this.#path = path;
    this.#server = createServer((socket) => {
      let buffer = '';
      socket.setEncoding('utf8');
      socket.on('error', () => socket.destroy());
      socket.on('data', (chunk: string) => {
        buffer += chunk;
        if (buffer.length > MAX_REQUEST) {
          socket.end(`${JSON.stringify({ ok: false, error: 'request too large' })}\n`);
          return;
        }
        const newline = buffer.indexOf('\n');
        if (newline === -1) return;
        const line = buffer.slice(0, newline);
        buffer = '';
        let request: ControlRequest;
        try {
          request = JSON.parse(line) as ControlRequest;
        } catch {
          socket.end(`${JSON.stringify({ ok: false, error: 'malformed request' })}\n`);
          return;
        }
        run(String(request.command), request.args ?? {}).then(
          (result) => socket.end(`${JSON.stringify({ ok: true, result } satisfies ControlResponse)}\n`),
          (err: Error & { code?: string }) => {
            log.info({ command: request.command, err: err.message }, 'admin command failed');
            socket.end(`${JSON.stringify({ ok: false, code: err.code, error: err.message } satisfies ControlResponse)}\n`);
          },
        );
      });
    });
  }

  async listen(): Promise<void> {
    // A socket file left by a crashed server would make listen fail; nobody answers on it.
    if (!(await isAnswering(this.#path))) await unlink(this.#path).catch(() => undefined);
    await new Promise<void>((resolveListen, rejectListen) => {
      this.#server.once('error', rejectListen);
      this.#server.listen(this.#path, () => {
        this.#server.removeListener('error', rejectListen);
        resolveListen();
      });
    });
    await chmod(this.#path, 0o600);
  }

  close(): Promise<void> {
    return new Promise((done) => this.#server.close(() => done()));
  }
}

function isAnswering(path: string): Promise<boolean> {
  return new Promise((answer) => {
    const socket = createConnection(path);
    socket.once('connect', () => {
      socket.destroy();
      answer(true);
    });
    socket.once('error', () => answer(false));
  });
}

/**
 * Runs an admin command in the running server. Rejects with PH_ADMIN_UNREACHABLE when no
 * server listens on the socket, so the caller can fall back to running it locally.
 */
export function callControl(path: string, command: string, args: Record<string, JsonValue> = {}, timeoutMs = 30_000): Promise<JsonValue> {
  return new Promise((resolveCall, rejectCall) => {
    const socket = createConnection(path);
    let buffer = '';
    let connected = false;
    socket.setEncoding('utf8');
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error('control socket timed out')));
    socket.once('connect', () => {
      connected = true;
      socket.write(`${JSON.stringify({ command, args })}\n`);
    });
    socket.on('data', (chunk: string) => (buffer += chunk));
    socket.once('error', (err: NodeJS.ErrnoException) => {
      if (!connected) rejectCall(new PosthornError('PH_ADMIN_UNREACHABLE', `no server answers on ${path}`, { path }, { cause: err }));
      else rejectCall(err);
    });
    socket.once('end', () => {
      try {
        const response = JSON.parse(buffer) as ControlResponse;
        if (response.ok) resolveCall(response.result);
        else rejectCall(Object.assign(new Error(response.error), { code: response.code }));
      } catch {
        rejectCall(new Error('malformed answer from the control socket'));
      }
    });
  });
}
