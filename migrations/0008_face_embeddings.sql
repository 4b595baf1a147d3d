-- Up Migration

-- Embeddings move to a table of their own with the HNSW index. A face row changes often
-- (its person, who placed it, whether clustering has seen it): each change writes a new row
-- version, and every index of the table gets an entry for it. On faces that included the
-- HNSW index, whose inserts cost ≈ 0.5 ms each, so a clustering run that assigns 10,000
-- faces spent ≈ 9 of its 12 s there. Embedding rows are written once and never updated.
CREATE TABLE face_embeddings (
  face_id uuid PRIMARY KEY REFERENCES faces (id) ON DELETE CASCADE,
  -- The face's owner, so that every kNN search filters by it before looking any further.
  owner_id text NOT NULL,
  embedding vector(192) NOT NULL
);
INSERT INTO face_embeddings (face_id, owner_id, embedding) SELECT id, owner_id, embedding FROM faces;
DROP INDEX faces_embedding_hnsw_idx;
ALTER TABLE faces DROP COLUMN embedding;
CREATE INDEX face_embeddings_hnsw_idx ON face_embeddings USING hnsw (embedding vector_cosine_ops);

-- Down Migration
ALTER TABLE faces ADD COLUMN embedding vector(192);
UPDATE faces f SET embedding = e.embedding FROM face_embeddings e WHERE e.face_id = f.id;
ALTER TABLE faces ALTER COLUMN embedding SET NOT NULL;
CREATE INDEX faces_embedding_hnsw_idx ON faces USING hnsw (embedding vector_cosine_ops);
DROP TABLE face_embeddings;
