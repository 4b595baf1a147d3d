import type { Pool } from 'pg';

/** A table the upkeep vacuumed or analyzed, and how long that held the connection. */
export interface TableUpkeepAction {
  table: string;
  action: 'vacuum analyze' | 'analyze';
  ms: number;
}

/**
 * PostgreSQL's autovacuum defaults (autovacuum_vacuum_threshold and _scale_factor,
 * autovacuum_analyze_threshold and _scale_factor): a table is vacuumed once its dead rows pass
 * 50 + 20 % of its live rows, and analyzed once its changed rows pass 50 + 10 %.
 */
const DUE_TABLES_SQL = `SELECT quote_ident(relname) AS table,
    n_dead_tup > 50 + 0.2 * n_live_tup AS needs_vacuum
  FROM pg_stat_user_tables
  WHERE schemaname = 'public'
    AND (n_dead_tup > 50 + 0.2 * n_live_tup OR n_mod_since_analyze > 50 + 0.1 * n_live_tup)
  ORDER BY relname`;

/**
 * The embedded database's autovacuum. PGlite runs PostgreSQL as a single session without the
 * autovacuum launcher, so without this its tables are never analyzed or vacuumed: the planner
 * keeps its empty-table guesses (an owner-scoped lookup such as `faces WHERE owner_id = $1
 * AND photo_id = $2` then walks the owner's whole index instead of the photo's two entries)
 * and deleted and updated rows are never reclaimed. Same thresholds as PostgreSQL's autovacuum;
 * checked every `intervalMs`, on the pool's one connection, between other statements.
 */
export class TableUpkeep {
  private timer?: NodeJS.Timeout;
  private running?: Promise<TableUpkeepAction[]>;

  constructor(
    private readonly pool: Pick<Pool, 'query'>,
    private readonly onAction: (action: TableUpkeepAction) => void = () => {},
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      this.runOnce().catch(this.onError);
    }, intervalMs);
    this.timer.unref();
  }

  /** Stops the checks and waits for one under way. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => {});
  }

  /** Vacuums and analyzes the tables that are due now; one check at a time. */
  runOnce(): Promise<TableUpkeepAction[]> {
    this.running ??= this.vacuumDueTables().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async vacuumDueTables(): Promise<TableUpkeepAction[]> {
    // Statistics reach pg_stat_user_tables at most once a second; this makes the next
    // statement see every change committed so far.
    await this.pool.query('SELECT pg_stat_force_next_flush()');
    const due = await this.pool.query<{ table: string; needs_vacuum: boolean }>(DUE_TABLES_SQL);
    const actions: TableUpkeepAction[] = [];
    for (const { table, needs_vacuum } of due.rows) {
      const startedAt = performance.now();
      await this.pool.query(needs_vacuum ? `VACUUM (ANALYZE) ${table}` : `ANALYZE ${table}`);
      const action: TableUpkeepAction = { table, action: needs_vacuum ? 'vacuum analyze' : 'analyze', ms: performance.now() - startedAt };
      actions.push(action);
      this.onAction(action);
    }
    return actions;
  }
}
