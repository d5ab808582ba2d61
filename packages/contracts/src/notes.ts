import type { SpecialUse } from './mailstore.ts';

/**
 * Keys of per-message notes (`tx.notes`, stored with the queued message as `envelope.notes`)
 * that plugins share. Analysers record findings; policy and delivery plugins read them; no
 * plugin imports another to learn what it found.
 */
export const Notes = Object.freeze({
  /** Sender authentication results: AuthenticationNote. */
  authentication: 'posthorn.authentication',
  /** Inconsistencies found in an incoming message's header: HeaderNote. */
  header: 'posthorn.header',
  /** The spam verdict: SpamNote. */
  spam: 'posthorn.spam',
  /** Where local delivery should put the message instead of INBOX: a DeliveryTarget. */
  deliveryTarget: 'posthorn.delivery-target',
});

export type AuthResult = 'pass' | 'fail' | 'softfail' | 'neutral' | 'none' | 'temperror' | 'permerror' | 'policy';

/** What sender authentication found (RFC 8601 method results). */
export interface AuthenticationNote {
  readonly spf?: { readonly result: AuthResult; readonly domain?: string; readonly helo?: AuthResult };
  readonly dkim?: readonly { readonly result: AuthResult; readonly domain?: string; readonly selector?: string; readonly aligned?: boolean }[];
  readonly dmarc?: { readonly result: AuthResult; readonly domain?: string; readonly policy?: string };
  readonly arc?: { readonly result: AuthResult };
}

/** Problems an incoming message's header has (names like `missing-date`, `duplicate-from`). */
export interface HeaderNote {
  readonly problems: readonly string[];
}

export interface SpamNote {
  readonly score: number;
  readonly required: number;
  readonly tests: readonly string[];
  readonly spam: boolean;
}

/** Delivery into a mailbox other than INBOX, named by its special use (`\\Junk`). */
export interface DeliveryTarget {
  readonly specialUse: SpecialUse;
  /** Who decided, for the log. */
  readonly by: string;
}
