-- Up Migration

-- Faces no clustering step has looked at yet. Between runs the clusterer offers each of
-- them once to the persons of its nearest assigned faces (incremental assignment); a run
-- looks at every face and clears the flag.
ALTER TABLE faces ADD COLUMN cluster_pending boolean NOT NULL DEFAULT true;
UPDATE faces SET cluster_pending = false
  WHERE person_id IS NOT NULL
     OR created_at <= (SELECT max(r.started_at) FROM clustering_runs r WHERE r.owner_id = faces.owner_id AND r.status = 'done');
CREATE INDEX faces_cluster_pending_idx ON faces (owner_id) WHERE cluster_pending;
-- "Enough new faces since the last run" is counted per owner from here.
CREATE INDEX faces_owner_created_idx ON faces (owner_id, created_at);

-- Clustering runs are jobs: queued (by the schedule, the API or an operator), claimed by
-- any clusterer with a lease, one at a time per owner; owners never wait for each other.
ALTER TABLE clustering_runs DROP CONSTRAINT clustering_runs_status_check;
ALTER TABLE clustering_runs
  ADD CONSTRAINT clustering_runs_status_check CHECK (status IN ('queued', 'running', 'done', 'failed')),
  ADD COLUMN requested_by text NOT NULL DEFAULT 'schedule' CHECK (requested_by IN ('schedule', 'user', 'admin')),
  ADD COLUMN queued_at timestamptz NOT NULL DEFAULT now(),
  -- While running: the claimer's lease; a run whose lease ran out is given up as lost.
  ADD COLUMN claimed_until timestamptz,
  ADD COLUMN claimed_by text;
-- At most one queued run per owner: asking again while one waits joins it.
CREATE UNIQUE INDEX clustering_runs_one_queued_idx ON clustering_runs (owner_id) WHERE status = 'queued';
CREATE INDEX clustering_runs_open_idx ON clustering_runs (queued_at) WHERE status IN ('queued', 'running');

-- Down Migration
DROP INDEX clustering_runs_open_idx;
DROP INDEX clustering_runs_one_queued_idx;
DELETE FROM clustering_runs WHERE status = 'queued';
ALTER TABLE clustering_runs DROP CONSTRAINT clustering_runs_status_check;
ALTER TABLE clustering_runs
  DROP COLUMN claimed_by,
  DROP COLUMN claimed_until,
  DROP COLUMN queued_at,
  DROP COLUMN requested_by,
  ADD CONSTRAINT clustering_runs_status_check CHECK (status IN ('running', 'done', 'failed'));
DROP INDEX faces_owner_created_idx;
DROP INDEX faces_cluster_pending_idx;
ALTER TABLE faces DROP COLUMN cluster_pending;
