import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { PosthornError } from '../errors.ts';
import { type SchemaIssue, validateWithSchema } from '../schema.ts';
import { describeFileProblem, type FileProblem, parseDocumentText } from './document.ts';
import { watchFile } from './watch.ts';

/** What a plugin asks for: a file an admin edits, its schema, and how to turn data into rules. */
export interface RuleSetOptions<T> {
  /** Absolute path (use ctx.resolvePath). YAML or JSON. */
  readonly file: string;
  /** JSON Schema of the file's data; defaults are filled in. */
  readonly schema: object;
  /**
   * Builds the rules from validated data (compile patterns, index lists). Throw a
   * `RuleSetError` with issues (JSON pointers) for problems the schema cannot express; any
   * other error is reported against the whole file.
   */
  compile(data: unknown): T;
  /** Used when the file does not exist; without it a missing file is an error. */
  readonly whenMissing?: unknown;
  /** Watch the file and reload on change (default true in a server). */
  readonly watch?: boolean;
}

/** A problem `compile` found, located by JSON pointer. */
export class RuleSetError extends Error {
  readonly issues: readonly SchemaIssue[];
  constructor(issues: SchemaIssue[]) {
    super(issues.map((issue) => `${issue.pointer} ${issue.message}`).join('; '));
    this.issues = issues;
  }
}

/** A rule set as plugins hold it: read `current` once per transaction and keep that snapshot. */
export interface RuleSet<T> {
  /** The version in force; replaced as a whole on reload, never to be changed in place. */
  readonly current: T;
  readonly file: string;
  /** When the version in force was loaded. */
  readonly loadedAt: Date;
  /** Reads the file again; resolves to whether a new version was swapped in. */
  reload(): Promise<boolean>;
  /** Called after each successful swap. */
  onChange(listener: (current: T) => void): () => void;
}

type Loaded<T> = { ok: true; value: T } | { ok: false; problems: FileProblem[] };

/**
 * A file of rules that admins edit on a running server: validated by JSON Schema, compiled,
 * swapped in atomically when a new version is valid, refused (with file, line, pointer and
 * reason in the log) when it is not, the old version staying in force. Readers take
 * `current` once and keep it, so a transaction finishes on the rules it started with.
 */
export class FileRuleSet<T> implements RuleSet<T> {
  readonly file: string;
  readonly #options: RuleSetOptions<T>;
  readonly #log: Logger;
  #current: T;
  #loadedAt = new Date();
  #listeners = new Set<(current: T) => void>();
  #stopWatching: (() => void) | undefined;
  #serial: Promise<unknown> = Promise.resolve();

  private constructor(options: RuleSetOptions<T>, log: Logger, first: T) {
    this.file = options.file;
    this.#options = options;
    this.#log = log;
    this.#current = first;
  }

  /** Loads the first version; a problem here stops the server from starting. */
  static async open<T>(options: RuleSetOptions<T>, log: Logger): Promise<FileRuleSet<T>> {
    const loaded = await load(options);
    if (!loaded.ok) {
      throw new PosthornError('PH_CONFIG_INVALID', `invalid rule file ${loaded.problems.map((p) => describeFileProblem(options.file, p)).join('; ')}`, {
        file: options.file,
        problems: loaded.problems,
      });
    }
    return new FileRuleSet(options, log, loaded.value);
  }

  get current(): T {
    return this.#current;
  }

  get loadedAt(): Date {
    return this.#loadedAt;
  }

  reload(): Promise<boolean> {
    // One reload at a time, in order: a slow read must not swap in an older version later.
    const run = this.#serial.then(async () => {
      const loaded = await load(this.#options);
      if (!loaded.ok) {
        for (const problem of loaded.problems) {
          this.#log.error({ file: this.file, line: problem.line, pointer: problem.pointer, error: problem.message }, `rule file refused, the previous version stays in force: ${describeFileProblem(this.file, problem)}`);
        }
        return false;
      }
      this.#current = loaded.value;
      this.#loadedAt = new Date();
      this.#log.info({ file: this.file }, 'rule file reloaded');
      for (const listener of this.#listeners) {
        try {
          listener(loaded.value);
        } catch (err) {
          this.#log.error({ file: this.file, err: (err as Error).message }, 'a rule-set change listener failed');
        }
      }
      return true;
    });
    this.#serial = run.catch(() => undefined);
    return run;
  }

  onChange(listener: (current: T) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Starts watching the file (server mode). */
  watch(debounceMs = 100): void {
    if (this.#stopWatching || this.#options.watch === false) return;
    this.#stopWatching = watchFile(this.file, () => void this.reload(), {
      debounceMs,
      onError: (err) => this.#log.warn({ file: this.file, err: err.message }, 'cannot watch rule file; reload with SIGHUP or `posthorn reload`'),
    });
  }

  close(): void {
    this.#stopWatching?.();
    this.#stopWatching = undefined;
  }
}

async function load<T>(options: RuleSetOptions<T>): Promise<Loaded<T>> {
  let text: string;
  try {
    text = await readFile(options.file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && options.whenMissing !== undefined) return compileData(options, options.whenMissing, undefined);
    return { ok: false, problems: [{ message: `cannot read: ${(err as Error).message}` }] };
  }
  const parsed = parseDocumentText(text);
  if (!parsed.ok) return parsed;
  return compileData(options, parsed.document.data ?? {}, parsed.document.locate);
}

function compileData<T>(options: RuleSetOptions<T>, data: unknown, locate: ((issue: SchemaIssue) => FileProblem) | undefined): Loaded<T> {
  const where = locate ?? ((issue: SchemaIssue) => ({ pointer: issue.pointer, message: issue.message }));
  const checked = validateWithSchema(options.schema, data);
  if (!checked.ok) return { ok: false, problems: checked.issues.map(where) };
  try {
    // Not frozen here: compiled rules may hold RegExps whose lastIndex must stay writable.
    return { ok: true, value: options.compile(checked.value) };
  } catch (err) {
    if (err instanceof RuleSetError) return { ok: false, problems: err.issues.map(where) };
    return { ok: false, problems: [{ message: (err as Error).message }] };
  }
}
