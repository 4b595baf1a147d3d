-- Up Migration
CREATE EXTENSION IF NOT EXISTS vector;

-- One row per distinct original per owner: uploading the same bytes again finds this row.
CREATE TABLE photos (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  owner_id text NOT NULL,
  sha256 char(64) NOT NULL,
  byte_size bigint NOT NULL,
  content_type text NOT NULL,
  original_name text,
  status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'processing', 'done', 'failed')),
  failure_reason text,
  width integer,
  height integer,
  face_count integer,
  uploaded_at timestamptz NOT NULL DEFAULT now(),
  processed_at timestamptz,
  CONSTRAINT photos_owner_sha256_key UNIQUE (owner_id, sha256)
);
CREATE INDEX photos_owner_status_idx ON photos (owner_id, status, uploaded_at);

CREATE TABLE persons (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  owner_id text NOT NULL,
  name text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX persons_owner_idx ON persons (owner_id);

CREATE TABLE faces (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  owner_id text NOT NULL,
  photo_id uuid NOT NULL REFERENCES photos (id) ON DELETE CASCADE,
  -- Position in the photo's detection order; with photo_id it makes re-processing idempotent.
  face_index integer NOT NULL,
  box_x real NOT NULL,
  box_y real NOT NULL,
  box_width real NOT NULL,
  box_height real NOT NULL,
  -- x1, y1, ..., x5, y5 in original photo pixels: eyes, nose, mouth corners.
  landmarks real[] NOT NULL,
  detection_score real NOT NULL,
  embedding vector(192) NOT NULL,
  embedding_model text NOT NULL,
  thumbnail_jpeg bytea NOT NULL,
  person_id uuid REFERENCES persons (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT faces_photo_index_key UNIQUE (photo_id, face_index)
);
CREATE INDEX faces_owner_person_idx ON faces (owner_id, person_id);
CREATE INDEX faces_embedding_hnsw_idx ON faces USING hnsw (embedding vector_cosine_ops);

-- Ingest jobs written in the same transaction as their photo. With Kafka this table is the
-- outbox a relay publishes from; without Kafka, workers claim jobs from it directly.
CREATE TABLE ingest_jobs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  photo_id uuid NOT NULL REFERENCES photos (id) ON DELETE CASCADE,
  owner_id text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  available_at timestamptz NOT NULL DEFAULT now(),
  claimed_until timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  last_error text
);
CREATE INDEX ingest_jobs_available_idx ON ingest_jobs (available_at, id);

CREATE TABLE clustering_runs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  owner_id text NOT NULL,
  status text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'done', 'failed')),
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  face_count integer,
  person_count integer,
  noise_count integer,
  error text
);
CREATE INDEX clustering_runs_owner_idx ON clustering_runs (owner_id, started_at DESC);

-- Down Migration
DROP TABLE clustering_runs;
DROP TABLE ingest_jobs;
DROP TABLE faces;
DROP TABLE persons;
DROP TABLE photos;
