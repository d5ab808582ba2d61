/**
 * A Posthorn installation for a sending domain, as docs/sending.md describes it: the real
 * binary running config/examples/sending.yaml, changed only where a test must (listeners on
 * 127.0.0.1 port 0, a temp data directory, a loopback test DNS server, example.test for
 * example.org, short retries and lockouts, outbound pointed at the test mail exchangers).
 * Users and the DKIM key are made through the real CLI, against the running server, the way
 * an operator would after the first start; the key's record is then published in the test zone.
 *
 * The remote mail exchangers are testkit SMTP sinks on different loopback addresses sharing
 * one port, because outbound dials every MX on the same `port`.
 */
import { cp, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readConfigFile } from '@posthorn/core';
import {
  type PosthornProcess,
  reverseName,
  runPosthorn,
  type RunResult,
  SmtpClient,
  type SmtpSink,
  type SmtpSinkOptions,
  spawnPosthorn,
  startDnsServer,
  startSmtpSink,
  tempDir,
  type TestDnsServer,
  type Zone,
} from '@posthorn/testkit';
import { ROOT } from './embedded.ts';
import { explain } from './posthorn.ts';
import { waitFor } from './wait.ts';

export const EXAMPLE = join(ROOT, 'config/examples/sending.yaml');
export const DOMAIN = 'example.test';
export const HOSTNAME = 'mail.example.test';
export const SELECTOR = 's1';

/** Retries within a test: a deferred recipient is tried again a few hundred ms later. */
export const TEST_RETRY = { initial: 0.3, factor: 1, max: 0.3, jitter: 0 };

export interface SinkSpec {
  readonly name: string;
  /** A loopback address of its own (127.0.0.1, 127.0.0.2...): the MX record's A record. */
  readonly host: string;
  readonly options?: Omit<SmtpSinkOptions, 'host' | 'port'>;
}

export interface UserSpec {
  readonly address: string;
  readonly name?: string;
}

export interface SendingOptions {
  /** Remote domains: MX, A and whatever else the test needs; merged over the base zone. */
  readonly zone?: Zone;
  readonly sinks?: readonly SinkSpec[];
  readonly users?: readonly UserSpec[];
  /** The relay plugin's `networks` (the example lists none). */
  readonly relayNetworks?: readonly string[];
  /** Options merged over the example's auth options. */
  readonly auth?: Readonly<Record<string, unknown>>;
}

export interface SendingServer {
  readonly dir: string;
  readonly configPath: string;
  readonly dataDir: string;
  readonly dns: TestDnsServer;
  readonly sinks: Readonly<Record<string, SmtpSink>>;
  readonly server: PosthornProcess;
  /** The DKIM record `posthorn dkim keygen` printed, as its character-strings. */
  readonly dkimRecord: readonly string[];
  port(listener: 'mx' | 'submission' | 'submissions'): number;
  password(address: string): string;
  /** `<dataDir>/mail/<domain>/<local part>`. */
  maildir(address: string): string;
  /** `posthorn --config <config> ...args`, through the control socket of the running server. */
  cli(args: readonly string[], input?: string): Promise<RunResult>;
  /** Resolves once the queue directory holds no message. */
  queueEmpty(timeoutMs?: number): Promise<void>;
  dispose(): Promise<void>;
}

type PluginEntry = string | { plugin: string; options?: Record<string, unknown>; timeout?: number };

/** Starts sinks on their loopback addresses, all on one port (the first one's ephemeral port). */
export async function startSinks(specs: readonly SinkSpec[]): Promise<Record<string, SmtpSink>> {
  if (!specs.length) return {};
  for (let attempt = 0; ; attempt++) {
    const started: SmtpSink[] = [];
    try {
      const [first, ...rest] = specs;
      const head = await startSmtpSink({ ...first!.options, host: first!.host });
      started.push(head);
      for (const spec of rest) started.push(await startSmtpSink({ ...spec.options, host: spec.host, port: head.port }));
      return Object.fromEntries(specs.map((spec, i) => [spec.name, started[i]!]));
    } catch (err) {
      await Promise.all(started.map((sink) => sink.close()));
      // Someone else holds that port on another loopback address: draw another one.
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 10) throw err;
    }
  }
}

/** The example as a test runs it. Throws if the example no longer has the plugins it must. */
export async function testConfig(options: { dns: string; outboundPort: number; relayNetworks: readonly string[]; auth: Readonly<Record<string, unknown>> }): Promise<Record<string, unknown>> {
  const { raw } = await readConfigFile({ path: EXAMPLE });
  const config = structuredClone(raw) as Record<string, unknown> & { listeners: Record<string, unknown>[]; plugins: PluginEntry[] };
  config.hostname = HOSTNAME;
  config.dataDir = './var';
  config.log = { level: 'info', format: 'json' };
  config.dns = { servers: [options.dns], timeout: 1000, tries: 2 };
  // The certificate the core generates for `hostname`; the example's Let's Encrypt files do not exist here.
  delete config.tls;
  config.listeners = config.listeners.map((listener) => ({ ...listener, host: '127.0.0.1', port: 0, greetingDelay: 0 }));
  const overrides: Record<string, (o: Record<string, unknown>) => Record<string, unknown>> = {
    'accounts-file': (o) => ({ ...o, domains: [DOMAIN] }),
    'queue-fs': (o) => ({ ...o, retry: TEST_RETRY }),
    auth: (o) => ({ ...o, ...options.auth }),
    relay: (o) => ({ ...o, networks: [...options.relayNetworks] }),
    // The test mail exchangers listen on an ephemeral port; STARTTLS with their self-signed
    // certificates as the example says (opportunistic, not verified).
    outbound: (o) => ({ ...o, port: options.outboundPort, timeouts: { connect: 5, greeting: 10, socket: 10 } }),
    // POP3's own listeners (110 and 995 in the example), like the core's: loopback, port 0.
    pop3: (o) => ({ ...o, listeners: ((o.listeners as Record<string, unknown>[] | undefined) ?? []).map((l) => ({ ...l, host: '127.0.0.1', port: 0 })) }),
  };
  const seen = new Set<string>();
  config.plugins = config.plugins.map((entry) => {
    const spec = typeof entry === 'string' ? { plugin: entry } : entry;
    seen.add(spec.plugin);
    const override = overrides[spec.plugin];
    return override ? { ...spec, options: override(spec.options ?? {}) } : spec;
  });
  for (const name of ['accounts-file', 'mailbox-maildir', 'queue-fs', 'auth', 'relay', 'sender-policy', 'headers', 'dkim-sign', 'outbound', 'dsn', 'pop3', 'sender-auth', 'spam']) {
    if (!seen.has(name)) throw new Error(`config/examples/sending.yaml lost the ${name} plugin`);
  }
  return config;
}

/** The character-strings of the TXT record `name` in a zone-file line the CLI printed. */
export function printedTxt(stdout: string, name: string): string[] {
  const line = stdout.split('\n').find((l) => l.startsWith(`${name} IN TXT `) || l.startsWith(`${name}\tIN\tTXT\t`));
  if (!line) throw new Error(`no TXT record for ${name} in:\n${stdout}`);
  return [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!);
}

export async function startSendingServer(options: SendingOptions = {}): Promise<SendingServer> {
  const temp = await tempDir('posthorn-e2e-sending-');
  let dns: TestDnsServer | undefined;
  let sinks: Record<string, SmtpSink> = {};
  let server: PosthornProcess | undefined;
  const dispose = async (): Promise<void> => {
    if (server) {
      const stopping = server.stop();
      const timer = setTimeout(() => void server?.kill(), 15_000);
      await stopping;
      clearTimeout(timer);
    }
    await Promise.all(Object.values(sinks).map((sink) => sink.close()));
    await dns?.close();
    await temp.remove();
  };
  try {
    dns = await startDnsServer({
      // The mx listener looks up clients' PTR records.
      [reverseName('127.0.0.1')]: { PTR: ['localhost'] },
      [reverseName('127.0.0.2')]: { PTR: ['client2.test'] },
      localhost: { A: ['127.0.0.1'] },
      [HOSTNAME]: { A: ['127.0.0.1'] },
      [DOMAIN]: { MX: [{ exchange: HOSTNAME, priority: 10 }] },
      ...options.zone,
    });
    sinks = await startSinks(options.sinks ?? []);
    const outboundPort = Object.values(sinks)[0]?.port ?? 25;
    const config = await testConfig({ dns: dns.server, outboundPort, relayNetworks: options.relayNetworks ?? [], auth: options.auth ?? {} });
    const configPath = join(temp.path, 'posthorn.config.json');
    await writeFile(configPath, JSON.stringify(config, null, 2));
    // The example's rule files (spam rules) sit beside it and are named relative to it.
    await cp(join(ROOT, 'config/examples/rules'), join(temp.path, 'rules'), { recursive: true });
    const dataDir = join(temp.path, 'var');
    const cli = (args: readonly string[], input?: string) => runPosthorn(['--config', configPath, ...args], input === undefined ? {} : { input });
    const password = (address: string) => `secret of ${address}`;

    server = await spawnPosthorn({ configPath });
    const running = server;
    // What an operator does after the first start. The running server serialises the account
    // file edits it gets through its control socket, so these may run at once.
    const users = options.users ?? [{ address: `alice@${DOMAIN}`, name: 'Alice Example' }];
    const [keygen] = await Promise.all([
      cli(['dkim', 'keygen', DOMAIN, '--selector', SELECTOR]),
      ...users.map(async (user) => {
        const added = await cli(['user', 'add', user.address, '--password-stdin', ...(user.name ? ['--name', user.name] : [])], `${password(user.address)}\n`);
        if (added.code !== 0) throw new Error(`posthorn user add ${user.address}: ${explain(added)}`);
      }),
    ]);
    if (keygen!.code !== 0) throw new Error(`posthorn dkim keygen: ${explain(keygen!)}`);
    const dkimRecord = printedTxt(keygen!.stdout, `${SELECTOR}._domainkey.${DOMAIN}.`);
    dns.zone[`${SELECTOR}._domainkey.${DOMAIN}`] = { TXT: [dkimRecord] };

    const queueDir = join(dataDir, 'queue');
    return {
      dir: temp.path,
      configPath,
      dataDir,
      dns,
      sinks,
      server: running,
      dkimRecord,
      port(listener) {
        const port = running.ports[listener];
        if (port === undefined) throw new Error(`no listener ${listener}`);
        return port;
      },
      password,
      maildir(address) {
        const [local, domain] = address.split('@') as [string, string];
        return join(dataDir, 'mail', domain.toLowerCase(), local);
      },
      cli,
      // The server itself says when its queue is empty (its storage format is its own business).
      queueEmpty: (timeoutMs = 20_000) =>
        waitFor(
          async () => {
            const listed = await cli(['queue', 'list', '--json']);
            return listed.code === 0 && (JSON.parse(listed.stdout) as unknown[]).length === 0 ? true : undefined;
          },
          'an empty queue',
          timeoutMs,
        ).then(() => undefined),
      dispose,
    };
  } catch (err) {
    await dispose();
    throw err;
  }
}

/**
 * Resolves with the first JSON log line of the server that matches. The server writes its log
 * asynchronously, so a line may arrive after the reply or the file it describes: wait for it.
 */
export async function waitForLog(server: PosthornProcess, match: (entry: Record<string, unknown>) => boolean, timeoutMs = 10_000): Promise<Record<string, unknown>> {
  const parse = (line: string): Record<string, unknown> | undefined => {
    try {
      return line.startsWith('{') ? (JSON.parse(line) as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  };
  const line = await server.waitForLine((l) => {
    const entry = parse(l);
    return entry !== undefined && match(entry);
  }, timeoutMs);
  return parse(line)!;
}

/** base64 of an AUTH PLAIN initial response (RFC 4616): no authzid, login, password. */
export function plainResponse(login: string, password: string): string {
  return Buffer.from(`\0${login}\0${password}`, 'utf8').toString('base64');
}

/**
 * A raw client on a submission listener, encrypted (STARTTLS on `submission`, implicit TLS on
 * `submissions`) and, when `login` is given, authenticated with AUTH PLAIN.
 */
export async function submissionClient(install: SendingServer, options: { listener?: 'submission' | 'submissions'; login?: string } = {}): Promise<SmtpClient> {
  const listener = options.listener ?? 'submission';
  const client = await SmtpClient.open(install.port(listener), { tls: listener === 'submissions' });
  try {
    const expect = async (pending: Promise<{ code: number; raw: string }>, code: number, what: string) => {
      const reply = await pending;
      if (reply.code !== code) throw new Error(`${what}: ${reply.raw}`);
    };
    await expect(client.command('EHLO client.test'), 250, 'EHLO');
    if (listener === 'submission') {
      await expect(client.startTls(), 220, 'STARTTLS');
      await expect(client.command('EHLO client.test'), 250, 'EHLO after STARTTLS');
    }
    if (options.login) await expect(client.command(`AUTH PLAIN ${plainResponse(options.login, install.password(options.login))}`), 235, 'AUTH');
    return client;
  } catch (err) {
    client.close();
    throw err;
  }
}

/** The header of a message (up to the empty line), unfolded: one entry per field. */
export function headerFields(message: Buffer): string[] {
  const text = message.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  return text
    .slice(0, end === -1 ? text.length : end)
    .split(/\r\n(?![ \t])/)
    .map((field) => field.replace(/\r\n([ \t])/g, '$1'));
}

/** Every value of a header field, unfolded. */
export function fieldValues(message: Buffer, name: string): string[] {
  const prefix = `${name.toLowerCase()}:`;
  return headerFields(message)
    .filter((field) => field.toLowerCase().startsWith(prefix))
    .map((field) => field.slice(prefix.length).trim());
}
