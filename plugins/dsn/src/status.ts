/**
 * What a notice says about one recipient: the Status code (RFC 3463), the Diagnostic-Code and
 * the Remote-MTA (RFC 3464 2.3).
 */
import type { ReplyData } from '@posthorn/contracts';
import { printable } from './text-safety.ts';

/**
 * Status of a recipient that failed. For a permanent failure, the reply's enhanced code. For
 * one that expired, RFC 3463 (X.4.7) asks for "the code for the actual problem found when
 * delivery was attempted" rather than 4.4.7: so the last temporary reply's code, and 4.4.7
 * only when that code says nothing (X.0.0) or is not a 4.x.x at all.
 */
export function failureStatus(reply: ReplyData, reason: 'failed' | 'expired'): string {
  if (reason === 'failed') return reply.enhanced;
  return reply.enhanced.startsWith('4.') && !reply.enhanced.endsWith('.0.0') ? reply.enhanced : '4.4.7';
}

/** `smtp; 550 5.1.1 text`: the reply, its lines joined by spaces, 7-bit. */
export function diagnosticCode(reply: ReplyData): string {
  return `smtp; ${replyText(reply)}`;
}

/** The reply as one printable line, for the notices. */
export function replyText(reply: ReplyData): string {
  const text = reply.lines.map((line) => line.trim()).filter(Boolean).join(' ');
  return printable(`${reply.code} ${reply.enhanced}${text ? ` ${text}` : ''}`);
}

const HOST_NAME = /^(?=.{1,253}\.?$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?$/;
const ADDRESS_LITERAL = /^\[(?:IPv6:)?[0-9A-Fa-f:.]+\]$/;

/**
 * The remote MTA, when `by` (who gave the reply) names a host: a dotted DNS name or an
 * address literal. Plugin names (`outbound`, `mailbox-maildir`) have no dot and are no MTA.
 */
export function remoteMta(by: string | undefined): string | undefined {
  if (by === undefined) return undefined;
  const host = by.trim();
  return HOST_NAME.test(host) || ADDRESS_LITERAL.test(host) ? `dns; ${host}` : undefined;
}
