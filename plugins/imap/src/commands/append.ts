import { isAtomArg } from '../protocol/values.ts';
import { mailboxArg } from './mailbox-arg.ts';
import { parseFlags } from './store.ts';
import { AUTHENTICATED, bad, type CommandSpec, intoMailbox, no, ok } from './types.ts';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DATE_TIME = /^([ \d]?\d)-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)$/;

/** RFC 9051 date-time, `"17-Jul-1996 02:44:25 -0700"`; undefined when it is not one. */
export function parseDateTime(text: string): Date | undefined {
  const match = DATE_TIME.exec(text);
  if (!match) return undefined;
  const [, day, monthName, year, hour, minute, second, sign, zoneHour, zoneMinute] = match;
  const month = MONTHS.findIndex((name) => name.toLowerCase() === monthName!.toLowerCase());
  if (month < 0) return undefined;
  const offset = (Number(zoneHour) * 60 + Number(zoneMinute)) * (sign === '-' ? -1 : 1);
  const utc = Date.UTC(Number(year), month, Number(day), Number(hour), Number(minute), Number(second)) - offset * 60_000;
  const date = new Date(utc);
  if (Number(day) < 1 || Number(day) > 31 || Number(hour) > 23 || Number(minute) > 59 || Number(second) > 60 || Number.isNaN(utc)) return undefined;
  return date;
}

export const append: CommandSpec = {
  states: AUTHENTICATED,
  async run(session, command) {
    const args = [...command.args];
    let message = args.pop();
    // RFC 6855 4: `UTF8 (literal)` carries a message with UTF-8 headers.
    if (message?.kind === 'list' && message.items.length === 1 && isAtomArg(args.at(-1), 'UTF8')) {
      if (!session.enabled.has('UTF8=ACCEPT')) return bad('UTF8 APPEND needs ENABLE UTF8=ACCEPT');
      args.pop();
      message = message.items[0];
    }
    const name = mailboxArg(session, args.shift());
    let flags: string[] = [];
    let internalDate: Date | undefined;
    if (args[0]?.kind === 'list') {
      const parsed = parseFlags([args.shift()!]);
      if (typeof parsed === 'string') return bad(parsed);
      flags = parsed;
    }
    const dateArg = args[0];
    if (dateArg?.kind === 'string' && !dateArg.literal) {
      args.shift();
      internalDate = parseDateTime(dateArg.value.toString('latin1'));
      if (!internalDate) return bad('Invalid date-time');
    }
    if (args.length) return bad('APPEND takes a mailbox, optional flags, an optional date-time and a message literal');
    if (message?.kind !== 'string' || !message.literal) return bad('APPEND needs the message as a literal');
    if (message.value.length === 0) return no('Empty message', 'CANNOT');
    if (message.value.length > session.runtime.options.maxMessageSize) return no('Message too big', 'TOOBIG');
    const { store } = session.runtime;
    const result = await intoMailbox(() => store.append({ user: session.user, mailbox: name }, message.value, internalDate ? { flags, internalDate } : { flags }));
    return ok('APPEND completed', `APPENDUID ${result.uidValidity} ${result.uid}`);
  },
};
