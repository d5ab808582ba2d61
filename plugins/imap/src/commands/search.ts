import { MessageCandidate } from '../search-candidates.ts';
import { evaluateSearch } from '../search/evaluate.ts';
import { isSearchParseError, parseSearch } from '../search/parse.ts';
import { RETURN_ALL } from '../search/program.ts';
import { esearchResponse, savedSearchResult, searchResponse } from '../search/response.ts';
import type { Session } from '../session.ts';
import { bad, type CommandSpec, no, ok, SELECTED } from './types.ts';

export const search: CommandSpec = {
  states: SELECTED,
  holdsUpdates: (command) => !command.uid,
  async run(session, command) {
    const view = session.selected!;
    const program = parseSearch(command.args);
    if (isSearchParseError(program)) return program.code === 'BADCHARSET' ? no(program.error, 'BADCHARSET (US-ASCII UTF-8)') : bad(program.error);
    if (program.usesModseq) session.enabled.add('CONDSTORE');
    const candidates = candidatesOf(session);
    const result = await evaluateSearch(program, candidates, {
      maxSeq: view.exists,
      maxUid: view.uids.at(-1) ?? 0,
      savedResult: session.savedSearch,
      recent: view.recent,
    });
    const saved = savedSearchResult(result, program.returns);
    if (saved) session.savedSearch = saved;
    // IMAP4rev2 answers every SEARCH with ESEARCH; IMAP4rev1 only when RETURN was given.
    const returns = program.returns ?? (session.enabled.has('IMAP4REV2') ? RETURN_ALL : undefined);
    if (returns) {
      const values = esearchResponse(result, { tag: command.tag, uid: command.uid, returns });
      if (values) session.untagged('', values);
    } else {
      session.untagged('', searchResponse(result, command.uid));
    }
    return ok('SEARCH completed');
  },
};

function* candidatesOf(session: Session): Generator<MessageCandidate> {
  const view = session.selected!;
  const { store, cache } = session.runtime;
  const uids = view.uids;
  for (let i = 0; i < uids.length; i++) {
    const meta = view.meta(uids[i]!)!;
    yield new MessageCandidate(i + 1, meta, () => cache.get(store, view.box, meta.uid, meta.id));
  }
}
