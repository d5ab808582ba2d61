import { isAtomArg, type Arg } from '../protocol/values.ts';
import { clientTextToUtf8 } from './names.ts';
import { parseStatusItems, type StatusItem } from './status-items.ts';

/**
 * The arguments of LIST (RFC 9051 6.3.9 with the RFC 5258 extended syntax) and LSUB
 * (RFC 3501 6.3.9):
 *
 *   LIST [(selection-options)] reference (pattern / (pattern ...)) [RETURN (return-options)]
 *   LSUB reference pattern
 *
 * Reference and patterns come back as UTF-8 (decoded from modified UTF-7 unless the client
 * enabled UTF-8). Every error is a syntax error, for a tagged BAD: RFC 5258 requires BAD for
 * unknown options.
 */

export interface ListSelection {
  /** Only subscribed names, existing or not; implies the SUBSCRIBED return option. */
  readonly subscribed: boolean;
  /** Also remote mailboxes: there are none here, so it changes nothing. */
  readonly remote: boolean;
  /** Also parents that fail the other criteria but have descendants that pass (CHILDINFO). */
  readonly recursiveMatch: boolean;
  /** Only mailboxes with a special use (RFC 6154); implies the SPECIAL-USE return option. */
  readonly specialUse: boolean;
}

export interface ListReturn {
  /** `\Subscribed` on subscribed names. */
  readonly subscribed: boolean;
  /** `\HasChildren`/`\HasNoChildren`: sent whether or not asked for, as Dovecot does. */
  readonly children: boolean;
  /** Special-use attributes: sent whether or not asked for, as Dovecot does. */
  readonly specialUse: boolean;
  /** RFC 5819 LIST-STATUS: a STATUS response for each selectable mailbox listed. */
  readonly status?: readonly StatusItem[];
}

export interface ListRequest {
  /** UTF-8. */
  readonly reference: string;
  /** UTF-8; at least one. "" asks for the delimiter and root. */
  readonly patterns: readonly string[];
  readonly selection: ListSelection;
  readonly returns: ListReturn;
  /**
   * Whether the client used the RFC 5258 syntax (selection options, a pattern list or RETURN).
   * Extended answers mark missing hierarchy levels `\NonExistent` instead of `\Noselect`.
   */
  readonly extended: boolean;
}

export interface LsubRequest {
  readonly reference: string;
  readonly patterns: readonly string[];
}

type ParseError = { readonly error: string };

const NO_SELECTION: ListSelection = { subscribed: false, remote: false, recursiveMatch: false, specialUse: false };

/** The UTF-8 text of an atom or string argument, or undefined for a list or a bad encoding. */
function textOf(arg: Arg, utf8Enabled: boolean): string | undefined {
  if (arg.kind === 'list') return undefined;
  return clientTextToUtf8(arg.value, utf8Enabled);
}

function encodingError(what: string, utf8Enabled: boolean): ParseError {
  return { error: `${what} is not valid ${utf8Enabled ? 'UTF-8' : 'modified UTF-7'}` };
}

function parseSelection(arg: Extract<Arg, { kind: 'list' }>): ListSelection | ParseError {
  const selection = { ...NO_SELECTION };
  for (const option of arg.items) {
    if (option.kind !== 'atom') return { error: 'LIST selection options must be atoms' };
    switch (option.value.toUpperCase()) {
      case 'SUBSCRIBED':
        selection.subscribed = true;
        break;
      case 'REMOTE':
        selection.remote = true;
        break;
      case 'RECURSIVEMATCH':
        selection.recursiveMatch = true;
        break;
      case 'SPECIAL-USE':
        selection.specialUse = true;
        break;
      default:
        return { error: `Unknown LIST selection option ${JSON.stringify(option.value)}` };
    }
  }
  if (selection.recursiveMatch && !selection.subscribed && !selection.specialUse) {
    return { error: 'RECURSIVEMATCH needs another selection option besides REMOTE' };
  }
  return selection;
}

function parseReturn(arg: Arg | undefined, selection: ListSelection): ListReturn | ParseError {
  if (!arg || arg.kind !== 'list') return { error: 'RETURN needs a parenthesised list of options' };
  let subscribed = selection.subscribed;
  let children = false;
  let specialUse = selection.specialUse;
  let status: readonly StatusItem[] | undefined;
  for (let i = 0; i < arg.items.length; i++) {
    const option = arg.items[i]!;
    if (option.kind !== 'atom') return { error: 'LIST return options must be atoms' };
    switch (option.value.toUpperCase()) {
      case 'SUBSCRIBED':
        subscribed = true;
        break;
      case 'CHILDREN':
        children = true;
        break;
      case 'SPECIAL-USE':
        specialUse = true;
        break;
      case 'STATUS': {
        const items = parseStatusItems(arg.items[i + 1]);
        if (!Array.isArray(items)) return items;
        status = items;
        i++;
        break;
      }
      default:
        return { error: `Unknown LIST return option ${JSON.stringify(option.value)}` };
    }
  }
  return { subscribed, children, specialUse, ...(status ? { status } : {}) };
}

/** The arguments after `LIST`. */
export function parseListCommand(args: readonly Arg[], utf8Enabled = false): ListRequest | ParseError {
  let at = 0;
  let extended = false;
  let selection = NO_SELECTION;
  const first = args[0];
  if (first?.kind === 'list') {
    const parsed = parseSelection(first);
    if ('error' in parsed) return parsed;
    selection = parsed;
    extended = true;
    at = 1;
  }

  const referenceArg = args[at];
  const patternArg = args[at + 1];
  if (!referenceArg || referenceArg.kind === 'list') return { error: 'LIST needs a reference name' };
  if (!patternArg) return { error: 'LIST needs a mailbox pattern' };
  const reference = textOf(referenceArg, utf8Enabled);
  if (reference === undefined) return encodingError('LIST reference', utf8Enabled);

  const patternArgs = patternArg.kind === 'list' ? patternArg.items : [patternArg];
  if (patternArg.kind === 'list') {
    extended = true;
    if (patternArgs.length === 0) return { error: 'LIST pattern list is empty' };
  }
  const patterns: string[] = [];
  for (const arg of patternArgs) {
    if (arg.kind === 'list') return { error: 'LIST patterns must be strings' };
    const pattern = textOf(arg, utf8Enabled);
    if (pattern === undefined) return encodingError('LIST pattern', utf8Enabled);
    if (!patterns.includes(pattern)) patterns.push(pattern);
  }
  at += 2;

  let returns: ListReturn = { subscribed: selection.subscribed, children: false, specialUse: selection.specialUse };
  if (at < args.length) {
    if (!isAtomArg(args[at], 'RETURN')) return { error: 'Unexpected LIST argument' };
    const parsed = parseReturn(args[at + 1], selection);
    if ('error' in parsed) return parsed;
    returns = parsed;
    extended = true;
    at += 2;
  }
  if (at < args.length) return { error: 'Unexpected LIST argument after RETURN options' };

  return { reference, patterns, selection, returns, extended };
}

/** The arguments after `LSUB`. */
export function parseLsubCommand(args: readonly Arg[], utf8Enabled = false): LsubRequest | ParseError {
  if (args.length !== 2) return { error: 'LSUB needs a reference name and a mailbox pattern' };
  const [referenceArg, patternArg] = args as [Arg, Arg];
  if (referenceArg.kind === 'list' || patternArg.kind === 'list') return { error: 'LSUB arguments must be strings' };
  const reference = textOf(referenceArg, utf8Enabled);
  if (reference === undefined) return encodingError('LSUB reference', utf8Enabled);
  const pattern = textOf(patternArg, utf8Enabled);
  if (pattern === undefined) return encodingError('LSUB pattern', utf8Enabled);
  return { reference, patterns: [pattern] };
}
