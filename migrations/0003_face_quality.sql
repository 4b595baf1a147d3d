-- Up Migration

-- What the vision pipeline made of a detection. Blurry and trash faces are kept for the
-- record (and for the user to override) but take no part in clustering.
ALTER TABLE faces
  ADD COLUMN kind text NOT NULL DEFAULT 'face' CHECK (kind IN ('face', 'blurry', 'trash')),
  -- 0..1: detection score, size, sharpness and frontal pose combined; picks cover faces.
  ADD COLUMN quality real NOT NULL DEFAULT 0,
  -- Variance of the Laplacian of the aligned grey crop (low = blurry).
  ADD COLUMN sharpness real,
  -- Cosine similarity to the centroid of non-face embeddings (high = trash).
  ADD COLUMN trash_similarity real;

CREATE INDEX faces_owner_kind_idx ON faces (owner_id, kind);

-- Down Migration
DROP INDEX faces_owner_kind_idx;
ALTER TABLE faces DROP COLUMN trash_similarity, DROP COLUMN sharpness, DROP COLUMN quality, DROP COLUMN kind;
