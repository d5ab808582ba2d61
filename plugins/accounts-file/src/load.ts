import { validateWithSchema } from '@posthorn/core';
import { type Document, LineCounter, parseDocument } from 'yaml';
import { type AccountsFile, accountsFileSchema } from './file-format.ts';
import { Snapshot, type SnapshotIssue } from './snapshot.ts';

/** Why a version of the file was refused: where (line and/or JSON pointer) and what. */
export interface LoadProblem {
  readonly line?: number;
  readonly pointer?: string;
  readonly message: string;
}

export type LoadResult = { ok: true; snapshot: Snapshot } | { ok: false; problems: LoadProblem[] };

export interface LoadSettings {
  readonly extraDomains: readonly string[];
  readonly plusSeparator: string;
}

/** Parses YAML with positions kept, so that any problem can be reported with a line number. */
export function parseYaml(text: string): { doc: Document.Parsed; lines: LineCounter } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  return { doc, lines };
}

/** Parses, validates and builds a snapshot from the file's text. Never throws for bad input. */
export function loadAccounts(text: string, settings: LoadSettings): LoadResult {
  const { doc, lines } = parseYaml(text);
  if (doc.errors.length) {
    return {
      ok: false,
      problems: doc.errors.map((error) => ({
        ...(error.linePos ? { line: error.linePos[0].line } : {}),
        // The first line of the message is the reason; yaml appends a source excerpt.
        message: (error.message.split('\n')[0] ?? error.message).replace(/:$/, ''),
      })),
    };
  }
  const data = doc.toJS({ maxAliasCount: 50 }) as unknown;
  const checked = validateWithSchema<AccountsFile>(accountsFileSchema, data ?? {});
  if (!checked.ok) return { ok: false, problems: checked.issues.map((issue) => locate(doc, lines, issue)) };
  const built = Snapshot.build(checked.value ?? {}, settings.extraDomains, settings.plusSeparator);
  if (!built.ok) return { ok: false, problems: built.issues.map((issue) => locate(doc, lines, issue)) };
  return { ok: true, snapshot: built.snapshot };
}

/** Adds the line of the node a JSON pointer names (or of its nearest existing parent). */
export function locate(doc: Document, lines: LineCounter, issue: SnapshotIssue): LoadProblem {
  const path =
    issue.pointer === '/' || issue.pointer === ''
      ? []
      : issue.pointer
          .slice(1)
          .split('/')
          .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  for (let length = path.length; length >= 0; length--) {
    const node = doc.getIn(path.slice(0, length).map(keyFor), true) as { range?: [number, number, number] } | undefined;
    if (node?.range) return { line: lines.linePos(node.range[0]).line, pointer: issue.pointer, message: issue.message };
  }
  return { pointer: issue.pointer, message: issue.message };
}

/** Sequence indexes are numbers in the yaml API; map keys are strings. */
function keyFor(segment: string): string | number {
  return /^(0|[1-9][0-9]*)$/.test(segment) ? Number(segment) : segment;
}
