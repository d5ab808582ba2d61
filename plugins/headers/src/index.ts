import { Accounts } from '@posthorn/contracts';
import { definePlugin, reject, type Transaction } from '@posthorn/core';
import { analyzeHeader, describeProblem } from './analyze.ts';
import { correctHeader, type Identity } from './correct.ts';
import { type HeadersOptions, optionsSchema } from './options.ts';
import { isOutgoing } from '@posthorn/core';

export { analyzeHeader, describeProblem, SINGLE_FIELDS } from './analyze.ts';
export type { Problem, ProblemCode } from './analyze.ts';
export { correctHeader, newMessageId } from './correct.ts';
export type { CorrectionContext, CorrectionResult, Identity } from './correct.ts';
export { foldOverlongLines, MAX_LINE, RECOMMENDED_LINE } from './fold.ts';
export { encodeDisplayName, formatMailbox } from './mailbox.ts';
export type { Corrections, HeadersOptions } from './options.ts';

export default definePlugin<HeadersOptions>({
  name: 'headers',
  version: '0.1.0',
  core: '^0.1.0',
  description: 'Checks and completes the header of submitted mail: Date, Message-ID, From, Bcc, folding, MIME-Version',
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

    // Stage 0: header fixers run first, so that policy checks (50) and signing (100) see the
    // final header.
    ctx.on(
      'data',
      async (tx, message) => {
        if (!isOutgoing(tx.session, options.outgoing)) return undefined;
        const first = message.headers.fields[0];
        // The core's Received field is the server's own: never checked, never changed.
        const problems = analyzeHeader(message, first?.key === 'received' ? first : undefined);
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
