import type { AuthResult } from '@posthorn/contracts';
import type { DNSResolver } from 'mailauth';
import { spf } from 'mailauth/lib/spf/index.js';

/** One SPF evaluation (RFC 7208 check_host()) of one identity. */
export interface SpfCheck {
  readonly result: AuthResult;
  /** Which identity was checked: MAIL FROM, or HELO (also for the null sender, RFC 7208 2.4). */
  readonly identity: 'mailfrom' | 'helo';
  /** The identity as checked: the MAIL FROM address, or the HELO name. */
  readonly subject: string;
  /** The domain whose policy was evaluated; the one DMARC aligns with (RFC 7489 3.1.2). */
  readonly domain: string;
  /** mailauth's explanation of the result, for the log and the A-R comment. */
  readonly comment?: string;
  /** Text from the domain's `exp` modifier (RFC 7208 6.2), on fail only. Third-party text. */
  readonly explanation?: string;
}

export interface SpfRequest {
  /** SMTP client address. */
  readonly ip: string;
  /** MAIL FROM; the empty string is the null sender, for which the HELO identity is checked. */
  readonly sender: string;
  readonly helo: string | undefined;
  /** Our host name, in mailauth's comments. */
  readonly mta: string;
  readonly resolver: DNSResolver;
  readonly strict: boolean;
  /** Time limit of the whole evaluation in ms; past it the result is temperror. */
  readonly timeLimit?: number;
}

const RESULTS = new Set<AuthResult>(['pass', 'fail', 'softfail', 'neutral', 'none', 'temperror', 'permerror']);

/**
 * SPF of one identity, with mailauth's check_host(). This is the function the plugin uses at
 * MAIL FROM and the one the OpenSPF suite runs against. A null sender checks the HELO
 * identity (RFC 7208 2.4); a HELO name that is no domain (an address literal, a bare word)
 * gives `none` (RFC 7208 4.3).
 */
export async function checkSpf(request: SpfRequest): Promise<SpfCheck> {
  const identity = request.sender === '' ? 'helo' : 'mailfrom';
  const subject = identity === 'helo' ? (request.helo ?? '') : request.sender;
  if (subject === '') {
    // smtp-server refuses MAIL before HELO, so this is a null sender from a client that never
    // named itself: there is no identity to check.
    return { result: 'none', identity, subject, domain: '' };
  }
  const outcome = await spf({
    sender: request.sender,
    ip: request.ip,
    ...(request.helo ? { helo: request.helo } : {}),
    mta: request.mta,
    resolver: request.resolver,
    strict: request.strict,
    ...(request.timeLimit ? { maxElapsedTime: request.timeLimit } : {}),
  });
  const raw = outcome.status.result as AuthResult;
  return {
    result: RESULTS.has(raw) ? raw : 'temperror',
    identity,
    subject,
    domain: outcome.domain,
    ...(outcome.status.comment ? { comment: outcome.status.comment } : {}),
    ...(outcome.explanation ? { explanation: outcome.explanation } : {}),
  };
}
