import { type DnsResolver, type JsonValue, Notes } from '@posthorn/contracts';
import { type HookFn, isOutgoing, type NetworkList, reject, type Session, type Transaction, type Verdict } from '@posthorn/core';
import type { DNSResolver } from 'mailauth';
import { authResultsValue, FIELD, removeOwnResults } from './auth-results.ts';
import { checkMessage } from './message-checks.ts';
import type { SenderAuthOptions } from './options.ts';
import { arcDecision, combine, type Decision, dkimDecision, dmarcDecision, spfDecision } from './policy.ts';
import { noteFor, resultsFor, type SpfFindings } from './report.ts';
import { checkSpf, type SpfCheck } from './spf.ts';

export interface TapDependencies {
  /** The plugin's name: who filed a message into Junk, for the log. */
  readonly name: string;
  readonly options: SenderAuthOptions;
  readonly authservId: string;
  /** Our host name, in mailauth's comments. */
  readonly hostname: string;
  readonly resolver: DnsResolver;
  readonly trusted: NetworkList;
}

type Scope = 'check' | 'outgoing' | 'trusted';

const HELO_STATE = 'sender-auth:helo';

/**
 * The mailFrom tap (SPF, so a reject policy refuses before any data) and the data tap (DKIM,
 * ARC, DMARC, the Authentication-Results field, the decision). Both run at stage -100 with
 * the other analysers.
 */
export function senderAuthTaps(deps: TapDependencies): { mailFrom: HookFn<'mailFrom'>; data: HookFn<'data'> } {
  const { options, authservId, trusted } = deps;
  // mailauth's resolver shape; every lookup goes through the server's Resolver service.
  const lookup: DNSResolver = (name, rrtype) => deps.resolver.resolve(name, rrtype) as Promise<string[][] | string[]>;
  // The SPF of a transaction, started at MAIL FROM and awaited again at DATA.
  const spfOfTransaction = new WeakMap<Transaction, Promise<SpfFindings>>();

  const scope = (session: Session): Scope => {
    if (isOutgoing(session, 'both')) return 'outgoing';
    if (trusted.contains(session.remoteAddress)) return 'trusted';
    return 'check';
  };

  const spf = (session: Session, sender: string): Promise<SpfCheck> =>
    checkSpf({ ip: session.remoteAddress, sender, helo: session.helo, mta: deps.hostname, resolver: lookup, strict: options.strict, timeLimit: options.spfTimeLimit });

  // The HELO identity does not change between the transactions of a connection unless the
  // client greets again, so it is checked once per name.
  const heloCheck = (session: Session): Promise<SpfCheck> | undefined => {
    if (!options.heloCheck || !session.helo) return undefined;
    const cached = session.state.get(HELO_STATE) as { helo: string; check: Promise<SpfCheck> } | undefined;
    if (cached?.helo === session.helo) return cached.check;
    const check = spf(session, '');
    session.state.set(HELO_STATE, { helo: session.helo, check });
    return check;
  };

  const spfFindings = (tx: Transaction): Promise<SpfFindings> => {
    let findings = spfOfTransaction.get(tx);
    if (!findings) {
      findings = (async () => {
        const sender = tx.mailFrom.address;
        if (sender === '') {
          // RFC 7208 2.4: for the null sender the HELO identity is the one that counts.
          const helo = await (heloCheck(tx.session) ?? spf(tx.session, ''));
          return { mailFrom: helo, helo };
        }
        const [mailFrom, helo] = await Promise.all([spf(tx.session, sender), heloCheck(tx.session)]);
        return helo ? { mailFrom, helo } : { mailFrom };
      })();
      spfOfTransaction.set(tx, findings);
    }
    return findings;
  };

  const apply = (tx: Transaction, decision: Decision): Verdict | undefined => {
    if (decision.action === 'reject' || decision.action === 'tempfail') return reject(decision.reply);
    if (decision.action === 'junk') tx.notes[Notes.deliveryTarget] = { specialUse: '\\Junk', by: deps.name };
    return undefined;
  };

  const mailFrom: HookFn<'mailFrom'> = async (tx) => {
    if (scope(tx.session) !== 'check') return undefined;
    const findings = await spfFindings(tx);
    tx.notes[Notes.authentication] = asJson(noteFor(findings, undefined));
    const decision = spfDecision(findings.mailFrom, options.policy.spf);
    tx.log.debug(
      { spf: findings.mailFrom.result, identity: findings.mailFrom.identity, domain: findings.mailFrom.domain, helo: findings.helo?.result, action: decision.action },
      'sender-auth: SPF',
    );
    if (decision.action !== 'tag') {
      tx.log.info({ spf: findings.mailFrom.result, comment: findings.mailFrom.comment, action: decision.action }, 'sender-auth: SPF policy applied at MAIL FROM');
    }
    return apply(tx, decision);
  };

  const data: HookFn<'data'> = async (tx, message) => {
    const where = scope(tx.session);
    if (where === 'trusted') return undefined;
    if (where === 'outgoing') {
      // Our own users could forge a field in our name toward local recipients as well.
      const removed = removeOwnResults(message.headers, authservId);
      if (removed) tx.log.info({ removed }, 'sender-auth: removed Authentication-Results fields claiming our authserv-id');
      return undefined;
    }

    const spfFound = await spfFindings(tx);
    // Verified on the message as it arrived (with our Received field, which no signature covers).
    const found = await checkMessage({
      message: message.toBuffer(),
      sender: tx.mailFrom.address,
      ip: tx.session.remoteAddress,
      spf: spfFound.mailFrom,
      resolver: lookup,
      strict: options.strict,
      minBitLength: options.minBitLength,
    });

    // RFC 8601 5: a field claiming our authserv-id that we did not add is forged; it goes
    // before ours is added, so exactly one remains: ours, on top.
    const removed = removeOwnResults(message.headers, authservId);
    message.headers.prepend(FIELD, authResultsValue(authservId, resultsFor(spfFound, found)));
    tx.notes[Notes.authentication] = asJson(noteFor(spfFound, found));

    const decision = combine([
      spfDecision(spfFound.mailFrom, options.policy.spf),
      dkimDecision(found.dkim, options.policy.dkim),
      dmarcDecision(found.dmarc, options.policy.dmarc),
      arcDecision(found.arc, options.policy.arc),
    ]);
    tx.log.info(
      {
        spf: spfFound.mailFrom.result,
        dkim: found.dkim.map((signature) => `${signature.result}:${signature.domain ?? ''}`),
        dmarc: found.dmarc.result,
        dmarcPolicy: found.dmarc.policy,
        arc: found.arc.result,
        action: decision.action,
        ...(decision.action !== 'tag' ? { because: decision.because } : {}),
        ...(removed ? { removedForged: removed } : {}),
      },
      'sender-auth: results',
    );
    return apply(tx, decision);
  };

  return { mailFrom, data };
}

/** The note types are plain data, but interfaces carry no index signature for JsonValue. */
function asJson(value: object): JsonValue {
  return value as unknown as JsonValue;
}
