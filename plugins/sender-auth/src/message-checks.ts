/**
 * The checks that need the message: DKIM (RFC 6376) of every signature, the ARC chain
 * (RFC 8617), and DMARC (RFC 7489; mailauth finds organizational domains with the DNS Tree
 * Walk of DMARCbis instead of a public suffix list) from the SPF result of MAIL FROM and the
 * DKIM results.
 */
import type { AuthResult } from '@posthorn/contracts';
import type { ARCData, ARCResult, DKIMResult, DNSResolver } from 'mailauth';
import { arc } from 'mailauth/lib/arc/index.js';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { evaluateDmarc } from 'mailauth/lib/dmarc/index.js';
import type { SpfCheck } from './spf.ts';

export interface DkimFinding {
  readonly result: AuthResult;
  readonly domain?: string;
  readonly selector?: string;
  readonly algorithm?: string;
  /** The first 8 characters of the signature (RFC 6008 header.b). */
  readonly signaturePrefix?: string;
  /** Aligned with the author domain for DMARC (after DMARC's own alignment mode). */
  readonly aligned: boolean;
  readonly comment?: string;
}

export interface DmarcFinding {
  readonly result: AuthResult;
  /** The author domain (RFC5322.From), reported as header.from. */
  readonly fromDomain?: string;
  /** The policy to apply after sp=, np= and t=y: `none`, `quarantine` or `reject`. */
  readonly policy?: string;
  /** Why DMARC could not be evaluated (several From fields or author domains, no domain). */
  readonly reason?: string;
  readonly comment?: string;
}

export interface ArcFinding {
  readonly result: AuthResult;
  /** Instance of the newest ARC set. */
  readonly instance?: number;
  readonly comment?: string;
}

export interface MessageFindings {
  /** Every signature, in header order; empty for an unsigned message. */
  readonly dkim: readonly DkimFinding[];
  readonly dmarc: DmarcFinding;
  readonly arc: ArcFinding;
}

export interface MessageCheckRequest {
  readonly message: Buffer;
  /** MAIL FROM ('' for the null sender). */
  readonly sender: string;
  readonly ip: string;
  readonly spf: SpfCheck;
  readonly resolver: DNSResolver;
  readonly strict: boolean;
  readonly minBitLength: number;
}

const KNOWN = new Set<AuthResult>(['pass', 'fail', 'softfail', 'neutral', 'none', 'temperror', 'permerror', 'policy']);

function asResult(raw: string | undefined): AuthResult {
  if (raw === 'temperr') return 'temperror';
  return KNOWN.has(raw as AuthResult) ? (raw as AuthResult) : 'neutral';
}

function dkimFinding(row: DKIMResult, aligned: ReadonlySet<string>): DkimFinding {
  const domain = row.signingDomain?.toLowerCase();
  const result = asResult(row.status.result);
  return {
    result,
    ...(domain ? { domain } : {}),
    ...(row.selector ? { selector: row.selector } : {}),
    ...(row.algo ? { algorithm: row.algo } : {}),
    ...(row.signature ? { signaturePrefix: row.signature.slice(0, 8) } : {}),
    aligned: result === 'pass' && domain !== undefined && aligned.has(domain.replace(/\.$/, '')),
    ...(row.status.comment ? { comment: row.status.comment } : {}),
  };
}

/** Runs DKIM, ARC and DMARC on one message. DNS goes through `resolver` only. */
export async function checkMessage(request: MessageCheckRequest): Promise<MessageFindings> {
  const { resolver, strict, minBitLength } = request;
  // One resolver function for DKIM and ARC: mailauth then shares the key lookups between them.
  const verified = await dkimVerify(request.message, {
    resolver,
    ...(request.sender ? { sender: request.sender } : {}),
    minBitLength,
    strict,
  });
  const signatures = verified.results.filter((row) => row.signature !== undefined || row.signingDomain !== undefined);

  // dkimVerify always parses the ARC header fields; the result is the chain arc() verifies.
  const chain = (verified.arc ?? { chain: false }) as unknown as ARCData;
  const arcResult: ARCResult = await arc(chain, { resolver, minBitLength, strict, ip: request.ip });

  const evaluation = await evaluateDmarc({
    headerFrom: verified.headerFrom,
    fromFields: verified.fromFields,
    // RFC 7489 3.1.2: only an SPF pass authenticates a domain; for the null sender it is the
    // HELO domain (RFC 7489 4.1 and RFC 7208 2.4).
    spfDomains: request.spf.result === 'pass' && request.spf.domain ? [request.spf.domain] : [],
    dkimDomains: signatures
      .filter((row) => row.status.result === 'pass' && row.signingDomain)
      .map((row) => ({ id: row.id, domain: row.signingDomain!, aligned: row.status.aligned, underSized: row.status.underSized })),
    arcResult,
    resolver,
    strict,
  });

  const alignedDomains = evaluation.dkimAligned ?? new Set<string>();
  const response = evaluation.response;
  let dmarc: DmarcFinding;
  if (response) {
    const status = response.status as { result: string; comment?: string; header?: { from?: string } };
    dmarc = {
      result: asResult(status.result),
      ...(status.header?.from ? { fromDomain: status.header.from } : {}),
      ...(response.policy ? { policy: response.policy } : {}),
      ...(status.comment ? { comment: status.comment } : {}),
    };
  } else {
    // RFC 9989 5.3.1: no author domain, or several, so DMARC cannot be applied. A message
    // with no From at all is `none`; one that names several domains or From fields is a
    // permanent error of the message, which RFC 9989 11.5 calls suspicious.
    const reason = evaluation.reason ?? 'no-author-domain';
    dmarc = { result: reason === 'no-author-domain' ? 'none' : 'permerror', reason };
  }

  const arcStatus = arcResult.status as { result: string; comment?: string };
  return {
    dkim: signatures.map((row) => dkimFinding(row, alignedDomains)),
    dmarc,
    arc: {
      result: asResult(arcStatus.result),
      ...(typeof arcResult.i === 'number' && arcResult.i > 0 ? { instance: arcResult.i } : {}),
      ...(arcStatus.comment ? { comment: arcStatus.comment } : {}),
    },
  };
}
