import type { Writable } from 'node:stream';
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';

/**
 * smtp-server's XCLIENT/XFORWARD data on a listener that allows neither command: always empty.
 * One instance serves every connection, so it refuses writes; nothing can write to it anyway,
 * as smtp-server refuses both commands before touching this data.
 */
class NoProxyData extends Map<string, string> {
  override set(): this {
    throw new Error('XCLIENT/XFORWARD data on a listener that allows neither command');
  }
  override delete(): boolean {
    return false;
  }
  override clear(): void {}
}
const NO_PROXY_DATA = new NoProxyData();

/**
 * smtp-server's connection, with the same behaviour and less memory per connection: an idle
 * connection is mostly what smtp-server sets up for it, and a server may hold thousands.
 *
 * - The socket feeds the command parser through two listeners instead of socket.pipe(), which
 *   sets up about a dozen closures and once-wrappers per connection (about 1.5 KB).
 * - The XCLIENT and XFORWARD maps are one shared empty map unless the command is enabled.
 * - The recipient index is made when RCPT first needs it, not at every session reset.
 *
 * Relies on smtp-server internals (see smtp-server-internals.d.ts); smtp-server is pinned, and
 * core/test/smtp-connection-memory.test.ts and the other smtp-*.test.ts files cover what these touch.
 */
export class LeanSmtpConnection extends SMTPConnection {
  /**
   * The parser the connection's first socket writes to, while it does. Cleared wherever
   * smtp-server unpipes it (close, socket closed, STARTTLS). After STARTTLS smtp-server pipes
   * the TLS socket itself, with pipe(), and unpipes that itself.
   */
  #fed: Writable | undefined = undefined;
  /** Backs the _rcptIndex accessor (a field smtp-server assigns in its constructor). */
  leanRcptIndex: Map<string, number> | undefined = undefined;

  constructor(server: unknown, socket: ConstructorParameters<typeof SMTPConnection>[1], options: unknown) {
    super(server, socket, options);
    // The maps smtp-server just made are dropped young; what stays is one shared instance.
    if (!this._server.options.useXClient) this._xClient = NO_PROXY_DATA;
    if (!this._server.options.useXForward) this._xForward = NO_PROXY_DATA;
  }

  // smtp-server assigns a new, empty map at every session reset (connect, EHLO, RSET, after
  // each message); only RCPT reads it. Assignments land here, as the accessor is on the
  // prototype, and an empty map is not kept.
  get _rcptIndex(): Map<string, number> {
    return (this.leanRcptIndex ??= new Map());
  }
  set _rcptIndex(index: Map<string, number>) {
    this.leanRcptIndex = index.size > 0 ? index : undefined;
  }

  /** smtp-server's _setListeners(), with the parser fed without pipe(). */
  override _setListeners(callback: () => void): void {
    const socket = this._socket;
    // Arrow functions made in one scope share one context object.
    socket.on('close', (hadError: boolean) => this._onCloseEvent(hadError));
    socket.on('error', (err: Error) => this._onError(err));
    this._armTimeout();
    this.#fed = this._parser || undefined;
    socket.on('data', (chunk: Buffer) => this.#feed(chunk));
    socket.on('end', () => this.#fed?.end());
    // As pipe() does: start the flow of a socket that is not flowing yet.
    if (!socket.readableFlowing) socket.resume();
    if (!this.needsUpgrade) return callback();
    this.upgrade(() => false, callback);
  }

  /** pipe()'s data step: write to the parser, and wait for it to drain when it is full. */
  #feed(chunk: Buffer): void {
    const parser = this.#fed;
    if (!parser || parser.write(chunk)) return;
    // A paused socket emits no more data, so there is one of these at a time.
    this._socket.pause();
    parser.once('drain', () => {
      if (this.#fed === parser) this._socket.resume();
    });
  }

  /** What unpipe() did to the socket: no more data for the parser, and the socket paused. */
  #unpipe(): void {
    if (!this.#fed) return;
    this.#fed = undefined;
    this._socket.pause();
  }

  override close(): void {
    // smtp-server unpipes the parser on the first close() only.
    if (!this._closing) this.#unpipe();
    super.close();
  }

  override _onClose(): void {
    this.#unpipe();
    super._onClose();
  }

  override upgrade(callback: () => void, secureCallback?: () => void): void {
    this.#unpipe();
    super.upgrade(callback, secureCallback);
  }
}
