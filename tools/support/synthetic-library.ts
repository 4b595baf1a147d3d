/**
 * Synthetic face libraries written straight into the database, for tests and benchmarks that
 * need many faces without running the vision pipeline on as many photos: one photo per face,
 * embeddings scattered around one random centroid per identity (so clustering finds the
 * identities), optionally already grouped into persons.
 */
import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import { seededRandom } from '@facecloud/clustering';

export interface SyntheticLibraryOptions {
  ownerId: string;
  /** Faces per identity, e.g. a long-tailed distribution as in real photo libraries. */
  facesPerIdentity: number[];
  /** Insert persons (one per identity) and assign each face to its identity's person. */
  withPersons: boolean;
  /** Spread of each embedding around its identity's centroid (before normalising). */
  noise?: number;
  /** Deterministic embeddings for a given seed. */
  seed?: number;
}

export interface SyntheticLibrary {
  faceIds: string[];
  personIds: string[];
}

const DIMENSIONS = 192;
const ROWS_PER_INSERT = 2000;


function gaussian(next: () => number): number {
  return Math.sqrt(-2 * Math.log(next() || 1e-12)) * Math.cos(2 * Math.PI * next());
}

function normalised(vector: number[]): number[] {
  const norm = Math.hypot(...vector) || 1;
  return vector.map((value) => value / norm);
}

/** Sizes of `identities` persons following a Zipf-like law, summing to about `totalFaces`. */
export function longTailedSizes(totalFaces: number, identities: number, minSize = 1): number[] {
  const weights = Array.from({ length: identities }, (_, rank) => 1 / (rank + 1) ** 0.8);
  const sum = weights.reduce((a, b) => a + b, 0);
  const sizes = weights.map((weight) => Math.max(minSize, Math.round((weight / sum) * totalFaces)));
  sizes[0] += totalFaces - sizes.reduce((a, b) => a + b, 0);
  return sizes;
}

/** One face row for insertFaceRows: its own photo, an embedding, optionally a person. */
export interface SyntheticFaceRow {
  embedding: ArrayLike<number>;
  personId: string | null;
  /** Detection score and quality. */
  score: number;
}

/**
 * Inserts faces (each on a photo of its own) in multi-row statements of ROWS_PER_INSERT and
 * returns their ids in order. The thumbnail is a placeholder: these faces are for clustering
 * and listing, not for display.
 */
export async function insertFaceRows(pool: Pool, ownerId: string, rows: Iterable<SyntheticFaceRow>): Promise<string[]> {
  const pending: SyntheticFaceRow[] = [];
  const faceIds: string[] = [];
  const flush = async () => {
    if (pending.length === 0) return;
    const { rows: inserted } = await pool.query<{ id: string }>(
      `WITH input AS (
         SELECT * FROM unnest($2::text[], $3::text[], $4::uuid[], $5::real[]) WITH ORDINALITY AS t(sha, embedding, person_id, score, n)),
       new_photos AS (
         INSERT INTO photos (owner_id, sha256, byte_size, content_type, status, face_count, processed_at, process_count)
         SELECT $1, sha, 1, 'image/jpeg', 'done', 1, now(), 1 FROM input ORDER BY n
         RETURNING id, sha256),
       new_faces AS (
         INSERT INTO faces (owner_id, photo_id, face_index, box_x, box_y, box_width, box_height, landmarks,
                            detection_score, embedding_model, thumbnail_jpeg, person_id, quality)
         SELECT $1, p.id, 0, 10, 10, 80, 80, ARRAY[30,40,70,40,50,60,35,75,65,75]::real[], i.score,
                'synthetic', '\\xffd8ffd9'::bytea, i.person_id, i.score
         FROM input i JOIN new_photos p ON p.sha256 = i.sha
         ORDER BY i.n
         RETURNING id, photo_id)
       INSERT INTO face_embeddings (face_id, owner_id, embedding)
       SELECT f.id, $1, i.embedding::vector
       FROM new_faces f JOIN new_photos p ON p.id = f.photo_id JOIN input i ON i.sha = p.sha256
       ORDER BY i.n
       RETURNING face_id AS id`,
      [
        ownerId,
        pending.map(() => randomBytes(32).toString('hex')),
        pending.map((row) => `[${Array.from(row.embedding, (value) => value.toFixed(6)).join(',')}]`),
        pending.map((row) => row.personId),
        pending.map((row) => row.score),
      ],
    );
    faceIds.push(...inserted.map((row) => row.id));
    pending.length = 0;
  };
  for (const row of rows) {
    pending.push(row);
    if (pending.length >= ROWS_PER_INSERT) await flush();
  }
  await flush();
  await pool.query(
    `INSERT INTO library_changes (owner_id, changed_at) VALUES ($1, now())
     ON CONFLICT (owner_id) DO UPDATE SET changed_at = now()`,
    [ownerId],
  );
  return faceIds;
}

/** Inserts the library (see insertFaceRows), with persons when asked. */
export async function insertSyntheticLibrary(pool: Pool, options: SyntheticLibraryOptions): Promise<SyntheticLibrary> {
  const next = seededRandom(options.seed ?? 1);
  const noise = options.noise ?? 0.35;
  const personIds: string[] = [];
  if (options.withPersons) {
    const { rows } = await pool.query<{ id: string }>(
      'INSERT INTO persons (owner_id) SELECT $1 FROM generate_series(1, $2) RETURNING id',
      [options.ownerId, options.facesPerIdentity.length],
    );
    personIds.push(...rows.map((row) => row.id));
  }
  function* faces(): Generator<SyntheticFaceRow> {
    for (const [identity, size] of options.facesPerIdentity.entries()) {
      const centroid = normalised(Array.from({ length: DIMENSIONS }, () => gaussian(next)));
      for (let i = 0; i < size; i++) {
        yield {
          embedding: normalised(centroid.map((value) => value + (noise / Math.sqrt(DIMENSIONS)) * gaussian(next))),
          personId: options.withPersons ? personIds[identity] : null,
          score: 0.9 + 0.1 * next(),
        };
      }
    }
  }
  const faceIds = await insertFaceRows(pool, options.ownerId, faces());
  return { faceIds, personIds };
}
