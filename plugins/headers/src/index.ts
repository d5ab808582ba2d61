import { Accounts, type HeaderNote, Notes } from '@posthorn/contracts';
import { definePlugin, isOutgoing, type MessageContent, reject, type Transaction } from '@posthorn/core';
import { analyzeHeader, describeProblem } from './analyze.ts';
import { correctHeader, type Identity } from './correct.ts';
import { noteIncoming, writeNotesField } from './incoming.ts';
import { type HeadersOptions, optionsSchema } from './options.ts';

export { analyzeHeader, describeProblem, SINGLE_FIELDS } from './analyze.ts';
export type { Problem, ProblemCode } from './analyze.ts';
export { correctHeader, newMessageId } from './correct.ts';
export type { CorrectionContext, CorrectionResult, Identity } from './correct.ts';
export { foldOverlongLines, MAX_LINE, RECOMMENDED_LINE } from './fold.ts';
export { isWellFormedAddressField } from './address-syntax.ts';
export type { AddressFieldKind } from './address-syntax.ts';
export { parseRfc5322Date } from './date.ts';
export { NOTES_FIELD, noteIncoming, writeNotesField } from './incoming.ts';
export type { IncomingContext } from './incoming.ts';
export { encodeDisplayName, formatMailbox } from './mailbox.ts';
export type { Corrections, HeadersOptions, IncomingOptions } from './options.ts';

/** The core's Received field (the topmost when the data hook runs) is the server's own. */
function coreReceived(message: MessageContent) {
  const first = message.headers.fields[0];
  return first?.key === 'received' ? first : undefined;
}

export default definePlugin<HeadersOptions>({
  name: 'headers',
  version: '0.1.0',
  core: '^0.1.0',
  description: 'Checks and completes the header of submitted mail; notes the header problems of incoming mail',
  options: optionsSchema,
  uses: [Accounts],
  setup(ctx, options) {
    const accounts = ctx.optionalService(Accounts);

    /** The From we would add: the account's canonical address and its display name. */
    const identityOf = async (tx: Transaction): Promise<Identity | undefined> => {
      const user = tx.session.user;
      if (!user) return undefined;
      let displayName: string | undefined;
      try {
        displayName = (await accounts?.getAccount(user.id))?.displayName;
      } catch (err) {
        // The address alone still makes a valid From; the name is a nicety.
        tx.log.warn({ err: (err as Error).message, user: user.id }, 'headers: no display name, account lookup failed');
      }
      return { address: user.id, displayName: displayName || undefined };
    };

    // What the incoming analysis found, per transaction, for the stage-0 tap that writes it.
    const noted = new WeakMap<Transaction, readonly string[]>();
    const incoming = options.incoming;

    if (incoming.enabled) {
      // Stage -100: analysers record findings and change nothing, so that every analyser at
      // this stage (a DKIM verifier among them) sees the header as it arrived.
      ctx.on(
        'data',
        async (tx, message) => {
          if (isOutgoing(tx.session, options.outgoing)) return undefined;
          const problems = noteIncoming(
            message,
            {
              now: new Date(),
              smtpUtf8: Object.hasOwn(tx.mailFrom.params, 'SMTPUTF8'),
              futureDate: incoming.futureDate,
              pastDate: incoming.pastDate,
            },
            coreReceived(message),
          );
          noted.set(tx, problems);
          tx.notes[Notes.header] = { problems: [...problems] } satisfies HeaderNote;
          if (problems.length) tx.log.debug({ problems }, 'headers: incoming header problems noted');
          return undefined;
        },
        { stage: -100 },
      );
    }

    // Stage 0: header fixers run first, so that policy checks (50) and signing (100) see the
    // final header. For incoming mail this is where the analysis's findings are written.
    ctx.on(
      'data',
      async (tx, message) => {
        if (!isOutgoing(tx.session, options.outgoing)) {
          const problems = noted.get(tx);
          if (!problems) return undefined;
          // An X-Posthorn-Notes that came with the message is somebody else's claim.
          const forged = writeNotesField(message.headers, problems);
          if (forged) tx.log.info({ removed: forged }, 'headers: removed X-Posthorn-Notes that came with the message');
          return undefined;
        }
        // The core's Received field is the server's own: never checked, never changed.
        const problems = analyzeHeader(message, coreReceived(message));
        if (problems.length === 0) return undefined;
        const needsIdentity = problems.some((p) => p.code === 'missing-from');
        const result = correctHeader(message, problems, {
          corrections: options.corrections,
          hostname: ctx.hostname,
          identity: needsIdentity ? await identityOf(tx) : undefined,
          now: new Date(),
        });
        if (result.refusal) {
          tx.log.info({ problem: describeProblem(result.refusal.problem) }, 'headers: message refused');
          return reject(result.refusal.reply);
        }
        if (result.added.length || result.removed.length || result.folded.length) {
          tx.log.info({ added: result.added, removed: result.removed, folded: result.folded }, 'headers: corrected');
        }
        return undefined;
      },
      { stage: 0 },
    );
  },
});
