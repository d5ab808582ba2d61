/**
 * Idle SMTP clients, in a process of their own so their memory and event loop stay out of the
 * server's numbers:  node idle-client.ts <port>
 * Driven over stdio, one command or JSON answer per line:
 *   "open <n>"  opens n more connections to 127.0.0.1:<port> (a bounded number at a time),
 *               reads each greeting and then sends nothing; answers {"opened","failed","open"}
 *   "report"    answers {"open"}: connections still open
 *   end of input closes every connection and exits.
 */
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';

const port = Number(process.argv[2]);
const WINDOW = 200;
const open = new Set<Socket>();

function say(message: object): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

/** Resolves true once the server's 220 greeting has arrived, false if the connection failed. */
function openOne(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let greeting = '';
    let settled = false;
    const done = (ok: boolean) => {
      if (settled) return;
      settled = true;
      resolve(ok);
    };
    socket.on('data', (chunk: Buffer) => {
      if (settled) return;
      greeting += chunk.toString('latin1');
      if (!greeting.includes('\n')) return;
      if (greeting.startsWith('220')) {
        open.add(socket);
        done(true);
      } else {
        socket.destroy();
        done(false);
      }
    });
    socket.on('error', () => done(false));
    socket.on('close', () => {
      open.delete(socket);
      done(false);
    });
  });
}

async function openMany(count: number): Promise<{ opened: number; failed: number }> {
  let started = 0;
  let opened = 0;
  let failed = 0;
  const worker = async () => {
    while (started < count) {
      started += 1;
      if (await openOne()) opened += 1;
      else failed += 1;
    }
  };
  await Promise.all(Array.from({ length: Math.min(WINDOW, count) }, worker));
  return { opened, failed };
}

const input = createInterface({ input: process.stdin });
let work = Promise.resolve();
input.on('line', (line) => {
  const [command, arg] = line.trim().split(/\s+/);
  // Commands run one after another, in the order they came.
  work = work.then(async () => {
    if (command === 'open') say({ ...(await openMany(Number(arg))), open: open.size });
    else if (command === 'report') say({ open: open.size });
  });
});
input.on('close', () => {
  void work.then(() => {
    for (const socket of open) socket.destroy();
    process.exit(0);
  });
});
