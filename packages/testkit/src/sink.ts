import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';
import { type SMTPServerAddress, type SMTPServerOptions, type SMTPServerSession, SMTPServer } from 'smtp-server';

/** A reply the sink gives: basic code and the text after it (put an enhanced code in front yourself). */
export interface SinkAnswer {
  readonly code: number;
  readonly message: string;
}

/** What a behaviour hook decides: a reply, `'hang'` (never answer), or undefined for the default. */
export type SinkVerdict = SinkAnswer | 'hang' | undefined;

/** An envelope address with its ESMTP parameters: upper-case keys, xtext decoded, '' for a bare keyword. */
export interface SinkAddress {
  readonly address: string;
  readonly params: Readonly<Record<string, string>>;
}

/** What one SMTP connection looked like when a hook ran. */
export interface SinkSession {
  /** 1 for the first connection the sink accepted, 2 for the next... */
  readonly connection: number;
  readonly remoteAddress: string;
  readonly tls: boolean;
  /** The TLS server name the client asked for (SNI), if any. */
  readonly servername: string | undefined;
  readonly helo: string | undefined;
  readonly user: string | undefined;
}

/** A transaction in progress: what the sink knows when it decides a RCPT or the end of DATA. */
export interface SinkEnvelope extends SinkSession {
  readonly mailFrom: SinkAddress;
  /** Recipients accepted so far. */
  readonly recipients: readonly SinkAddress[];
}

/** A transaction that reached the end of DATA, whatever the sink answered. */
export interface SinkTransaction extends SinkEnvelope {
  readonly rejected: readonly (SinkAddress & { readonly code: number })[];
  /** The message exactly as received (dot-unstuffed, without the final `.`). */
  readonly message: Buffer;
  /** The code the sink answered the end of DATA with. */
  readonly reply: number;
}

/** Hooks that decide what the sink answers; each may be replaced while the sink runs. */
export interface SinkBehaviour {
  /** Before the greeting: a 4xx/5xx answer refuses the connection, `'hang'` never greets. */
  onConnect?(session: SinkSession): SinkVerdict | Promise<SinkVerdict>;
  onMailFrom?(sender: SinkAddress, session: SinkSession): SinkVerdict | Promise<SinkVerdict>;
  /** Per recipient. */
  onRcpt?(recipient: SinkAddress, envelope: SinkEnvelope): SinkVerdict | Promise<SinkVerdict>;
  /** Per transaction, once the message is in. The default is `250 2.0.0 Ok: queued as sink-N`. */
  onData?(transaction: Omit<SinkTransaction, 'reply'>): SinkVerdict | Promise<SinkVerdict>;
}

export interface SmtpSinkOptions extends SinkBehaviour {
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0 (ephemeral). */
  readonly port?: number;
  /** Name in the greeting and in the self-signed certificate. Default `sink.test`. */
  readonly hostname?: string;
  /** Advertise STARTTLS, with a self-signed certificate (`cert`). Default false. */
  readonly starttls?: boolean;
  /**
   * Advertise STARTTLS but fail every TLS handshake (the server offers only TLS versions that
   * no client accepts). Default false.
   */
  readonly brokenTls?: boolean;
  /** Implicit TLS from the first byte. Default false. */
  readonly secure?: boolean;
  /** Advertise DSN (RFC 3461). Default false. */
  readonly dsn?: boolean;
  /** Advertise 8BITMIME. Default true. */
  readonly eightBitMime?: boolean;
  /** Advertise SMTPUTF8. Default true. */
  readonly smtpUtf8?: boolean;
  /** Advertise PIPELINING. Default true. */
  readonly pipelining?: boolean;
  /** Advertise AUTH PLAIN LOGIN and accept these credentials (over plain text too). */
  readonly auth?: { readonly user: string; readonly pass: string };
  /** Refuse MAIL FROM before a successful AUTH. */
  readonly requireAuth?: boolean;
  /** Advertise SIZE with this limit and refuse bigger messages. */
  readonly size?: number;
}

export interface SmtpSink {
  readonly host: string;
  readonly port: number;
  /** PEM of the sink's self-signed certificate (for a client's `ca`). */
  readonly cert: string;
  /** Every transaction that reached the end of DATA, in order. */
  readonly transactions: readonly SinkTransaction[];
  /** The transactions answered with 2xx. */
  readonly messages: readonly SinkTransaction[];
  /** Every AUTH attempt: the user, whether it succeeded, and whether TLS was on. */
  readonly authAttempts: readonly { readonly user: string; readonly ok: boolean; readonly tls: boolean }[];
  /** Connections: accepted so far, open now, and the most that were open at once. */
  readonly connections: { readonly total: number; readonly open: number; readonly maxOpen: number };
  /** The behaviour hooks in force; assign to change what the sink answers from now on. */
  readonly behaviour: SinkBehaviour;
  /** Resolves with the next transaction answered with 2xx (one that arrives after the call). */
  nextMessage(timeoutMs?: number): Promise<SinkTransaction>;
  /** Resolves once at least `count` transactions were answered with 2xx. */
  waitForMessages(count: number, timeoutMs?: number): Promise<SinkTransaction[]>;
  /** Resolves once `check` holds; re-evaluated on every connection, transaction and AUTH. */
  waitFor<T>(check: (sink: SmtpSink) => T | undefined | null | false, timeoutMs?: number, what?: string): Promise<T>;
  /** Stops listening and drops every connection (hanging ones included). */
  close(): Promise<void>;
}

interface SessionState {
  readonly connection: number;
  user: string | undefined;
  rejected: (SinkAddress & { code: number })[];
}

const STATE = Symbol('sink.state');
type RawSession = SMTPServerSession & { [STATE]?: SessionState };

function paramsOf(address: SMTPServerAddress): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [key, value] of Object.entries(address.args || {})) params[key.toUpperCase()] = value === true ? '' : String(value);
  return params;
}

function answerError(answer: SinkAnswer): Error & { responseCode: number } {
  return Object.assign(new Error(answer.message), { responseCode: answer.code });
}

/**
 * A small SMTP server on loopback that records every transaction (envelope with ESMTP
 * parameters, message bytes, TLS, AUTH user) and answers as the test tells it, per recipient
 * or per transaction, so outbound delivery can be tested without any real network.
 */
export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const host = options.host ?? '127.0.0.1';
  const hostname = options.hostname ?? 'sink.test';
  const pems = await generate([{ name: 'commonName', value: hostname }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: hostname }, { type: 7, ip: host }] },
    ],
  });
  const changes = new EventEmitter();
  changes.setMaxListeners(0);
  const transactions: SinkTransaction[] = [];
  const messages: SinkTransaction[] = [];
  const authAttempts: { user: string; ok: boolean; tls: boolean }[] = [];
  const connections = { total: 0, open: 0, maxOpen: 0 };
  const behaviour: SinkBehaviour = {
    ...(options.onConnect ? { onConnect: options.onConnect } : {}),
    ...(options.onMailFrom ? { onMailFrom: options.onMailFrom } : {}),
    ...(options.onRcpt ? { onRcpt: options.onRcpt } : {}),
    ...(options.onData ? { onData: options.onData } : {}),
  };
  const changed = (): void => void changes.emit('change');

  const stateOf = (session: RawSession): SessionState => {
    let state = session[STATE];
    if (!state) {
      // onConnect runs first for every connection; this only guards against a hook order change.
      state = { connection: ++connections.total, user: undefined, rejected: [] };
      session[STATE] = state;
    }
    return state;
  };
  const sessionView = (session: RawSession): SinkSession => {
    const state = stateOf(session);
    return {
      connection: state.connection,
      remoteAddress: session.remoteAddress,
      tls: session.secure,
      servername: session.servername || undefined,
      helo: session.hostNameAppearsAs || undefined,
      user: state.user,
    };
  };
  const envelopeView = (session: RawSession): SinkEnvelope => {
    const from = session.envelope.mailFrom;
    return {
      ...sessionView(session),
      mailFrom: from ? { address: from.address, params: paramsOf(from) } : { address: '', params: {} },
      recipients: session.envelope.rcptTo.map((rcpt) => ({ address: rcpt.address, params: paramsOf(rcpt) })),
    };
  };
  /** Runs a behaviour hook and answers the callback: default, an error reply, or never. */
  const decide = (verdict: SinkVerdict | Promise<SinkVerdict>, done: (err?: Error | null) => void, onAnswer?: (code: number) => void): void => {
    void Promise.resolve(verdict).then(
      (answer) => {
        if (answer === 'hang') return;
        if (answer && answer.code >= 400) {
          onAnswer?.(answer.code);
          return done(answerError(answer));
        }
        onAnswer?.(250);
        done();
      },
      (err: unknown) => done(Object.assign(new Error(`4.3.0 sink hook failed: ${(err as Error).message}`), { responseCode: 451 })),
    );
  };

  let sequence = 0;
  const serverOptions: SMTPServerOptions = {
    name: hostname,
    secure: Boolean(options.secure),
    key: pems.private,
    cert: pems.cert,
    hideSTARTTLS: !options.starttls && !options.brokenTls,
    ...(options.brokenTls ? { minVersion: 'TLSv1', maxVersion: 'TLSv1.1' } : {}),
    hideDSN: !options.dsn,
    hide8BITMIME: options.eightBitMime === false,
    hideSMTPUTF8: options.smtpUtf8 === false,
    hidePIPELINING: options.pipelining === false,
    hideREQUIRETLS: true,
    ...(options.size ? { size: options.size } : {}),
    authMethods: ['PLAIN', 'LOGIN'],
    // Not advertised means not there: a client that sends STARTTLS or AUTH anyway is refused.
    disabledCommands: [...(options.auth ? [] : ['AUTH']), ...(options.starttls || options.brokenTls ? [] : ['STARTTLS'])],
    authOptional: !options.requireAuth,
    // The sink records whether AUTH came over TLS; protecting credentials is the client's job.
    allowInsecureAuth: true,
    disableReverseLookup: true,
    logger: false,
    closeTimeout: 1,
    onConnect(session, done) {
      const raw = session as RawSession;
      raw[STATE] = { connection: ++connections.total, user: undefined, rejected: [] };
      connections.open++;
      connections.maxOpen = Math.max(connections.maxOpen, connections.open);
      changed();
      decide(behaviour.onConnect?.(sessionView(raw)), done);
    },
    onClose() {
      connections.open--;
      changed();
    },
    onAuth(auth, session, done) {
      const ok = Boolean(options.auth) && auth.username === options.auth!.user && auth.password === options.auth!.pass;
      authAttempts.push({ user: auth.username ?? '', ok, tls: session.secure });
      if (ok) stateOf(session as RawSession).user = auth.username;
      changed();
      if (!ok) return done(Object.assign(new Error('5.7.8 Authentication credentials invalid'), { responseCode: 535 }));
      done(null, { user: auth.username });
    },
    onMailFrom(address, session, done) {
      const raw = session as RawSession;
      stateOf(raw).rejected = [];
      if (options.requireAuth && !stateOf(raw).user) return done(answerError({ code: 530, message: '5.7.0 Authentication required' }));
      decide(behaviour.onMailFrom?.({ address: address.address, params: paramsOf(address) }, sessionView(raw)), done);
    },
    onRcptTo(address, session, done) {
      const raw = session as RawSession;
      const recipient = { address: address.address, params: paramsOf(address) };
      decide(behaviour.onRcpt?.(recipient, envelopeView(raw)), done, (code) => {
        if (code >= 400) stateOf(raw).rejected.push({ ...recipient, code });
      });
    },
    onData(stream, session, done) {
      const raw = session as RawSession;
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const id = ++sequence;
        const base = { ...envelopeView(raw), rejected: stateOf(raw).rejected, message: Buffer.concat(chunks) };
        const record = (reply: number): void => {
          const transaction: SinkTransaction = { ...base, reply };
          transactions.push(transaction);
          if (reply < 400) messages.push(transaction);
          changes.emit('transaction', transaction);
          changed();
        };
        void Promise.resolve()
          .then(() => behaviour.onData?.(base))
          .then(
            (answer) => {
              if (answer === 'hang') return;
              if (answer && answer.code >= 400) {
                record(answer.code);
                return done(answerError(answer));
              }
              record(250);
              done(null, `2.0.0 Ok: queued as sink-${id}`);
            },
            (err: unknown) => {
              record(451);
              done(Object.assign(new Error(`4.3.0 sink hook failed: ${(err as Error).message}`), { responseCode: 451 }));
            },
          );
      });
    },
  };
  const server = new SMTPServer(serverOptions);
  // Client resets and TLS failures end one connection; the sink keeps serving.
  server.on('error', () => undefined);
  const address = await new Promise<AddressInfo>((resolveListen, rejectListen) => {
    server.server.once('error', rejectListen);
    server.listen(options.port ?? 0, host, () => {
      server.server.removeListener('error', rejectListen);
      resolveListen(server.server.address() as AddressInfo);
    });
  });

  const waitFor = <T>(check: (s: SmtpSink) => T | undefined | null | false, timeoutMs = 10_000, what = 'condition'): Promise<T> =>
    new Promise((resolveWait, rejectWait) => {
      const first = check(sink);
      if (first) return resolveWait(first);
      const onChange = (): void => {
        const value = check(sink);
        if (!value) return;
        cleanup();
        resolveWait(value);
      };
      const timer = setTimeout(() => {
        cleanup();
        rejectWait(new Error(`smtp sink: timed out waiting for ${what}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        changes.off('change', onChange);
      };
      changes.on('change', onChange);
    });

  const sink: SmtpSink = {
    host,
    port: address.port,
    cert: pems.cert,
    transactions,
    messages,
    authAttempts,
    connections,
    behaviour,
    nextMessage: (timeoutMs = 10_000) => {
      const seen = messages.length;
      return waitFor(() => messages[seen], timeoutMs, 'the next message');
    },
    waitForMessages: (count, timeoutMs = 10_000) => waitFor(() => (messages.length >= count ? [...messages] : undefined), timeoutMs, `${count} messages`),
    waitFor,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
  return sink;
}
