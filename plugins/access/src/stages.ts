/**
 * Where an entry is checked: as soon as everything it names is known. An entry that names a
 * client only is checked at connect; one that names a sender (with or without a client) at
 * MAIL FROM; one that names a recipient at each RCPT TO.
 */
export const STAGES = ['connect', 'helo', 'mailFrom', 'rcpt'] as const;
export type Stage = (typeof STAGES)[number];

/** Index in STAGES: entries of a stage are checked at that stage and every later one. */
export type StageIndex = 0 | 1 | 2 | 3;

export const CONNECT: StageIndex = 0;
export const HELO: StageIndex = 1;
export const MAIL_FROM: StageIndex = 2;
export const RCPT: StageIndex = 3;

/** What is known about a session at a stage. */
export interface Facts {
  readonly client: string;
  readonly helo?: string;
  /** Envelope sender; "" is the null sender. */
  readonly sender?: string;
  readonly recipient?: string;
}
