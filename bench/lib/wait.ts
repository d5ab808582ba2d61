import { connect } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

/** Polls `check` until it returns true or the deadline passes (then throws with `what`). */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(everyMs);
  }
}

/** Resolves with the first line a server sends on a new connection (its SMTP greeting). */
export function readGreeting(port: number, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let buffer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no greeting'));
    }, timeoutMs);
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      const end = buffer.indexOf('\n');
      if (end < 0) return;
      clearTimeout(timer);
      socket.end('QUIT\r\n');
      socket.destroy();
      resolve(buffer.slice(0, end).trim());
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** Waits until something on the port answers with an SMTP 220 greeting. */
export async function waitForSmtp(port: number, timeoutMs: number, alive: () => boolean = () => true): Promise<string> {
  let greeting = '';
  await waitFor(
    `an SMTP greeting on 127.0.0.1:${port}`,
    async () => {
      if (!alive()) throw new Error(`the server for port ${port} exited before it greeted`);
      greeting = await readGreeting(port).catch(() => '');
      return greeting.startsWith('220');
    },
    timeoutMs,
    100,
  );
  return greeting;
}
