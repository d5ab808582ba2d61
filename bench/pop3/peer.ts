import { POP3_GREETING, type MailPeer, type RunningMailPeer, waitForGreeting } from '../lib/mail-peer.ts';

/** A POP3 server under test. */
export type Pop3Peer = MailPeer;
export type RunningPop3 = RunningMailPeer;

/** Waits until something on the port greets with +OK. */
export function waitForPop3(port: number, timeoutMs: number, alive: () => boolean): Promise<void> {
  return waitForGreeting(POP3_GREETING, port, timeoutMs, alive);
}
