-- Up Migration

-- What users decided about persons and faces. The clusterer treats every decision here as
-- a constraint it never overrides; the people API writes them.
ALTER TABLE persons
  ADD COLUMN hidden boolean NOT NULL DEFAULT false,
  -- The user's choice of picture; null means the face with the best quality score.
  ADD COLUMN cover_face_id uuid REFERENCES faces (id) ON DELETE SET NULL;

ALTER TABLE faces
  -- 'cluster': placed by the clusterer, which may move it on its next run.
  -- 'user': placed by the user (moved or confirmed); stays with that person.
  ADD COLUMN assigned_by text NOT NULL DEFAULT 'cluster' CHECK (assigned_by IN ('cluster', 'user'));

-- 'not_face': the user said this detection is not a face; like trash, it takes no part in clustering.
ALTER TABLE faces DROP CONSTRAINT faces_kind_check;
ALTER TABLE faces ADD CONSTRAINT faces_kind_check CHECK (kind IN ('face', 'blurry', 'trash', 'not_face'));

-- "Not this person": the user removed the face from the person; it must never return there.
CREATE TABLE face_person_exclusions (
  face_id uuid NOT NULL REFERENCES faces (id) ON DELETE CASCADE,
  person_id uuid NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
  owner_id text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (face_id, person_id)
);
CREATE INDEX face_person_exclusions_owner_idx ON face_person_exclusions (owner_id);

-- A merge of persons into a target person: kept merged by the clusterer while not undone.
-- merged_persons holds each merged-in person as it was (row and face ids), so that undo
-- restores them exactly, under their old ids.
CREATE TABLE person_merges (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  owner_id text NOT NULL,
  target_person_id uuid NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
  merged_persons jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  undone_at timestamptz
);
CREATE INDEX person_merges_owner_idx ON person_merges (owner_id, created_at DESC);

-- Down Migration
DROP TABLE person_merges;
DROP TABLE face_person_exclusions;
ALTER TABLE faces DROP CONSTRAINT faces_kind_check;
DELETE FROM faces WHERE kind = 'not_face';
ALTER TABLE faces ADD CONSTRAINT faces_kind_check CHECK (kind IN ('face', 'blurry', 'trash'));
ALTER TABLE faces DROP COLUMN assigned_by;
ALTER TABLE persons DROP COLUMN cover_face_id, DROP COLUMN hidden;
