import { capability, enable, id, logout, noop } from './any-state.ts';
import { copy, move } from './copy-move.ts';
import { expunge } from './expunge.ts';
import { fetch } from './fetch.ts';
import { idle } from './idle.ts';
import { authenticateCommand, login, starttls } from './login.ts';
import { append } from './append.ts';
import { list, lsub } from './list.ts';
import { create, deleteMailbox, getQuota, getQuotaRoot, namespace, rename, status, subscribe, unsubscribe } from './mailboxes.ts';
import { search } from './search.ts';
import { close, examine, select, unselect } from './select.ts';
import { store } from './store.ts';
import type { CommandSpec } from './types.ts';

/** Every command by name (upper case); `UID x` runs `x` with `uid` set. */
export const COMMANDS: ReadonlyMap<string, CommandSpec> = new Map<string, CommandSpec>([
  ['CAPABILITY', capability],
  ['NOOP', noop],
  ['LOGOUT', logout],
  ['ID', id],
  ['ENABLE', enable],
  ['STARTTLS', starttls],
  ['LOGIN', login],
  ['AUTHENTICATE', authenticateCommand],
  ['SELECT', select],
  ['EXAMINE', examine],
  ['CREATE', create],
  ['DELETE', deleteMailbox],
  ['RENAME', rename],
  ['SUBSCRIBE', subscribe],
  ['UNSUBSCRIBE', unsubscribe],
  ['LIST', list],
  ['LSUB', lsub],
  ['NAMESPACE', namespace],
  ['STATUS', status],
  ['APPEND', append],
  ['GETQUOTA', getQuota],
  ['GETQUOTAROOT', getQuotaRoot],
  ['IDLE', idle],
  ['CHECK', { states: ['selected'], run: async () => ({ status: 'OK', text: 'CHECK completed' }) }],
  ['CLOSE', close],
  ['UNSELECT', unselect],
  ['EXPUNGE', expunge],
  ['SEARCH', search],
  ['FETCH', fetch],
  ['STORE', store],
  ['COPY', copy],
  ['MOVE', move],
]);
