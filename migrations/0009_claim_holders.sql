-- Up Migration

-- Who holds a claimed job or a running clustering run, so that work held by a process that
-- died is taken over at once instead of after its lease. While alive, each claiming process
-- holds the session-level advisory lock (claim space, claim_holder) on one connection; the
-- server drops that lock when the session ends, kill -9 included. A claim whose holder's
-- lock is gone is free (libs/storage/src/claim-holder.ts); the lease stays as the fallback
-- for a holder that is alive but stuck, or whose host vanished with its connection open.
ALTER TABLE ingest_jobs ADD COLUMN claim_holder integer;
ALTER TABLE clustering_runs ADD COLUMN claim_holder integer;

-- Down Migration
ALTER TABLE clustering_runs DROP COLUMN claim_holder;
ALTER TABLE ingest_jobs DROP COLUMN claim_holder;
