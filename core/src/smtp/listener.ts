import type { AddressInfo } from 'node:net';
import type { DnsResolver, Envelope } from '@posthorn/contracts';
import type { Logger } from 'pino';
import type { SMTPServerAddress, SMTPServerAuthentication, SMTPServerAuthenticationResponse, SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import type { ListenerConfig } from '../config.ts';
import type { AuthenticatedUser } from '../context.ts';
import type { HookSet } from '../hooks.ts';
import { newId } from '../ids.ts';
import { Message } from '../message/message.ts';
import { Replies, type SmtpReply } from '../reply.ts';
import { connectionOf, type PosthornConnection, PosthornSmtpServer } from './connection.ts';
import { DataGuard } from './data-guard.ts';
import { receivedValue } from './received.ts';
import { paramsOf, type RawSession, type SessionShared, SmtpSession, SmtpTransaction } from './session.ts';
import type { Verdicts } from '../verdicts.ts';

/** What a listener needs from the server around it. */
export interface ListenerRuntime {
  readonly hostname: string;
  readonly log: Logger;
  readonly resolver: DnsResolver;
  readonly tls: { readonly key: Buffer; readonly cert: Buffer };
  /** The hooks of the current generation; a transaction keeps the set it started with. */
  hooks(): HookSet;
  readonly verdicts: Verdicts;
}

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

/** ESMTP parameters this server implements (RFC 1870, 6152, 6531, 3461, 4954); others get 555. */
const MAIL_PARAMS = new Set(['SIZE', 'BODY', 'SMTPUTF8', 'RET', 'ENVID', 'AUTH']);
const RCPT_PARAMS = new Set(['NOTIFY', 'ORCPT']);

function unknownParam(params: Readonly<Record<string, string>>, known: ReadonlySet<string>): string | undefined {
  return Object.keys(params).find((name) => !known.has(name));
}

/**
 * A local part with non-ASCII characters is only allowed with SMTPUTF8 (RFC 6531 3.4). The
 * domain is not checked: smtp-server itself turns A-labels (xn--) into U-labels.
 */
function needsSmtpUtf8(address: string): boolean {
  const at = address.lastIndexOf('@');
  return /[^\x00-\x7f]/.test(at === -1 ? address : address.slice(0, at));
}

/** An error smtp-server turns into a reply: the text carries the enhanced code in front. */
function replyError(reply: SmtpReply): Error & { responseCode: number } {
  return Object.assign(new Error(reply.text), { responseCode: reply.code });
}

/**
 * One SMTP listener: smtp-server underneath, Posthorn's hooks on top. The role decides the
 * protocol surface (mx: no AUTH; submission: STARTTLS and AUTH before MAIL; submissions:
 * implicit TLS), the config decides the limits.
 */
export class SmtpListener {
  readonly config: ListenerConfig;
  readonly #runtime: ListenerRuntime;
  readonly #server: PosthornSmtpServer;
  readonly #log: Logger;
  readonly #sessionShared: SessionShared;

  constructor(config: ListenerConfig, runtime: ListenerRuntime) {
    this.config = config;
    this.#runtime = runtime;
    this.#log = runtime.log.child({ listener: config.name });
    this.#sessionShared = { listener: { name: config.name, role: config.role }, log: this.#log };
    const submission = config.role !== 'mx';
    this.#server = new PosthornSmtpServer(
      {
        name: runtime.hostname,
        ...(config.banner ? { banner: config.banner } : {}),
        secure: config.role === 'submissions',
        key: runtime.tls.key,
        cert: runtime.tls.cert,
        hideREQUIRETLS: true,
        // DSN (RFC 3461) is advertised only when some plugin turns failures into notifications:
        // a client that asks for NOTIFY/RET must not be told yes by a server that drops them.
        hideDSN: !runtime.hooks().isUsed('bounce'),
        // smtp-server hides ENHANCEDSTATUSCODES unless told otherwise: without this its own
        // replies (503, 552, 452...) carried no enhanced code and EHLO did not advertise it.
        hideENHANCEDSTATUSCODES: false,
        size: config.maxMessageSize,
        maxClients: config.maxConnections,
        maxRecipients: config.maxRecipients,
        socketTimeout: config.idleTimeout,
        closeTimeout: 30_000,
        disabledCommands: submission ? [] : ['AUTH'],
        authOptional: !submission,
        authMethods: ['PLAIN', 'LOGIN'],
        allowInsecureAuth: config.allowInsecureAuth,
        disableReverseLookup: !config.reverseLookup,
        resolver: { reverse: (ip: string, done: (err: Error | null, names?: string[]) => void) => this.#reverse(ip, done) },
        logger: false,
        onConnect: (session, done) => this.#onConnect(session as RawSession, done),
        onAuth: (auth, session, done) => this.#onAuth(auth, session as RawSession, done),
        onMailFrom: (address, session, done) => this.#onMailFrom(address, session as RawSession, done),
        onRcptTo: (address, session, done) => this.#onRcptTo(address, session as RawSession, done),
        onData: (stream, session, done) => this.#onData(stream, session as RawSession, done),
        onClose: (session) => this.#onClose(session as RawSession),
        ...({ maxCommandLength: config.maxCommandLength } as object),
      } as ConstructorParameters<typeof PosthornSmtpServer>[0],
      {
        greetingDelay: config.greetingDelay,
        maxConnectionsPerIp: config.maxConnectionsPerIp,
        onHelo: (session, name, extended) => this.#onHelo(session as RawSession, name, extended),
      },
    );
    this.#server.on('error', (err: Error & { code?: string; remoteAddress?: string }) => {
      // Client-side socket errors (resets, TLS failures) are routine; they end one connection.
      this.#log.debug({ err: { message: err.message, code: err.code }, ip: err.remoteAddress }, 'connection error');
    });
  }

  listen(): Promise<AddressInfo> {
    return new Promise((resolveListen, rejectListen) => {
      const onError = (err: Error) => rejectListen(err);
      this.#server.server.once('error', onError);
      this.#server.listen(this.config.port, this.config.host, () => {
        this.#server.server.removeListener('error', onError);
        resolveListen(this.#server.server.address() as AddressInfo);
      });
    });
  }

  address(): AddressInfo | undefined {
    return (this.#server.server.address() as AddressInfo | null) ?? undefined;
  }

  /** Stops accepting; connections get until the grace period ends, then 421. */
  close(): Promise<void> {
    return new Promise((done) => this.#server.close(() => done()));
  }

  get connections(): number {
    return (this.#server as unknown as { connections: Set<unknown> }).connections.size;
  }

  #connection(raw: RawSession): PosthornConnection {
    const connection = connectionOf(raw);
    if (!connection) throw new Error('smtp-server session without a Posthorn connection');
    return connection;
  }

  #session(raw: RawSession): SmtpSession {
    return (this.#connection(raw).posthornSession ??= new SmtpSession(raw, this.#sessionShared));
  }

  #reverse(ip: string, done: (err: Error | null, names?: string[]) => void): void {
    // Loopback needs no query: its name is known, and no lookup leaves the machine for it.
    if (LOOPBACK.test(ip)) {
      done(null, ['localhost']);
      return;
    }
    this.#runtime.resolver.reverse(ip).then(
      (names) => done(null, names),
      (err: Error) => done(err),
    );
  }

  #onConnect(raw: RawSession, done: (err?: Error | null) => void): void {
    const hooks = this.#runtime.hooks();
    const debug = this.#log.isLevelEnabled('debug');
    if (!debug && !hooks.isUsed('connect')) {
      // Nothing to run and nothing to log: the session object waits until something needs it
      // (an idle connection may never get that far), and the connection is let in as the hook
      // would have let it in, once the current call stack is done.
      this.#connection(raw).posthornSession = null;
      queueMicrotask(() => done(null));
      return;
    }
    const session = this.#session(raw);
    if (debug) session.log.debug({ port: raw.remotePort, hostname: session.remoteHostname }, 'connect');
    this.#runtime.verdicts.decide(hooks, 'connect', undefined, session).then((refusal) => done(refusal ? replyError(refusal) : null));
  }

  #onHelo(raw: RawSession, name: string, extended: boolean): Promise<SmtpReply | undefined> {
    const session = this.#session(raw);
    return this.#runtime.verdicts.decide(this.#runtime.hooks(), 'helo', undefined, session, { name, extended });
  }

  #onAuth(auth: SMTPServerAuthentication, raw: RawSession, done: (err: Error | null | undefined, response?: SMTPServerAuthenticationResponse) => void): void {
    const session = this.#session(raw);
    const request = {
      method: auth.method,
      login: auth.username ?? '',
      password: auth.password ?? undefined,
      validatePassword: typeof auth.validatePassword === 'function' ? (secret: string) => auth.validatePassword(secret) : undefined,
    };
    this.#runtime.verdicts.authenticate(this.#runtime.hooks(), session, request).then((outcome) => {
      if ('reply' in outcome) return done(replyError(outcome.reply));
      session.user = outcome.user;
      done(null, { user: outcome.user });
    });
  }

  #onMailFrom(address: SMTPServerAddress, raw: RawSession, done: (err?: Error | null) => void): void {
    const session = this.#session(raw);
    if (needsSmtpUtf8(address.address) && !session.smtpUtf8) return done(replyError(Replies.nonAsciiWithoutSmtpUtf8));
    const params = paramsOf(address);
    if (unknownParam(params, MAIL_PARAMS)) return done(replyError(Replies.unknownParameter));
    const tx = new SmtpTransaction(newId(), session, { address: address.address, params });
    session.transaction = tx;
    this.#runtime.verdicts.decide(this.#runtime.hooks(), 'mailFrom', undefined, tx).then((refusal) => {
      if (refusal) session.transaction = undefined;
      done(refusal ? replyError(refusal) : null);
    });
  }

  #onRcptTo(address: SMTPServerAddress, raw: RawSession, done: (err?: Error | null) => void): void {
    const session = this.#session(raw);
    const tx = session.transaction;
    if (!tx) return done(replyError(Replies.internalError));
    if (needsSmtpUtf8(address.address) && !session.smtpUtf8) return done(replyError(Replies.nonAsciiWithoutSmtpUtf8));
    const recipient = { address: address.address, params: paramsOf(address) };
    if (unknownParam(recipient.params, RCPT_PARAMS)) return done(replyError(Replies.unknownParameter));
    // Nobody accepting a recipient means no: never an open relay.
    this.#runtime.verdicts.decide(this.#runtime.hooks(), 'rcpt', Replies.relayDenied, tx, recipient).then((refusal) => done(refusal ? replyError(refusal) : null));
  }

  #onData(stream: SMTPServerDataStream, raw: RawSession, done: (err?: Error | null, message?: string) => void): void {
    const session = this.#session(raw);
    const tx = session.transaction;
    const guard = new DataGuard(this.config.maxLineLength);
    const chunks: Buffer[] = [];
    let size = 0;
    const connection = connectionOf(raw);
    // However busy the client looks, DATA must end within the limit (slow-drip clients).
    const timer = setTimeout(() => {
      tx?.log.info({ limit: this.config.dataTimeout }, 'data timeout');
      connection?.send(Replies.dataTimeout.code, Replies.dataTimeout.text);
    }, this.config.dataTimeout);
    stream.on('data', (chunk: Buffer) => {
      guard.scan(chunk);
      size += chunk.length;
      // Past the size limit or after a violation the data is only counted, never kept.
      if (!guard.violation && size <= this.config.maxMessageSize) chunks.push(chunk);
    });
    stream.on('error', () => clearTimeout(timer));
    stream.on('end', () => {
      clearTimeout(timer);
      if (!tx) return done(replyError(Replies.internalError));
      session.transaction = undefined;
      // smtp-server answers an oversized message with its own 552 5.3.4.
      if (stream.sizeExceeded) {
        tx.log.info({ size, limit: this.config.maxMessageSize }, 'message refused: too big');
        return done(replyError(Replies.messageTooBig));
      }
      const violation = guard.finish();
      if (violation) {
        tx.log.info({ violation }, 'message refused: bad line endings or line length');
        return done(replyError(violation === 'line-too-long' ? Replies.lineTooLong : Replies.bareLineEnding));
      }
      this.#accept(tx, Buffer.concat(chunks, size)).then(
        (answer) => ('reply' in answer ? done(replyError(answer.reply)) : done(null, answer.text)),
        (err: Error) => {
          tx.log.error({ err }, 'message handling failed');
          done(replyError(Replies.internalError));
        },
      );
    });
  }

  /** Data step, trace header, queue step. Resolves to the 250 text or the refusal. */
  async #accept(tx: SmtpTransaction, raw: Buffer): Promise<{ reply: SmtpReply } | { text: string }> {
    const session = tx.session;
    const hooks = this.#runtime.hooks();
    const message = new Message(raw);
    const recipients = tx.recipients;
    message.prependField(
      'Received',
      receivedValue({
        helo: session.helo,
        remoteHostname: session.remoteHostname,
        remoteAddress: session.remoteAddress,
        hostname: this.#runtime.hostname,
        esmtp: session.esmtp,
        tls: session.tlsInfo,
        authenticated: Boolean(session.user),
        utf8: session.smtpUtf8,
        id: tx.id,
        recipients: recipients.map((r) => r.address),
        date: new Date(),
        hideClient: this.config.hideClientAddress,
      }),
    );
    const refusal = await this.#runtime.verdicts.decide(hooks, 'data', undefined, tx, message);
    if (refusal) return { reply: refusal };

    const envelope: Envelope = {
      id: tx.id,
      mailFrom: tx.mailFrom.address,
      mailFromParams: tx.mailFrom.params,
      recipients,
      receivedAt: new Date().toISOString(),
      origin: {
        listener: this.config.name,
        role: this.config.role,
        remoteAddress: session.remoteAddress,
        ...(session.remoteHostname ? { remoteHostname: session.remoteHostname } : {}),
        ...(session.helo ? { helo: session.helo } : {}),
        ...(session.user ? { user: session.user.id } : {}),
        tls: session.tls,
      },
      notes: tx.notes,
    };
    const bytes = message.toBuffer();
    const outcome = await this.#runtime.verdicts.queue(hooks, { envelope, message: bytes, log: tx.log });
    if (outcome.verdict.action === 'reject') return { reply: outcome.verdict.reply };
    tx.log.info({ from: envelope.mailFrom, rcpts: recipients.length, size: bytes.length, by: outcome.by }, 'queued');
    return { text: outcome.verdict.reply?.text ?? `2.0.0 Ok: queued as ${tx.id}` };
  }

  #onClose(raw: RawSession): void {
    const connection = connectionOf(raw);
    // Connections refused before onConnect (limits, early close) never had a session.
    if (connection?.posthornSession === undefined) return;
    const hooks = this.#runtime.hooks();
    const debug = this.#log.isLevelEnabled('debug');
    if (connection.posthornSession === null && !debug && !hooks.isUsed('disconnect')) return;
    const session = this.#session(raw);
    if (debug) session.log.debug('disconnect');
    void this.#runtime.verdicts.notify(hooks, 'disconnect', session);
  }
}

export type { AuthenticatedUser, SMTPServerSession };
