/**
 * What a parsed SEARCH command is: a tree of search keys (RFC 9051 6.4.4) plus the RETURN
 * options (ESEARCH, RFC 4731) and CHARSET it came with. `parse.ts` builds it,
 * `evaluate.ts` runs it, `response.ts` answers it.
 */
import type { SequenceSet } from '../protocol/sequence.ts';

/** A calendar day as yyyymmdd (20240131), so days compare as plain numbers. */
export type DayNumber = number;

export type SearchKey =
  | { readonly type: 'all' }
  /** RECENT: the message is \Recent to this session (RFC 3501 2.3.2). NEW is RECENT UNSEEN, OLD is NOT RECENT. */
  | { readonly type: 'recent' }
  /** ANSWERED, DELETED, DRAFT, FLAGGED, SEEN, KEYWORD and their UN- forms. */
  | { readonly type: 'flag'; readonly flag: string; readonly present: boolean }
  /** HEADER, and FROM/TO/CC/BCC/SUBJECT as the header they name. '' matches any such header. */
  | { readonly type: 'header'; readonly field: string; readonly value: string }
  | { readonly type: 'body'; readonly value: string }
  /** Header block or body. */
  | { readonly type: 'text'; readonly value: string }
  /** BEFORE/ON/SINCE: the INTERNALDATE's day. */
  | { readonly type: 'internal-date'; readonly op: DateOp; readonly day: DayNumber }
  /** SENTBEFORE/SENTON/SENTSINCE: the Date header's day, in the header's own zone. */
  | { readonly type: 'sent-date'; readonly op: DateOp; readonly day: DayNumber }
  /** LARGER (size > n) / SMALLER (size < n), RFC822.SIZE. */
  | { readonly type: 'size'; readonly op: 'larger' | 'smaller'; readonly size: number }
  /** A bare sequence set: message sequence numbers (`$` is the saved result, by UID). */
  | { readonly type: 'seq'; readonly set: SequenceSet }
  | { readonly type: 'uid'; readonly set: SequenceSet }
  /** RFC 7162: modseq >= value. The entry (a flag's metadata item) is kept but not used. */
  | { readonly type: 'modseq'; readonly modseq: number; readonly entry?: ModseqEntry }
  /** RFC 5032 WITHIN: OLDER n (arrived at least n seconds ago) / YOUNGER n (within n seconds). */
  | { readonly type: 'age'; readonly op: 'older' | 'younger'; readonly seconds: number }
  | { readonly type: 'not'; readonly key: SearchKey }
  | { readonly type: 'or'; readonly left: SearchKey; readonly right: SearchKey }
  | { readonly type: 'and'; readonly keys: readonly SearchKey[] };

export type DateOp = 'before' | 'on' | 'since';

export interface ModseqEntry {
  /** The flag of `"/flags/<flag>"`. */
  readonly flag: string;
  readonly scope: 'priv' | 'shared' | 'all';
}

/** RETURN options of ESEARCH (RFC 4731) and SEARCHRES (RFC 5182). `RETURN ()` means ALL. */
export interface SearchReturn {
  readonly min: boolean;
  readonly max: boolean;
  readonly all: boolean;
  readonly count: boolean;
  readonly save: boolean;
}

/** What IMAP4rev2 answers when SEARCH has no RETURN (RFC 9051 6.4.4): ESEARCH with ALL. */
export const RETURN_ALL: SearchReturn = { min: false, max: false, all: true, count: false, save: false };

export interface SearchProgram {
  /** The criteria; several top-level keys are an `and`. */
  readonly key: SearchKey;
  /** The RETURN options, or undefined when the command had none (classic `* SEARCH`). */
  readonly returns?: SearchReturn;
  /** The CHARSET given (upper-cased), if any. */
  readonly charset?: string;
  /** A MODSEQ key appears: the response carries the highest modseq (RFC 7162 3.1.5). */
  readonly usesModseq: boolean;
  /** `$` appears: the session must have (or treat as empty) a saved result. */
  readonly usesSavedResult: boolean;
}

export interface SearchParseError {
  /** Human-readable reason, fit for the tagged response text. */
  readonly error: string;
  /** Set for an unsupported charset: answer `NO [BADCHARSET (US-ASCII UTF-8)]`; otherwise BAD. */
  readonly code?: 'BADCHARSET';
}
