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

export interface HeadersOptions {
  /** Which messages count as outgoing (submitted by our users) and get corrected. */
  readonly outgoing: OutgoingSelection;
  readonly corrections: Corrections;
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
  },
} as const;
