/**
 * One end-to-end Posthorn installation in a temp directory: a config file written for the
 * test (listeners on 127.0.0.1 port 0, data under the temp dir, DNS pointed at a loopback test
 * server), accounts created beforehand through the real CLI, and the real binary started,
 * killed and started again on the same data directory.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { reverseName, runPosthorn, type RunResult, spawnPosthorn, startDnsServer, tempDir, type PosthornProcess, type TestDnsServer } from '@posthorn/testkit';

export interface InstallationOptions {
  /** Accounts created with `posthorn user add ... --password-stdin` before the first start. */
  readonly users?: readonly string[];
  /** Listener entries; host 127.0.0.1, port 0 and greetingDelay 0 are filled in. Default: one mx. */
  readonly listeners?: readonly Record<string, unknown>[];
  /** Options of the queue-fs plugin. */
  readonly queue?: Readonly<Record<string, unknown>>;
  /** Plugin entries appended after the embedded three. */
  readonly extraPlugins?: readonly unknown[];
  /** Top-level core keys merged into the config (timeouts, ...). */
  readonly core?: Readonly<Record<string, unknown>>;
}

export interface Installation {
  readonly dir: string;
  readonly configPath: string;
  readonly dataDir: string;
  /** The running server (the last one started). */
  readonly server: PosthornProcess;
  /** Port of a listener of the running server, by name (default `mx`). */
  port(name?: string): number;
  /** The Maildir of an account: `<dataDir>/mail/<domain>/<local part>`. */
  maildir(address: string): string;
  /** Starts the server (again) on the same config and data directory. */
  start(): Promise<PosthornProcess>;
  /** Runs `posthorn --config <config> ...args` (through the control socket while a server runs). */
  cli(args: readonly string[], input?: string): Promise<RunResult>;
  /** Stops whatever runs (SIGKILL if it does not stop), closes the DNS server, removes the dir. */
  dispose(): Promise<void>;
}

/** Describes a failed command with everything it printed. */
export function explain(result: RunResult): string {
  return `exit ${result.code}${result.signal ? ` (${result.signal})` : ''}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
}

/** The three plugins of the embedded default, with the test's local domains. */
export function embeddedPlugins(queue: Readonly<Record<string, unknown>> = {}): unknown[] {
  return [{ plugin: 'accounts-file', options: { domains: ['localhost', 'example.test'] } }, 'mailbox-maildir', { plugin: 'queue-fs', options: queue }];
}

export async function createInstallation(options: InstallationOptions = {}): Promise<Installation> {
  const temp = await tempDir('posthorn-e2e-');
  let dns: TestDnsServer | undefined;
  let server: PosthornProcess | undefined;
  const dispose = async (): Promise<void> => {
    // Stop gracefully if it answers; a server that hangs in stop is killed, never left behind.
    if (server) {
      const stopping = server.stop();
      const timer = setTimeout(() => void server?.kill(), 15_000);
      await stopping;
      clearTimeout(timer);
    }
    await dns?.close();
    await temp.remove();
  };
  try {
    // The mx role looks up the client's PTR record; answer it here so nothing asks the system
    // resolver or waits for a DNS timeout.
    dns = await startDnsServer({ [reverseName('127.0.0.1')]: { PTR: ['localhost'] }, localhost: { A: ['127.0.0.1'] } });
    const config = {
      hostname: 'mx.test',
      dataDir: './var',
      log: { level: 'info', format: 'json' },
      dns: { servers: [dns.server], timeout: 1000, tries: 2 },
      ...options.core,
      listeners: (options.listeners ?? [{ role: 'mx' }]).map((listener) => ({ host: '127.0.0.1', port: 0, greetingDelay: 0, ...listener })),
      plugins: [...embeddedPlugins(options.queue), ...(options.extraPlugins ?? [])],
    };
    const configPath = join(temp.path, 'posthorn.config.json');
    await writeFile(configPath, JSON.stringify(config, null, 2));
    const cli = (args: readonly string[], input?: string) => runPosthorn(['--config', configPath, ...args], input === undefined ? {} : { input });
    for (const user of options.users ?? ['alice@localhost']) {
      const added = await cli(['user', 'add', user, '--password-stdin'], `password of ${user}\n`);
      if (added.code !== 0) throw new Error(`posthorn user add ${user} failed: ${explain(added)}`);
    }
    const dataDir = join(temp.path, 'var');
    const installation: Installation = {
      dir: temp.path,
      configPath,
      dataDir,
      get server(): PosthornProcess {
        if (!server) throw new Error('no server started');
        return server;
      },
      port(name = 'mx') {
        const port = installation.server.ports[name];
        if (port === undefined) throw new Error(`no listener named ${name}`);
        return port;
      },
      maildir(address) {
        const [local, domain] = address.split('@') as [string, string];
        return join(dataDir, 'mail', domain.toLowerCase(), local);
      },
      async start() {
        server = await spawnPosthorn({ configPath });
        return server;
      },
      cli,
      dispose,
    };
    await installation.start();
    return installation;
  } catch (err) {
    await dispose();
    throw err;
  }
}
