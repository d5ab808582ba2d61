import { App, type ListenerAddress, parseConfig, silentLogger } from '@posthorn/core';
import type { Logger } from '@posthorn/core';

export interface TestServer {
  readonly app: App;
  readonly listeners: readonly ListenerAddress[];
  /** Port of the listener with this name (or role, when names are defaults). */
  port(name?: string): number;
  stop(): Promise<void>;
}

/**
 * Starts Posthorn in this process from a config object, on ephemeral ports, with the tests'
 * defaults: silent logs, no greeting pause, no control socket, no DNS servers except those
 * the test gives. Relative paths resolve against `dir`.
 */
export async function startTestServer(config: Record<string, unknown>, options: { dir: string; logger?: Logger }): Promise<TestServer> {
  const listeners = (config.listeners as Record<string, unknown>[] | undefined) ?? [{ role: 'mx', port: 0 }];
  const raw = {
    hostname: 'mx.test',
    dataDir: './var',
    control: { enabled: false },
    ...config,
    // An unreachable resolver unless the test brings one: no query may leave the machine.
    dns: { servers: ['127.0.0.1:9'], timeout: 200, tries: 1, ...((config.dns as object | undefined) ?? {}) },
    listeners: listeners.map((listener) => ({ port: 0, greetingDelay: 0, ...listener })),
  };
  const app = await App.create(parseConfig(raw, undefined, options.dir), { logger: options.logger ?? silentLogger() });
  const addresses = await app.start();
  return {
    app,
    listeners: addresses,
    port(name) {
      const found = name === undefined ? addresses[0] : addresses.find((a) => a.name === name || a.role === name);
      if (!found) throw new Error(`no listener ${name ?? ''}`);
      return found.port;
    },
    stop: () => app.stop(),
  };
}
