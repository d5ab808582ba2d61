/**
 * The findings written down twice: as Authentication-Results method results (RFC 8601) for
 * the reader of the message, and as the AuthenticationNote other plugins read from tx.notes.
 */
import type { AuthenticationNote } from '@posthorn/contracts';
import type { ResInfo } from './auth-results.ts';
import type { MessageFindings } from './message-checks.ts';
import type { SpfCheck } from './spf.ts';

/** SPF of the transaction: the MAIL FROM check (HELO for the null sender), and the HELO check when made. */
export interface SpfFindings {
  readonly mailFrom: SpfCheck;
  /** The HELO identity; the same object as `mailFrom` for the null sender. */
  readonly helo?: SpfCheck;
}

function spfResInfo(check: SpfCheck): ResInfo {
  // RFC 8601 2.7.2: smtp.mailfrom for the MAIL FROM identity, smtp.helo for HELO.
  const property = check.identity === 'mailfrom' ? (['smtp.mailfrom', { address: check.subject }] as const) : (['smtp.helo', { value: check.subject }] as const);
  return { method: 'spf', result: check.result, properties: check.subject ? [property] : [] };
}

export function resultsFor(spf: SpfFindings, message: MessageFindings | undefined): ResInfo[] {
  const results: ResInfo[] = [spfResInfo(spf.mailFrom)];
  if (spf.helo && spf.helo !== spf.mailFrom) results.push(spfResInfo(spf.helo));
  if (!message) return results;

  if (message.dkim.length === 0) results.push({ method: 'dkim', result: 'none', properties: [] });
  for (const signature of message.dkim) {
    results.push({
      method: 'dkim',
      result: signature.result,
      ...(signature.result !== 'pass' && signature.comment ? { comment: signature.comment } : {}),
      properties: [
        ...(signature.domain ? [['header.d', { value: signature.domain }] as const] : []),
        ...(signature.selector ? [['header.s', { value: signature.selector }] as const] : []),
        ...(signature.algorithm ? [['header.a', { value: signature.algorithm }] as const] : []),
        // RFC 6008: the first characters of b= tell several signatures of one domain apart.
        ...(signature.signaturePrefix ? [['header.b', { value: signature.signaturePrefix }] as const] : []),
      ],
    });
  }

  const { dmarc } = message;
  // RFC 9989 9.1 registers policy.dmarc: the policy after sp=, np= and t=y, known on pass and fail.
  const policyProperty = (dmarc.result === 'pass' || dmarc.result === 'fail') && dmarc.policy;
  results.push({
    method: 'dmarc',
    result: dmarc.result,
    ...(dmarc.reason ? { comment: dmarc.reason } : !policyProperty && dmarc.policy ? { comment: `p=${dmarc.policy}` } : {}),
    properties: [
      ...(policyProperty ? [['policy.dmarc', { value: policyProperty }] as const] : []),
      ...(dmarc.fromDomain ? [['header.from', { value: dmarc.fromDomain }] as const] : []),
    ],
  });

  const { arc } = message;
  // mailauth's comments on a broken chain start with the instance already ("i=2 ...").
  const reason = arc.result === 'fail' ? (arc.comment ?? '') : '';
  const arcComment = /^i=\d+\b/.test(reason) ? reason : [arc.instance ? `i=${arc.instance}` : '', reason].filter(Boolean).join(' ');
  results.push({ method: 'arc', result: arc.result, ...(arcComment ? { comment: arcComment } : {}), properties: [] });
  return results;
}

export function noteFor(spf: SpfFindings, message: MessageFindings | undefined): AuthenticationNote {
  const { mailFrom, helo } = spf;
  return {
    spf: { result: mailFrom.result, ...(mailFrom.domain ? { domain: mailFrom.domain } : {}), ...(helo ? { helo: helo.result } : {}) },
    ...(message
      ? {
          dkim: message.dkim.map((signature) => ({
            result: signature.result,
            ...(signature.domain ? { domain: signature.domain } : {}),
            ...(signature.selector ? { selector: signature.selector } : {}),
            aligned: signature.aligned,
          })),
          dmarc: {
            result: message.dmarc.result,
            ...(message.dmarc.fromDomain ? { domain: message.dmarc.fromDomain } : {}),
            ...(message.dmarc.policy ? { policy: message.dmarc.policy } : {}),
          },
          arc: { result: message.arc.result },
        }
      : {}),
  };
}
