import { type FileProblem, parseDocumentText, validateWithSchema } from '@posthorn/core';
import { type Document, parseDocument } from 'yaml';
import { type AccountsFile, accountsFileSchema } from './file-format.ts';
import { Snapshot } from './snapshot.ts';

/** Why a version of the file was refused: where (line and/or JSON pointer) and what. */
export type LoadProblem = FileProblem;

export type LoadResult = { ok: true; snapshot: Snapshot } | { ok: false; problems: LoadProblem[] };

export interface LoadSettings {
  readonly extraDomains: readonly string[];
  readonly plusSeparator: string;
}

/** Parses YAML keeping the document, for the comment-preserving edits. */
export function parseYaml(text: string): { doc: Document.Parsed } {
  return { doc: parseDocument(text, { prettyErrors: true, uniqueKeys: true }) };
}

/** Parses, validates and builds a snapshot from the file's text. Never throws for bad input. */
export function loadAccounts(text: string, settings: LoadSettings): LoadResult {
  const parsed = parseDocumentText(text);
  if (!parsed.ok) return parsed;
  const { document } = parsed;
  const checked = validateWithSchema<AccountsFile>(accountsFileSchema, document.data ?? {});
  if (!checked.ok) return { ok: false, problems: checked.issues.map((issue) => document.locate(issue)) };
  const built = Snapshot.build(checked.value ?? {}, settings.extraDomains, settings.plusSeparator);
  if (!built.ok) return { ok: false, problems: built.issues.map((issue) => document.locate(issue)) };
  return { ok: true, snapshot: built.snapshot };
}
