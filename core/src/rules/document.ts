import { type Document, LineCounter, parseDocument } from 'yaml';
import type { SchemaIssue } from '../schema.ts';

/** Where a problem in a rule or data file is (line and/or JSON pointer) and what it is. */
export interface FileProblem {
  readonly line?: number;
  readonly pointer?: string;
  readonly message: string;
}

/** A parsed YAML or JSON text that can still tell the line of any JSON pointer. */
export interface ParsedDocument {
  readonly data: unknown;
  /** Adds the line of the node a pointer names (or of its nearest existing parent). */
  locate(issue: SchemaIssue): FileProblem;
}

/**
 * Parses YAML (JSON is YAML 1.2, so JSON files take the same path) keeping positions, so every
 * later problem can be reported with the line it sits on. Duplicate keys are refused: in a rule
 * file the second one silently winning is a trap.
 */
export function parseDocumentText(text: string): { ok: true; document: ParsedDocument } | { ok: false; problems: FileProblem[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
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
  return { ok: true, document: { data, locate: (issue) => locate(doc, lines, issue) } };
}

function locate(doc: Document, lines: LineCounter, issue: SchemaIssue): FileProblem {
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

/** `file:line /pointer message`, the one way problems in files are written in logs and errors. */
export function describeFileProblem(file: string, problem: FileProblem): string {
  return `${file}${problem.line !== undefined ? `:${problem.line}` : ''}${problem.pointer ? ` ${problem.pointer}` : ''}: ${problem.message}`;
}
