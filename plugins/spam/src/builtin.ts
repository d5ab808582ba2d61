/**
 * The tests the plugin has without any rule file, with their default scores. A rule file's
 * `scores` map changes them by name; a score of 0 switches a test off (as in SpamAssassin, a
 * test scored 0 is not run and not listed).
 */

const AUTH_RESULTS = ['pass', 'fail', 'softfail', 'neutral', 'none', 'temperror', 'permerror', 'policy'] as const;

/** Authentication results (tx.notes[Notes.authentication]): `SPF_FAIL`, `DKIM_PASS`, ... */
const AUTHENTICATION: Record<string, number> = {
  SPF_PASS: -0.1,
  SPF_FAIL: 1.0,
  SPF_SOFTFAIL: 0.5,
  SPF_PERMERROR: 0.2,
  DKIM_PASS: -0.1,
  DKIM_FAIL: 0.5,
  DKIM_PERMERROR: 0.2,
  DMARC_PASS: -0.1,
  DMARC_FAIL: 2.0,
  DMARC_PERMERROR: 0.2,
};

/** Connection checks: reverse DNS and the HELO name. */
const CONNECTION: Record<string, number> = {
  /** The client's address has no reverse name. */
  RDNS_NONE: 1.0,
  /** The reverse name does not resolve back to the client's address (no FCrDNS). */
  FCRDNS_FAIL: 1.0,
  /** HELO is an address literal that is not the client's address. */
  HELO_IP_MISMATCH: 1.0,
  /** HELO is our own host name: a client pretending to be us. */
  HELO_OURS: 2.0,
  /** HELO is neither an address literal nor a fully qualified domain name. */
  HELO_NOT_FQDN: 0.5,
};

/** Header problems noted by the headers plugin (tx.notes[Notes.header]), by token. */
const HEADER_NOTES: Record<string, number> = {
  'missing-date': 0.5,
  'missing-message-id': 0.5,
  'missing-from': 1.0,
  'duplicate-date': 1.0,
  'duplicate-from': 2.0,
  'duplicate-sender': 1.0,
  'duplicate-reply-to': 1.0,
  'duplicate-to': 1.0,
  'duplicate-cc': 1.0,
  'duplicate-bcc': 0.5,
  'duplicate-message-id': 1.0,
  'duplicate-in-reply-to': 0.5,
  'duplicate-references': 0.5,
  'duplicate-subject': 1.0,
  'malformed-from': 1.0,
  'malformed-sender': 0.5,
  'malformed-reply-to': 0.5,
  'malformed-to': 0.5,
  'malformed-cc': 0.5,
  'malformed-date': 0.5,
  'future-date': 1.0,
  'past-date': 0.5,
  'overlong-line': 0.5,
  '8bit-header': 0.5,
  'invalid-utf8': 0.5,
  'control-character': 0.5,
  'no-body-separator': 0.5,
  'malformed-line': 0.5,
  'several-from-without-sender': 0.5,
  'missing-mime-version': 0.2,
};

/** `missing-date` -> `HDR_MISSING_DATE`. */
export function headerNoteTest(token: string): string {
  return `HDR_${token.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/** `spf`, `softfail` -> `SPF_SOFTFAIL`. */
export function authenticationTest(method: 'spf' | 'dkim' | 'dmarc' | 'arc', result: string): string {
  return `${method.toUpperCase()}_${result.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/** Every built-in test name with its default score (0 for those that only inform when scored). */
export const BUILTIN_SCORES: ReadonlyMap<string, number> = new Map<string, number>([
  ...(['spf', 'dkim', 'dmarc', 'arc'] as const).flatMap((method) => AUTH_RESULTS.map((result) => [authenticationTest(method, result), 0] as [string, number])),
  ...Object.entries(AUTHENTICATION),
  ...Object.entries(CONNECTION),
  ...Object.entries(HEADER_NOTES).map(([token, score]) => [headerNoteTest(token), score] as [string, number]),
]);

/**
 * Whether a name may appear in a rule file's `scores`: a built-in test, or a header note the
 * headers plugin may add in a later version (`HDR_...`).
 */
export function isBuiltinTestName(name: string): boolean {
  return BUILTIN_SCORES.has(name) || /^HDR_[A-Z0-9_]+$/.test(name);
}
