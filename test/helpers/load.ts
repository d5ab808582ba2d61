/**
 * Load for the crash test: concurrent raw SMTP clients, each sending messages with a unique
 * token, and a ledger of what the server answered for each token. A client stops at the first
 * error (the server was killed) or when told to stop.
 */
import { randomBytes } from 'node:crypto';
import { dotStuff, SmtpClient } from '@posthorn/testkit';

export type Outcome =
  /** The data went out and a 250 came back: the server owns the message now. */
  | 'acked'
  /** The data went out and the server refused it with a final 4xx/5xx: it must not be delivered. */
  | 'refused'
  /** The data (or part of it) went out and no reply came: either outcome is allowed, once. */
  | 'in-doubt';

export interface LedgerEntry {
  readonly token: string;
  readonly round: number;
  readonly recipients: readonly string[];
  /** The message as sent (before dot-stuffing), to compare with what is stored. */
  readonly bytes: Buffer;
  outcome: Outcome;
  reply?: string;
}

export interface LoadOptions {
  readonly port: number;
  readonly round: number;
  readonly clients: number;
  /** Recipients of the n-th message of a client. */
  readonly recipientsFor: (n: number) => readonly string[];
  /** Called after each 250, with the number of 250s of this load so far. */
  readonly onAck?: (acked: number) => void;
}

export interface Load {
  /** Finishes the current transactions, then QUITs (for a load that ends without a kill). */
  stop(): void;
  /** Resolves when every client has ended, by error or by stop(). */
  readonly done: Promise<void>;
  readonly acked: () => number;
  /** Errors other than the server going away: refusals, replies out of place. */
  readonly unexpected: string[];
}

/** The crash test's messages: the token in the Subject and twice in the body. */
export function crashMessage(token: string, recipients: readonly string[]): Buffer {
  const body = Array.from({ length: 12 }, (_, i) => `${i === 5 ? '.' : ''}line ${i} of ${token}, padding to a realistic line length for mail.`);
  return Buffer.from(
    [`From: load@example.org`, `To: ${recipients.join(', ')}`, `Subject: crash ${token}`, `Message-ID: <${token}@load.example>`, '', token, ...body, `end ${token}`, ''].join('\r\n'),
    'latin1',
  );
}

export function startLoad(ledger: Map<string, LedgerEntry>, options: LoadOptions): Load {
  let stopping = false;
  let acked = 0;
  const unexpected: string[] = [];

  async function transaction(client: SmtpClient, id: number, n: number): Promise<void> {
    const token = `r${options.round}c${id}n${n}x${randomBytes(4).toString('hex')}`;
    const recipients = options.recipientsFor(n);
    const expect = async (line: string, code: number) => {
      const reply = await client.command(line);
      if (reply.code !== code) throw new Error(`${line}: ${reply.raw}`);
    };
    await expect(`MAIL FROM:<load@example.org>`, 250);
    for (const rcpt of recipients) await expect(`RCPT TO:<${rcpt}>`, 250);
    await expect('DATA', 354);
    const bytes = crashMessage(token, recipients);
    // In the ledger before the first byte goes out: from here on the server may store it.
    const entry: LedgerEntry = { token, round: options.round, recipients, bytes, outcome: 'in-doubt' };
    ledger.set(token, entry);
    client.write(Buffer.concat([dotStuff(bytes), Buffer.from('.\r\n')]));
    const reply = await client.reply(60_000);
    entry.reply = reply.raw;
    if (reply.code === 250) {
      entry.outcome = 'acked';
      options.onAck?.(++acked);
    } else {
      entry.outcome = 'refused';
      throw new Error(`data refused: ${reply.raw}`);
    }
  }

  async function run(id: number): Promise<void> {
    let client: SmtpClient;
    try {
      client = await SmtpClient.open(options.port);
    } catch {
      return;
    }
    try {
      if ((await client.command(`EHLO load${id}.example`)).code !== 250) return;
      for (let n = 0; !stopping; n++) await transaction(client, id, n);
      await client.command('QUIT');
    } catch (err) {
      // The server going away (killed) ends a client quietly; anything else is reported.
      if (!client.closed) unexpected.push(`client ${id}: ${(err as Error).message}`);
    } finally {
      client.close();
    }
  }

  const done = Promise.all(Array.from({ length: options.clients }, (_, id) => run(id))).then(() => undefined);
  return {
    stop: () => {
      stopping = true;
    },
    done,
    acked: () => acked,
    unexpected,
  };
}
