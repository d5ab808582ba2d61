import { compileAddressPatterns, parseNetworkEntries, reply, RuleSetError, type SchemaIssue, type SmtpReply } from '@posthorn/core';
import { compileHostPatterns } from './host-patterns.ts';
import { ALLOWED_CODES, defaultReply } from './replies.ts';
import { CONNECT, type Facts, HELO, MAIL_FROM, RCPT, STAGES, type StageIndex } from './stages.ts';

export type Action = 'reject' | 'tempfail' | 'allow';

/** One entry of the file, as written. */
export interface EntryData {
  readonly name?: string;
  readonly client?: string | readonly string[];
  readonly helo?: string | readonly string[];
  readonly sender?: string | readonly string[];
  readonly recipient?: string | readonly string[];
  readonly action: Action;
  readonly reply?: { readonly code?: number; readonly enhanced?: string; readonly text?: string };
}

export interface AccessFileData {
  readonly rules: readonly EntryData[];
}

/** An entry ready to match: every matcher it names must match (one item of each list). */
export interface AccessEntry {
  /** Position in the file; the first matching entry wins. */
  readonly index: number;
  readonly name: string | undefined;
  /** JSON pointer of the entry, for the log. */
  readonly pointer: string;
  readonly stage: StageIndex;
  readonly action: Action;
  /** The reply of a reject or tempfail entry, by the stage it fires at. */
  replyAt(stage: StageIndex): SmtpReply;
  matches(facts: Facts): boolean;
}

export interface AccessList {
  readonly entries: readonly AccessEntry[];
}

const patterns = {
  anyOf: [
    { type: 'string', minLength: 1 },
    { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 },
  ],
} as const;

export const accessFileSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    rules: {
      type: 'array',
      default: [],
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['action'],
        properties: {
          name: { type: 'string' },
          client: patterns,
          helo: patterns,
          sender: patterns,
          recipient: patterns,
          action: { enum: ['reject', 'tempfail', 'allow'] },
          reply: {
            type: 'object',
            additionalProperties: false,
            minProperties: 1,
            properties: {
              code: { type: 'integer' },
              enhanced: { type: 'string', pattern: '^[245]\\.\\d{1,3}\\.\\d{1,3}$' },
              // Printable ASCII: a control character could end the reply line and forge another.
              text: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[\\x20-\\x7e]+$' },
            },
          },
        },
      },
    },
  },
} as const;

const listOf = (value: string | readonly string[] | undefined): readonly string[] | undefined => (value === undefined ? undefined : typeof value === 'string' ? [value] : value);

/**
 * Compiles validated file data. Problems the schema cannot see (a bad network or pattern, a
 * reply code that does not fit the action or stage, an entry that names nothing) are reported
 * with the JSON pointer of the offending value, so the refusal in the log names file and line.
 */
export function compileAccessList(data: AccessFileData): AccessList {
  const issues: SchemaIssue[] = [];
  const entries = data.rules.map((entry, index) => compileEntry(entry, index, issues));
  if (issues.length) throw new RuleSetError(issues);
  return { entries };
}

function compileEntry(entry: EntryData, index: number, issues: SchemaIssue[]): AccessEntry {
  const pointer = `/rules/${index}`;
  const matchers: ((facts: Facts) => boolean)[] = [];
  let stage: StageIndex | undefined;
  const named = (at: StageIndex) => void (stage = stage === undefined || at > stage ? at : stage);

  const clients = listOf(entry.client);
  if (clients) {
    const parsed = parseNetworkEntries(clients);
    for (const i of parsed.invalid) issues.push({ pointer: itemPointer(pointer, 'client', entry.client, i), message: `not a network in CIDR notation: ${JSON.stringify(clients[i])}` });
    matchers.push((facts) => parsed.list.contains(facts.client));
    named(CONNECT);
  }
  const helos = listOf(entry.helo);
  if (helos) {
    const { patterns: hosts, invalid } = compileHostPatterns(helos);
    for (const problem of invalid) issues.push({ pointer: itemPointer(pointer, 'helo', entry.helo, problem.index), message: problem.message });
    matchers.push((facts) => facts.helo !== undefined && hosts.matches(facts.helo));
    named(HELO);
  }
  const senders = listOf(entry.sender);
  if (senders) {
    // `<>` is the null sender (bounces); the other items are address patterns.
    const nullSender = senders.some((s) => s.trim() === '<>');
    const real = senders.flatMap((s, i) => (s.trim() === '<>' ? [] : [{ s, i }]));
    const { patterns: addresses, invalid } = compileAddressPatterns(real.map(({ s }) => s));
    for (const problem of invalid) issues.push({ pointer: itemPointer(pointer, 'sender', entry.sender, real[problem.index]!.i), message: problem.message });
    matchers.push((facts) => facts.sender !== undefined && (facts.sender === '' ? nullSender : addresses.matches(facts.sender)));
    named(MAIL_FROM);
  }
  const recipients = listOf(entry.recipient);
  if (recipients) {
    const { patterns: addresses, invalid } = compileAddressPatterns(recipients);
    for (const problem of invalid) issues.push({ pointer: itemPointer(pointer, 'recipient', entry.recipient, problem.index), message: problem.message });
    matchers.push((facts) => facts.recipient !== undefined && addresses.matches(facts.recipient));
    named(RCPT);
  }
  if (stage === undefined) {
    issues.push({ pointer, message: 'an entry names at least one of client, helo, sender, recipient' });
    stage = CONNECT;
  }
  const at: StageIndex = stage;
  const replyAt = replyFor(entry, at, pointer, issues);
  return Object.freeze({
    index,
    name: entry.name,
    pointer,
    stage: at,
    action: entry.action,
    replyAt,
    matches: (facts: Facts) => matchers.every((matches) => matches(facts)),
  });
}

/** The pointer of one item of a matcher, which may be written as a single string. */
function itemPointer(entry: string, key: string, value: string | readonly string[] | undefined, index: number): string {
  return typeof value === 'string' ? `${entry}/${key}` : `${entry}/${key}/${index}`;
}

/** Checks an entry's custom reply against its action and stage; returns its reply by firing stage. */
function replyFor(entry: EntryData, stage: StageIndex, pointer: string, issues: SchemaIssue[]): (at: StageIndex) => SmtpReply {
  const custom = entry.reply;
  if (entry.action === 'allow') {
    if (custom) issues.push({ pointer: `${pointer}/reply`, message: 'an allow entry sends no reply' });
    return () => {
      throw new Error('an allow entry has no reply');
    };
  }
  const action = entry.action;
  if (!custom) return (at) => defaultReply(action, at);
  const fallback = defaultReply(action, stage);
  const code = custom.code ?? fallback.code;
  const allowed = stage === CONNECT ? ALLOWED_CODES[action].connect : ALLOWED_CODES[action].later;
  if (!allowed.includes(code)) {
    issues.push({
      pointer: `${pointer}/reply/code`,
      message: `a ${action} entry checked at ${STAGES[stage]} replies ${allowed.join(', ')}, not ${code}`,
    });
    return () => fallback;
  }
  const enhanced = custom.enhanced ?? `${Math.floor(code / 100)}.7.1`;
  if (enhanced[0] !== String(code)[0]) {
    issues.push({ pointer: `${pointer}/reply/enhanced`, message: `enhanced code ${enhanced} does not match reply code ${code}` });
    return () => fallback;
  }
  const text = custom.text ?? fallback.lines[0]!;
  const fixed = reply(code, enhanced, text);
  // A connect entry fires later only when a new file came in mid-session (checked again at the
  // next MAIL FROM). A greeting-only code (421) is then replaced by that stage's default code.
  const later = ALLOWED_CODES[action].later.includes(code) ? fixed : reply(defaultReply(action, MAIL_FROM).code, enhanced, text);
  return (at) => (at === stage || at === CONNECT ? fixed : later);
}
