-- Up Migration

-- Which pipeline produced a photo's faces: a photo is only skipped when it is done for
-- the current version. process_count and processed_by are the evidence that each photo
-- was processed once, and by whom.
ALTER TABLE photos
  ADD COLUMN pipeline_version text,
  ADD COLUMN process_count integer NOT NULL DEFAULT 0,
  ADD COLUMN processed_by text;

-- Jobs that failed on every attempt (or can never succeed), kept for inspection and replay.
-- With Kafka the same event also goes to the dead-letter topic.
CREATE TABLE ingest_dead_letters (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  photo_id uuid NOT NULL,
  owner_id text NOT NULL,
  attempts integer NOT NULL,
  reason text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ingest_dead_letters_owner_idx ON ingest_dead_letters (owner_id, created_at);

-- When an owner's faces last changed (photo processed or deleted): the clusterer re-runs
-- owners whose library changed after their last clustering run.
CREATE TABLE library_changes (
  owner_id text PRIMARY KEY,
  changed_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO library_changes (owner_id, changed_at)
  SELECT owner_id, max(processed_at) FROM photos WHERE processed_at IS NOT NULL GROUP BY owner_id;

CREATE INDEX photos_owner_uploaded_idx ON photos (owner_id, uploaded_at DESC, id DESC);

-- Down Migration
DROP INDEX photos_owner_uploaded_idx;
DROP TABLE library_changes;
DROP TABLE ingest_dead_letters;
ALTER TABLE photos DROP COLUMN processed_by, DROP COLUMN process_count, DROP COLUMN pipeline_version;
