/**
 * The machine-readable part: message/delivery-status (RFC 3464 2), one block of per-message
 * fields and one block per recipient, all 7-bit.
 */
import type { Envelope, EnvelopeRecipient, ReplyData } from '@posthorn/contracts';
import { rfc5322Date } from '@posthorn/core';
import { field } from './header-fields.ts';
import { diagnosticCode } from './status.ts';
import { printable, typedAddress } from './text-safety.ts';

export type Action = 'failed' | 'delayed' | 'delivered' | 'relayed';

/** What a notice reports about one recipient. */
export interface RecipientReport {
  readonly recipient: EnvelopeRecipient;
  readonly action: Action;
  /** Enhanced status code (RFC 3463). */
  readonly status: string;
  /** The reply that explains the action; becomes Diagnostic-Code. */
  readonly reply?: ReplyData;
  /** `dns; host` of the MTA that gave the reply. */
  readonly remoteMta?: string;
  /** The recipient expired rather than failed outright (for the explanation). */
  readonly expired?: boolean;
  readonly lastAttemptDate?: Date;
  readonly willRetryUntil?: Date;
}

/** `addr-type` of RFC 3461 4.2: an atom. */
const ADDR_TYPE = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+$/;

/**
 * Original-Recipient from the ORCPT parameter (RFC 3461 4.2, RFC 3464 2.3.1). Parameters reach
 * plugins already decoded from xtext (smtp-server decodes every parameter value), so the value
 * is used as it is; decoding again would turn an address like `bob+2B41@x` into `bob+A@x`.
 */
export function originalRecipient(recipient: EnvelopeRecipient): string | undefined {
  const orcpt = recipient.params.ORCPT;
  if (orcpt === undefined) return undefined;
  const semicolon = orcpt.indexOf(';');
  if (semicolon < 1) return undefined;
  const type = orcpt.slice(0, semicolon).trim();
  const address = orcpt.slice(semicolon + 1).trim();
  if (!ADDR_TYPE.test(type) || !address) return undefined;
  return typedAddress(address, type);
}

/** Original-Envelope-Id from ENVID (RFC 3461 4.4, RFC 3464 2.2.1); decoded already, see above. */
export function originalEnvelopeId(envelope: Envelope): string | undefined {
  const envid = envelope.mailFromParams.ENVID;
  return envid === undefined || envid === '' ? undefined : printable(envid);
}

export function deliveryStatus(hostname: string, envelope: Envelope, reports: readonly RecipientReport[]): Buffer {
  const perMessage: string[] = [...field('Reporting-MTA', `dns; ${hostname}`)];
  const envid = originalEnvelopeId(envelope);
  if (envid !== undefined) perMessage.push(...field('Original-Envelope-Id', envid));
  const arrival = Date.parse(envelope.receivedAt);
  if (!Number.isNaN(arrival)) perMessage.push(...field('Arrival-Date', rfc5322Date(new Date(arrival))));

  const blocks = [perMessage, ...reports.map(recipientBlock)];
  return Buffer.from(blocks.map((lines) => lines.map((line) => `${line}\r\n`).join('')).join('\r\n'), 'latin1');
}

function recipientBlock(report: RecipientReport): string[] {
  const lines: string[] = [];
  const original = originalRecipient(report.recipient);
  if (original !== undefined) lines.push(...field('Original-Recipient', original));
  lines.push(...field('Final-Recipient', typedAddress(report.recipient.address)));
  lines.push(...field('Action', report.action));
  lines.push(...field('Status', report.status));
  if (report.remoteMta !== undefined) lines.push(...field('Remote-MTA', report.remoteMta));
  if (report.reply !== undefined) lines.push(...field('Diagnostic-Code', diagnosticCode(report.reply)));
  if (report.lastAttemptDate !== undefined) lines.push(...field('Last-Attempt-Date', rfc5322Date(report.lastAttemptDate)));
  if (report.willRetryUntil !== undefined) lines.push(...field('Will-Retry-Until', rfc5322Date(report.willRetryUntil)));
  return lines;
}
