/**
 * What the findings do to a message, by configuration: tag (the Authentication-Results field
 * only), junk (file into the recipient's Junk mailbox), reject (5xx) or tempfail (4xx).
 *
 * Reply codes (RFC 3463 classes, RFC 7372 authentication codes):
 * - SPF fail or softfail refused: 550 5.7.23 "SPF validation failed" (RFC 7372, in place of 5.7.1).
 * - SPF permerror refused: 550 5.7.24; SPF temperror deferred: 451 4.7.24 "SPF validation
 *   error" (RFC 7372 registers X.7.24 for both classes, in place of 4.4.3 and 5.5.2).
 * - DKIM: no signature verifies and one failed, refused: 550 5.7.20 "No passing DKIM
 *   signature found" (RFC 7372). A key that could not be fetched, deferred: 451 4.4.3
 *   (RFC 3463 X.4.3 directory server failure; RFC 7372 has no transient DKIM code).
 * - DMARC refused: 550 5.7.1 (RFC 3463 X.7.1 delivery not authorized, as RFC 7489 10.3's
 *   example reply does); deferred: 451 4.4.3 (its DNS lookups failed).
 * - ARC chain broken, refused: 550 5.7.29 "ARC validation failure" (RFC 8617 5.2.2).
 * - More than one of these refusing the same message: 550 5.7.26 "Multiple authentication
 *   checks failed" (RFC 7372).
 * Reply texts stay generic; the findings are in the log and in the header.
 */
import type { SmtpReply } from '@posthorn/core';
import { reply } from '@posthorn/core';
import type { ArcFinding, DkimFinding, DmarcFinding } from './message-checks.ts';
import type { ArcPolicy, DkimPolicy, DmarcPolicy, FailAction, SpfPolicy, TempAction } from './options.ts';
import type { SpfCheck } from './spf.ts';

export type Decision =
  | { readonly action: 'tag' }
  | { readonly action: 'junk'; readonly because: string }
  | { readonly action: 'reject' | 'tempfail'; readonly because: string; readonly reply: SmtpReply };

const TAG: Decision = Object.freeze({ action: 'tag' });

export const Replies = Object.freeze({
  spfFail: reply(550, '5.7.23', 'SPF validation failed'),
  spfPermError: reply(550, '5.7.24', 'SPF validation error'),
  spfTempError: reply(451, '4.7.24', 'SPF validation error, please try again later'),
  dkimFail: reply(550, '5.7.20', 'No passing DKIM signature found'),
  dkimTempError: reply(451, '4.4.3', 'Sender authentication temporarily unavailable, please try again later'),
  dmarcReject: reply(550, '5.7.1', "Message rejected by the author domain's DMARC policy"),
  dmarcFail: reply(550, '5.7.1', 'DMARC validation failed'),
  dmarcPermError: reply(550, '5.7.1', 'Message has no single author domain for DMARC'),
  dmarcTempError: reply(451, '4.4.3', 'Sender authentication temporarily unavailable, please try again later'),
  arcFail: reply(550, '5.7.29', 'ARC validation failure'),
  multipleFailed: reply(550, '5.7.26', 'Multiple authentication checks failed'),
});

function onFail(action: FailAction, because: string, refusal: SmtpReply): Decision {
  if (action === 'reject') return { action: 'reject', because, reply: refusal };
  if (action === 'junk') return { action: 'junk', because };
  return TAG;
}

function onTempError(action: TempAction, because: string, deferral: SmtpReply): Decision {
  return action === 'tempfail' ? { action: 'tempfail', because, reply: deferral } : TAG;
}

/** SPF, decided at MAIL FROM so a refusal comes before any data is sent. */
export function spfDecision(spf: SpfCheck, policy: SpfPolicy): Decision {
  const because = `spf=${spf.result}`;
  switch (spf.result) {
    case 'fail':
      return onFail(policy.fail, because, Replies.spfFail);
    case 'softfail':
      return onFail(policy.softfail, because, Replies.spfFail);
    case 'permerror':
      return onFail(policy.permerror, because, Replies.spfPermError);
    case 'temperror':
      return onTempError(policy.temperror, because, Replies.spfTempError);
    default:
      return TAG;
  }
}

/**
 * DKIM as a whole: a failed signature among passing ones changes nothing (RFC 6376 6.3: a
 * signature that does not verify is as if absent). Only when none verifies does a failure or
 * a DNS error count.
 */
export function dkimDecision(dkim: readonly DkimFinding[], policy: DkimPolicy): Decision {
  if (dkim.length === 0 || dkim.some((signature) => signature.result === 'pass')) return TAG;
  const decisions: Decision[] = [];
  if (dkim.some((signature) => signature.result === 'temperror')) decisions.push(onTempError(policy.temperror, 'dkim=temperror', Replies.dkimTempError));
  if (dkim.some((signature) => signature.result === 'fail')) decisions.push(onFail(policy.fail, 'dkim=fail', Replies.dkimFail));
  return strongest(decisions);
}

/**
 * DMARC: `fail` applies to every failing message; on top of it the author domain's policy is
 * honoured as configured: p=quarantine files into Junk (honorQuarantine), p=reject refuses
 * only when the operator opted in (honorReject). The policy is mailauth's, after sp=, np= and
 * t=y (RFC 7489 6.3; pct= is historic in DMARCbis and not applied).
 */
export function dmarcDecision(dmarc: DmarcFinding, policy: DmarcPolicy): Decision {
  switch (dmarc.result) {
    case 'fail': {
      const because = `dmarc=fail policy=${dmarc.policy ?? 'none'}`;
      const decisions = [onFail(policy.fail, because, Replies.dmarcFail)];
      if (dmarc.policy === 'reject' && policy.honorReject) decisions.push({ action: 'reject', because, reply: Replies.dmarcReject });
      if (dmarc.policy === 'quarantine' && policy.honorQuarantine) decisions.push({ action: 'junk', because });
      return strongest(decisions);
    }
    case 'temperror':
      return onTempError(policy.temperror, 'dmarc=temperror', Replies.dmarcTempError);
    case 'permerror':
      return onFail(policy.permerror, `dmarc=permerror (${dmarc.reason ?? 'unknown'})`, Replies.dmarcPermError);
    default:
      return TAG;
  }
}

export function arcDecision(arc: ArcFinding, policy: ArcPolicy): Decision {
  return arc.result === 'fail' ? onFail(policy.fail, 'arc=fail', Replies.arcFail) : TAG;
}

// A deferral wins over a refusal: a retry may authenticate what a DNS error hid now (a DKIM
// key that would make DMARC pass). Then refusal, then Junk.
const RANK = { tag: 0, junk: 1, reject: 2, tempfail: 3 } as const;

/** The decision that weighs most; the first of equals. */
export function strongest(decisions: readonly Decision[]): Decision {
  let best: Decision = TAG;
  for (const decision of decisions) if (RANK[decision.action] > RANK[best.action]) best = decision;
  return best;
}

/**
 * The message's decision from one decision per method: the strongest, except that refusals
 * by more than one method become 550 5.7.26 (RFC 7372) instead of naming one of them.
 */
export function combine(decisions: readonly Decision[]): Decision {
  const best = strongest(decisions);
  if (best.action !== 'reject') return best;
  const refusals = decisions.filter((decision) => decision.action === 'reject');
  if (refusals.length < 2) return best;
  return { action: 'reject', because: refusals.map((decision) => ('because' in decision ? decision.because : '')).join(', '), reply: Replies.multipleFailed };
}
