import { constants as osConstants } from 'node:os';
import { App, type ListenerAddress } from '@posthorn/core';
import { printError } from '../output.ts';
import type { CommandContext } from './command.ts';

/**
 * Runs the server until SIGTERM or SIGINT. The last startup log line has `msg: "ready"` and
 * the listeners' addresses: supervisors and the end-to-end tests wait for it (tests listen on
 * port 0 and learn the real ports from it).
 */
/**
 * Copies of one stop request arrive together: on Ctrl-C the terminal signals the whole process
 * group, and `npm start` forwards the signal it got as well. Signals this soon after the first
 * are the same request, not an impatient operator asking to skip the graceful stop.
 */
const SAME_REQUEST_MS = 500;

export async function start(ctx: CommandContext): Promise<number> {
  const config = await ctx.loadConfig();
  let app: App | undefined;
  let stopSignal: NodeJS.Signals | undefined;
  let stopRequestedAt = 0;
  let ready = false;
  const { promise: stopped, resolve: resolveStopped } = Promise.withResolvers<number>();

  const stopNow = (): void => {
    app!.log.info({ signal: stopSignal }, 'stopping');
    app!.stop().then(
      () => resolveStopped(0),
      (err: Error) => {
        printError(`posthorn: stopping failed: ${err.message}`);
        resolveStopped(1);
      },
    );
  };
  const onStopSignal = (signal: NodeJS.Signals): void => {
    if (stopSignal) {
      if (performance.now() - stopRequestedAt < SAME_REQUEST_MS) return;
      // The operator does not want to wait for connections to drain.
      printError(`posthorn: second ${signal} while stopping, exiting now`);
      process.exit(128 + (osConstants.signals[signal] ?? 15));
    }
    stopSignal = signal;
    stopRequestedAt = performance.now();
    // Before "ready" the startup code below notices the flag and stops once it is safe.
    if (ready) stopNow();
  };
  process.on('SIGTERM', onStopSignal);
  process.on('SIGINT', onStopSignal);
  process.on('SIGHUP', () => {
    // Rule files (spam rules, access lists...) are read again; each one that has errors keeps
    // its previous version. The main config is not reloaded: that needs a restart.
    app?.log.info({ signal: 'SIGHUP' }, 'reloading rule files');
    void app?.reloadRules().catch((err: Error) => app?.log.error({ err: err.message }, 'reload failed'));
  });

  let listeners: ListenerAddress[];
  try {
    app = await App.create(config);
    listeners = await app.start();
  } catch (err) {
    // app.stop() also flushes the log, so nothing written so far is lost.
    await app?.stop().catch(() => undefined);
    throw err;
  }
  app.log.info({ listeners }, 'ready');
  ready = true;
  if (stopSignal) stopNow();
  return stopped;
}
