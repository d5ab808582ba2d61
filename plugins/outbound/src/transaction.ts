import type { DnsResolver, Envelope, EnvelopeRecipient } from '@posthorn/contracts';
import { accept, type Logger, reject, type SmtpReply, type Verdict } from '@posthorn/core';
import { encodeXtext, type Endpoint, type RemoteClient, type SendResult, SetupError } from './client.ts';
import { type ContentNeeds, contentNeeds } from './content.ts';
import { lookupAddresses } from './mx.ts';
import type { ConnectionPool } from './pool.ts';
import { LocalReplies, parseRemoteReply, peerName, remoteVerdictReply, type Stage } from './replies.ts';
import type { Hop } from './routing.ts';

/**
 * Addresses tried per attempt, over all hosts: a domain with many dead hosts costs a bounded
 * time before the queue's next retry (RFC 5321 5.1 leaves the limit to the client).
 */
const MAX_ADDRESSES = 10;

/** Per recipient address, what the attempt came to. */
export type Verdicts = ReadonlyMap<string, Verdict>;

/** An address that could not take the message; the next one is tried. */
interface Failure {
  readonly enhanced: string;
  readonly text: string;
}

type AttemptResult = { readonly kind: 'final'; readonly verdicts: Verdicts } | { readonly kind: 'failed'; readonly failure: Failure };

export interface TransactionContext {
  readonly pool: ConnectionPool;
  readonly resolver: DnsResolver;
  readonly log: Logger;
}

/**
 * Delivers one message to the given recipients (all for one destination) in one SMTP
 * transaction: hosts in order, each host's addresses in order; an address that cannot be
 * reached, or drops the connection, hands over to the next. The first server that answers the
 * transaction decides every recipient. If none does, every recipient gets a temporary failure.
 */
export async function deliverToHops(
  context: TransactionContext,
  hops: readonly Hop[],
  label: string,
  envelope: Envelope,
  recipients: readonly EnvelopeRecipient[],
  message: Buffer,
): Promise<Verdicts> {
  const needs = contentNeeds(envelope, recipients.map((r) => r.address), message);
  let last: Failure | undefined;
  let tried = 0;
  for (const hop of hops) {
    if (tried >= MAX_ADDRESSES) break;
    let addresses = hop.addresses;
    if (!addresses) {
      const lookup = await lookupAddresses(hop.name, context.resolver);
      if ('error' in lookup) {
        context.log.debug({ host: hop.name, detail: lookup.detail }, 'mail host has no usable address');
        last = { enhanced: lookup.error === 'temporary' ? '4.4.3' : '4.4.4', text: `${hop.name}: no address (${lookup.error === 'temporary' ? 'DNS failure' : 'not found'})` };
        continue;
      }
      addresses = lookup.addresses;
    }
    for (const ip of addresses.slice(0, MAX_ADDRESSES - tried)) {
      tried++;
      const endpoint: Endpoint = { host: hop.name, ip, port: hop.port, tls: hop.tls, verify: hop.verify, ...(hop.auth ? { auth: hop.auth } : {}) };
      const result = await attemptAddress(context, endpoint, envelope, recipients, message, needs);
      if (result.kind === 'final') return result.verdicts;
      context.log.debug({ host: endpoint.host, ip, port: endpoint.port, reason: result.failure.text }, 'mail host failed; trying the next');
      last = result.failure;
    }
  }
  const reply = LocalReplies.unreachable(label, last?.enhanced ?? '4.4.1', last?.text ?? 'no address to try');
  context.log.info(
    { rcpts: recipients.map((r) => r.address), result: 'deferred', code: reply.code, enhanced: reply.enhanced, reply: reply.lines.join(' ') },
    'no mail host took the message',
  );
  return everyone(recipients, reject(reply));
}

function everyone(recipients: readonly EnvelopeRecipient[], verdict: Verdict): Verdicts {
  return new Map(recipients.map((r) => [r.address, verdict]));
}

async function attemptAddress(
  context: TransactionContext,
  endpoint: Endpoint,
  envelope: Envelope,
  recipients: readonly EnvelopeRecipient[],
  message: Buffer,
  needs: ContentNeeds,
): Promise<AttemptResult> {
  const peer = peerName(endpoint.host, endpoint.ip);
  let lease;
  try {
    lease = await context.pool.acquire(endpoint, context.log);
  } catch (err) {
    if (!(err instanceof SetupError)) throw err;
    if (err.stage === 'auth') {
      // Same credentials at every address of the route: a refusal is final for this attempt.
      const reply = err.response ? LocalReplies.authFailed(peer, firstLine(err.response)) : LocalReplies.authUnavailable(peer, err.message);
      context.log.warn({ host: endpoint.host, ip: endpoint.ip, user: endpoint.auth?.user, reason: err.response ?? err.message }, 'smarthost authentication failed');
      return { kind: 'final', verdicts: everyone(recipients, reject(reply)) };
    }
    if (err.stage === 'tls' && endpoint.tls === 'opportunistic' && !endpoint.verify) {
      // Opportunistic means TLS when it works: a failed handshake is retried in plain text.
      context.log.info({ host: endpoint.host, ip: endpoint.ip, reason: err.message }, 'STARTTLS failed; retrying without TLS');
      return attemptAddress(context, { ...endpoint, tls: 'none' }, envelope, recipients, message, needs);
    }
    return { kind: 'failed', failure: setupFailure(err, peer) };
  }
  let reusable = false;
  try {
    const result = await transact(lease.client, peer, envelope, recipients, message, needs, context.log);
    reusable = result.kind === 'final';
    return result;
  } finally {
    lease.done(reusable);
  }
}

function setupFailure(err: SetupError, peer: string): Failure {
  if (err.stage === 'tls') return { enhanced: err.response ? '4.7.4' : '4.7.5', text: err.response ? `${peer} said: ${firstLine(err.response)}` : `${peer}: ${err.message}` };
  return { enhanced: '4.4.1', text: err.response ? `${peer} said: ${firstLine(err.response)}` : `${peer}: ${err.message}` };
}

function firstLine(text: string): string {
  return text.split(/\r?\n/)[0] ?? '';
}

const NOTIFY = /^(?:NEVER|(?:SUCCESS|FAILURE|DELAY)(?:,(?:SUCCESS|FAILURE|DELAY))*)$/i;
const RET = /^(?:FULL|HDRS)$/i;
const ORCPT = /^[A-Za-z0-9-]+;./;

/**
 * RFC 3461 parameters of a recipient to pass on when the remote offers DSN. Values were
 * xtext-decoded on the way in and are encoded again; malformed ones are dropped rather than
 * passed to a server that would refuse the recipient for them.
 */
function rcptDsnParams(recipient: EnvelopeRecipient): string[] {
  const params: string[] = [];
  const { NOTIFY: notify, ORCPT: orcpt } = recipient.params;
  if (notify && NOTIFY.test(notify)) params.push(`NOTIFY=${notify.toUpperCase()}`);
  if (orcpt && ORCPT.test(orcpt)) params.push(`ORCPT=${encodeXtext(orcpt)}`);
  return params;
}

function mailDsnParams(envelope: Envelope): string[] {
  const params: string[] = [];
  const { RET: ret, ENVID: envid } = envelope.mailFromParams;
  if (ret && RET.test(ret)) params.push(`RET=${ret.toUpperCase()}`);
  if (envid) params.push(`ENVID=${encodeXtext(envid)}`);
  return params;
}

async function transact(
  client: RemoteClient,
  peer: string,
  envelope: Envelope,
  recipients: readonly EnvelopeRecipient[],
  message: Buffer,
  needs: ContentNeeds,
  log: Logger,
): Promise<AttemptResult> {
  const extensions = client.extensions;
  // Outbound does not downgrade content (RFC 6152 3, RFC 6531 3.4): it bounces what the remote cannot take.
  // SMTPUTF8 first: an internationalised message is 8-bit too, and that is the lesser reason.
  if (needs.utf8Addresses && !extensions.has('SMTPUTF8')) return final(recipients, reject(LocalReplies.noUtf8Address(peer)), client, log);
  if (needs.utf8Requested && !extensions.has('SMTPUTF8')) return final(recipients, reject(LocalReplies.noUtf8Header(peer)), client, log);
  if (needs.eightBit && !extensions.has('8BITMIME')) return final(recipients, reject(LocalReplies.no8bit(peer)), client, log);
  const dsn = extensions.has('DSN');
  const mailParams = dsn ? mailDsnParams(envelope) : [];
  if (needs.utf8Requested || needs.utf8Addresses) mailParams.push('SMTPUTF8');
  const result = await client.send(
    {
      from: envelope.mailFrom,
      mailParams,
      recipients: recipients.map((r) => ({ address: r.address, params: dsn ? rcptDsnParams(r) : [] })),
      size: message.length,
      eightBit: needs.eightBit,
    },
    message,
  );
  const outcome = classify(result, peer, recipients, client);
  if (outcome.kind === 'final') logOutcome(outcome.verdicts, client, log, dsn);
  return outcome;
}

function final(recipients: readonly EnvelopeRecipient[], verdict: Verdict, client: RemoteClient, log: Logger): AttemptResult {
  const verdicts = everyone(recipients, verdict);
  logOutcome(verdicts, client, log, false);
  return { kind: 'final', verdicts };
}

/** The remote's answer for one recipient, as a verdict. */
function verdictOf(raw: string, stage: Stage, peer: string): Verdict {
  const remote = parseRemoteReply(raw);
  if (!remote) return reject(LocalReplies.garbled(peer));
  const reply = remoteVerdictReply(remote, stage, peer);
  return reply.isPositive ? accept(reply) : reject(reply);
}

/**
 * Reads nodemailer's result per recipient: refused at RCPT → that reply; otherwise the reply to
 * the end of DATA (or to MAIL FROM, when that failed). A connection that died or a 421 without
 * a final answer is a failure of this address, not a verdict.
 */
function classify(result: SendResult, peer: string, recipients: readonly EnvelopeRecipient[], client: RemoteClient): AttemptResult {
  const own = (address: string): string | undefined => result.rejected.get(address);
  if (result.ok) {
    const verdicts = new Map<string, Verdict>();
    for (const { address } of recipients) {
      const refused = own(address);
      verdicts.set(address, refused ? verdictOf(refused, 'RCPT', peer) : verdictOf(result.response, 'DATA', peer));
    }
    return { kind: 'final', verdicts };
  }
  const { error } = result;
  const remote = error.response ? parseRemoteReply(error.response) : undefined;
  if (!remote) {
    if (error.code === 'EMESSAGE' && /larger than allowed/i.test(error.message)) {
      return { kind: 'final', verdicts: everyone(recipients, reject(LocalReplies.tooBig(peer, String(client.maxSize ?? '?')))) };
    }
    return { kind: 'failed', failure: { enhanced: '4.4.2', text: `${peer}: ${error.message}` } };
  }
  if (remote.code === 421 || (error.command !== 'MAIL FROM' && error.command !== 'RCPT TO' && error.command !== 'DATA')) {
    return { kind: 'failed', failure: { enhanced: remote.enhanced && remote.code >= 400 && remote.code < 500 ? remote.enhanced : '4.4.2', text: `${peer} said: ${firstLine(error.response!)}` } };
  }
  const verdicts = new Map<string, Verdict>();
  for (const { address } of recipients) {
    const refused = own(address);
    if (error.command === 'MAIL FROM') verdicts.set(address, verdictOf(error.response!, 'MAIL', peer));
    else if (refused) verdicts.set(address, verdictOf(refused, 'RCPT', peer));
    // Every recipient refused, but nodemailer did not say which reply was whose: the reply it gives.
    else if (error.command === 'RCPT TO') verdicts.set(address, verdictOf(error.response!, 'RCPT', peer));
    else verdicts.set(address, verdictOf(error.response!, 'DATA', peer));
  }
  return { kind: 'final', verdicts };
}

function logOutcome(verdicts: Verdicts, client: RemoteClient, log: Logger, dsn: boolean): void {
  const { host, ip, port } = client.endpoint;
  for (const [rcpt, verdict] of verdicts) {
    const reply: SmtpReply | undefined = verdict.reply;
    const result = verdict.action === 'accept' ? 'delivered' : reply!.isTransient ? 'deferred' : 'failed';
    log.info({ rcpt, host, ip, port, tls: client.secure, dsn, result, code: reply?.code, enhanced: reply?.enhanced, reply: reply?.lines.join(' ') }, 'remote delivery');
  }
}
