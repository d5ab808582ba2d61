import { join } from 'node:path';
import { type AuthenticationNote, type DeliveryTarget, type HeaderNote, type JsonValue, Notes, Resolver, type SpamNote } from '@posthorn/contracts';
import { definePlugin, isOutgoing, reject, type Transaction, validateWithSchema } from '@posthorn/core';
import { evaluate, type MessageFacts } from './evaluate.ts';
import { addSpamFields, removeSpamFields } from './fields.ts';
import { optionsSchema, type SpamOptions } from './options.ts';
import { compileRules, type RuleDefaults, type Rules } from './rules.ts';
import { type RuleFileData, ruleFileSchema } from './schema.ts';
import { type Outcome, SpamStats } from './stats.ts';
import { bodyText } from './text.ts';

export { BUILTIN_SCORES, headerNoteTest } from './builtin.ts';
export { checkHelo, checkReverseDns } from './connection.ts';
export { domainsToAsk, interpret } from './dns-lists.ts';
export type { DnsList } from './dns-lists.ts';
export { formatScore, statusValue } from './fields.ts';
export { reversedAddress } from './ip.ts';
export type { SpamOptions } from './options.ts';
export { compileRules } from './rules.ts';
export type { Rules, Thresholds } from './rules.ts';
export { ruleFileSchema } from './schema.ts';
export { bodyText, decodeEncodedWords, urlHosts } from './text.ts';

/** The reply for mail at or above the reject threshold: generic, the detail is in the log. */
const REJECT_TEXT = 'Message rejected as spam';

function headerNoteOf(value: JsonValue | undefined): HeaderNote | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value) || !Array.isArray(value.problems)) return undefined;
  return { problems: value.problems.filter((p): p is string => typeof p === 'string') };
}

function authenticationNoteOf(value: JsonValue | undefined): AuthenticationNote | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  // Written by the sender-auth plugin in the shape of the contract; only the outer shape is
  // checked, so that one odd field cannot turn every message into a temporary failure.
  const note = value as unknown as AuthenticationNote;
  return { ...note, ...(note.dkim !== undefined && !Array.isArray(note.dkim) ? { dkim: [] } : {}) };
}

export default definePlugin<SpamOptions>({
  name: 'spam',
  version: '0.1.0',
  core: '^0.1.0',
  description: 'Score-based spam tagging of incoming mail (SpamAssassin-style header fields, Junk delivery, rejection)',
  options: optionsSchema,
  needs: [Resolver],
  async setup(ctx, options) {
    const resolver = ctx.service(Resolver);
    const defaults: RuleDefaults = { thresholds: options.thresholds, dnsLists: options.dnsLists };
    // The options' own lists are checked alone first, so a mistake there is reported as one in
    // the options and not as one in the rule file.
    const empty = validateWithSchema<RuleFileData>(ruleFileSchema, {});
    try {
      if (empty.ok) compileRules(empty.value, defaults);
    } catch (err) {
      throw new Error(`invalid options: ${(err as Error).message}`);
    }

    const rules = await ctx.ruleSet<Rules>({
      file: options.rules ? ctx.resolvePath(options.rules) : join(ctx.dataDir, 'spam-rules.yaml'),
      schema: ruleFileSchema,
      compile: (data) => compileRules(data as RuleFileData, defaults),
      // No file yet: the built-in tests and the options' lists, nothing else.
      whenMissing: {},
    });
    const stats = new SpamStats();
    // The rules a transaction started with (taken at MAIL FROM): a reload during the message
    // does not change how it is judged.
    const snapshots = new WeakMap<Transaction, Rules>();

    // Before any tap that might accept MAIL FROM (and so end the hook before this one runs).
    ctx.on(
      'mailFrom',
      async (tx) => {
        snapshots.set(tx, rules.current);
        return undefined;
      },
      { stage: -1000 },
    );

    // Stage 50: after the analysers (-100) recorded their notes and the fixers (0) finished
    // the header; before signing (100).
    ctx.on(
      'data',
      async (tx, message) => {
        const session = tx.session;
        if (isOutgoing(session, options.outgoing)) return undefined;
        const current = snapshots.get(tx) ?? rules.current;
        const removed = removeSpamFields(message.headers);
        const facts: MessageFacts = {
          clientAddress: session.remoteAddress,
          helo: session.helo,
          remoteHostname: session.remoteHostname,
          envelopeSender: tx.mailFrom.address,
          headers: message.headers,
          body: () => bodyText(message, options.bodyLimit),
          authentication: authenticationNoteOf(tx.notes[Notes.authentication]),
          headerNote: headerNoteOf(tx.notes[Notes.header]),
        };
        const judgement = await evaluate(current, facts, {
          resolver,
          hostname: ctx.hostname,
          timeoutMs: options.dnsTimeout * 1000,
          maxDomainLookups: options.maxDomainLookups,
          onDnsError: (list, name, error) => {
            stats.dnsError(list.name);
            tx.log.debug({ list: list.name, query: name, error }, 'spam: DNS list gave no answer; not counted');
          },
        });

        const { score } = judgement;
        const { required, junk, reject: rejectAt } = current.thresholds;
        const hard = judgement.action?.kind;
        const outcome: Outcome =
          hard === 'accept'
            ? 'accept'
            : hard === 'reject' || (rejectAt !== undefined && score >= rejectAt)
              ? 'reject'
              : hard === 'junk' || (junk !== undefined && score >= junk)
                ? 'junk'
                : score >= required
                  ? 'spam'
                  : 'ham';
        const spam = outcome === 'spam' || outcome === 'junk' || outcome === 'reject';
        const tests = judgement.hits.map((hit) => hit.test).sort();
        stats.record(outcome, tests);
        tx.log.info(
          {
            score,
            required,
            tests,
            outcome,
            ...(judgement.action ? { by: judgement.action.by } : {}),
            hits: judgement.hits.map((hit) => ({ test: hit.test, score: hit.score, ...hit.detail })),
            ...(removed.length ? { removed } : {}),
          },
          'spam: scored',
        );
        if (outcome === 'reject') return reject(550, '5.7.1', REJECT_TEXT);

        tx.notes[Notes.spam] = { score, required, tests: [...tests], spam } satisfies SpamNote;
        if (outcome === 'junk') tx.notes[Notes.deliveryTarget] = { specialUse: '\\Junk', by: ctx.name } satisfies DeliveryTarget;
        addSpamFields(message.headers, { spam, score, required, tests });
        return undefined;
      },
      { stage: 50 },
    );

    ctx.admin('spam.stats', {
      description: 'Spam filter counters since start: messages by outcome, hits per test, DNS list failures',
      run: async () => stats.snapshot(),
    });

    const logStats = () => ctx.log.info({ stats: stats.snapshot() }, 'spam: hit counters');
    let timer: NodeJS.Timeout | undefined;
    ctx.onStart(() => {
      if (options.statsInterval > 0) {
        timer = setInterval(logStats, options.statsInterval * 1000);
        timer.unref();
      }
    });
    ctx.onStop(() => {
      clearInterval(timer);
      if (ctx.mode === 'server') logStats();
    });
  },
});
