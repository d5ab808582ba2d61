/** One test that matched a message, with its score and, for the log, what it matched on. */
export interface Hit {
  readonly test: string;
  readonly score: number;
  /** For the log only: which list, which query, which answer, which sender. Never message text. */
  readonly detail?: Readonly<Record<string, string | number>>;
}
