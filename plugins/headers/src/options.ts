import { type OutgoingSelection, outgoingSelectionSchema } from '@posthorn/core';

/** Corrections applied to submitted mail; each can be switched off. */
export interface Corrections {
  /** Add `Date` when missing. */
  readonly date: boolean;
  /** Add `Message-ID` when missing. */
  readonly messageId: boolean;
  /** Add `From` from the authenticated identity when missing. */
  readonly from: boolean;
  /** Remove every `Bcc` (and `Resent-Bcc`) field. */
  readonly removeBcc: boolean;
  /** Fold header lines longer than 998 octets; refuse those that cannot be folded. */
  readonly fold: boolean;
  /** Add `MIME-Version` (and a Content-Type when there is none) to 8-bit messages. */
  readonly mimeVersion: boolean;
}

/** The incoming mode: problems of mail from other servers are noted, never corrected. */
export interface IncomingOptions {
  /** Note the problems of incoming mail (X-Posthorn-Notes and the header note). */
  readonly enabled: boolean;
  /** Seconds: a Date further ahead than this is `future-date`. */
  readonly futureDate: number;
  /** Seconds: a Date further back than this is `past-date`; absent, no such check. */
  readonly pastDate?: number;
}

export interface HeadersOptions {
  /** Which messages count as outgoing (submitted by our users) and get corrected. */
  readonly outgoing: OutgoingSelection;
  readonly corrections: Corrections;
  readonly incoming: IncomingOptions;
}

export const optionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    outgoing: outgoingSelectionSchema,
    corrections: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        date: { type: 'boolean', default: true },
        messageId: { type: 'boolean', default: true },
        from: { type: 'boolean', default: true },
        removeBcc: { type: 'boolean', default: true },
        fold: { type: 'boolean', default: true },
        mimeVersion: { type: 'boolean', default: true },
      },
    },
    incoming: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        enabled: { type: 'boolean', default: true, description: 'Note the header problems of incoming mail' },
        futureDate: { type: 'number', minimum: 0, default: 86400, description: 'Seconds a Date may lie ahead before it is noted as future-date' },
        pastDate: { type: 'number', exclusiveMinimum: 0, description: 'Seconds a Date may lie back before it is noted as past-date (no check when absent)' },
      },
    },
  },
} as const;
