/**
 * The shape every benchmark suite has, so that `npm run bench` can run them in one process,
 * print their tables one after another and save one JSON file per suite.
 */
export interface BenchTable {
  title: string;
  /** First row: column headings. Every cell already formatted as text. */
  rows: string[][];
  /** Lines printed under the table: the machine, what a ratio means, caveats. */
  notes?: string[];
}

export interface BenchOutcome {
  tables: BenchTable[];
  /** Saved as bench-results/<suite name>.json: raw figures, settings, machine. */
  json: unknown;
}

export interface BenchContext {
  /** Command-line arguments after the suite selection, for the suite's own options. */
  argv: string[];
  /** A smaller, quicker run (e.g. for a smoke test): fewer sizes, fewer photos. */
  quick: boolean;
  /** Progress lines for long runs (stderr), so the tables on stdout stay clean. */
  progress(message: string): void;
}

export interface BenchSuite {
  /** Short lower-case name: selects the suite on the command line and names its JSON file. */
  name: string;
  description: string;
  run(context: BenchContext): Promise<BenchOutcome>;
}
