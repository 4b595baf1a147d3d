import type { Queryable } from './database';
import { parseVector, toVectorParam, vectorFromSend } from './vector';

export interface FaceBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** `face` takes part in clustering; `blurry` and `trash` are kept but left out. */
/** What the pipeline made of a detection, or 'not_face' when the user said so. */
export type FaceKind = 'face' | 'blurry' | 'trash' | 'not_face';

export interface FaceQuality {
  kind: FaceKind;
  /** 0..1, higher is a better picture of the person (cover faces). */
  quality: number;
  sharpness: number | null;
  trashSimilarity: number | null;
}

export interface NewFace extends FaceQuality {
  box: FaceBox;
  /** Five points in original photo pixels: eyes, nose, mouth corners. */
  landmarks: Array<{ x: number; y: number }>;
  detectionScore: number;
  embedding: Float32Array;
  embeddingModel: string;
  thumbnailJpeg: Buffer;
}

export interface Face extends FaceQuality {
  id: string;
  photoId: string;
  faceIndex: number;
  box: FaceBox;
  landmarks: Array<{ x: number; y: number }>;
  detectionScore: number;
  personId: string | null;
}

export interface FaceEmbedding {
  id: string;
  photoId: string;
  personId: string | null;
  /** 'user': the user placed or confirmed the face with its person; clustering keeps it there. */
  assignedBy: 'cluster' | 'user';
  quality: number;
  embedding: Float32Array;
}

/** A face's clustering-relevant state, compared before a run writes (user decisions in between). */
export interface FacePlacementState {
  id: string;
  personId: string | null;
  assignedBy: 'cluster' | 'user';
  kind: FaceKind;
}

/** One of a face's nearest faces assigned to a person (same owner). */
export interface AssignedNeighbour {
  faceId: string;
  personId: string;
  photoId: string;
  /** Cosine similarity, -1..1. */
  similarity: number;
}

export interface NearestOptions {
  neighbours: number;
  /**
   * true: an exact scan of the owner's faces (no HNSW); false: the HNSW index. The index is
   * shared by all owners and filters by owner afterwards, so with pgvector < 0.8 (no
   * iterative scan) it can return few or none of a small owner's faces: callers use it only
   * for big owners and with `iterativeScan`.
   */
  exact: boolean;
  /** pgvector ≥ 0.8: keep scanning the index until enough of the owner's faces are found. */
  iterativeScan: boolean;
}

interface FaceRow {
  id: string;
  photo_id: string;
  face_index: number;
  box_x: number;
  box_y: number;
  box_width: number;
  box_height: number;
  landmarks: number[];
  detection_score: number;
  person_id: string | null;
  kind: FaceKind;
  quality: number;
  sharpness: number | null;
  trash_similarity: number | null;
}

/** The landmarks column (x1, y1, ..., x5, y5) as points. */
export function landmarkPoints(flat: readonly number[]): Array<{ x: number; y: number }> {
  const points = [];
  for (let i = 0; i + 1 < flat.length; i += 2) points.push({ x: flat[i], y: flat[i + 1] });
  return points;
}

function toFace(row: FaceRow): Face {
  return {
    id: row.id,
    photoId: row.photo_id,
    faceIndex: row.face_index,
    box: { x: row.box_x, y: row.box_y, width: row.box_width, height: row.box_height },
    landmarks: landmarkPoints(row.landmarks),
    detectionScore: row.detection_score,
    personId: row.person_id,
    kind: row.kind,
    quality: row.quality,
    sharpness: row.sharpness,
    trashSimilarity: row.trash_similarity,
  };
}

export class FaceRepository {
  /**
   * Replaces every face of a photo. Run inside the transaction that marks the photo done,
   * so a redelivered job rewrites the same faces instead of adding a second copy.
   */
  async replaceForPhoto(db: Queryable, photoId: string, ownerId: string, faces: NewFace[]): Promise<string[]> {
    await db.query('DELETE FROM faces WHERE photo_id = $1', [photoId]);
    const ids: string[] = [];
    for (const [faceIndex, face] of faces.entries()) {
      // The embedding goes to its own table (migration 0008) in the same statement.
      const result = await db.query<{ id: string }>(
        `WITH face AS (
           INSERT INTO faces (owner_id, photo_id, face_index, box_x, box_y, box_width, box_height, landmarks,
             detection_score, embedding_model, thumbnail_jpeg, kind, quality, sharpness, trash_similarity)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $11, $12, $13, $14, $15, $16)
           RETURNING id)
         INSERT INTO face_embeddings (face_id, owner_id, embedding) SELECT id, $1, $10 FROM face
         RETURNING face_id AS id`,
        [
          ownerId,
          photoId,
          faceIndex,
          face.box.x,
          face.box.y,
          face.box.width,
          face.box.height,
          face.landmarks.flatMap((point) => [point.x, point.y]),
          face.detectionScore,
          toVectorParam(face.embedding),
          face.embeddingModel,
          face.thumbnailJpeg,
          face.kind,
          face.quality,
          face.sharpness,
          face.trashSimilarity,
        ],
      );
      ids.push(result.rows[0].id);
    }
    return ids;
  }

  async listForPhoto(db: Queryable, photoId: string): Promise<Face[]> {
    const result = await db.query<FaceRow>(
      `SELECT id, photo_id, face_index, box_x, box_y, box_width, box_height, landmarks, detection_score, person_id,
              kind, quality, sharpness, trash_similarity
       FROM faces WHERE photo_id = $1 ORDER BY face_index`,
      [photoId],
    );
    return result.rows.map(toFace);
  }

  /** The owner's clusterable faces (kind `face`) with embeddings and placement, in a stable order. */
  async listEmbeddings(db: Queryable, ownerId: string): Promise<FaceEmbedding[]> {
    const result = await db.query<{
      id: string;
      photo_id: string;
      person_id: string | null;
      assigned_by: 'cluster' | 'user';
      quality: number;
      embedding: Buffer;
    }>(
      `SELECT f.id, f.photo_id, f.person_id, f.assigned_by, f.quality, vector_send(e.embedding) AS embedding
       FROM faces f JOIN face_embeddings e ON e.face_id = f.id
       WHERE f.owner_id = $1 AND f.kind = 'face' ORDER BY f.created_at, f.photo_id, f.face_index`,
      [ownerId],
    );
    return result.rows.map((row) => ({
      id: row.id,
      photoId: row.photo_id,
      personId: row.person_id,
      assignedBy: row.assigned_by,
      quality: row.quality,
      embedding: vectorFromSend(row.embedding),
    }));
  }

  /**
   * Locks the given faces of the owner (until the transaction ends) and returns their
   * placement, so a clustering run can see whether the user changed anything since it read
   * them; the people API locks the same rows, so decisions wait for the run's write or
   * come before it.
   */
  async lockPlacements(db: Queryable, ownerId: string, faceIds: string[]): Promise<FacePlacementState[]> {
    const result = await db.query<{ id: string; person_id: string | null; assigned_by: 'cluster' | 'user'; kind: FaceKind }>(
      `SELECT id, person_id, assigned_by, kind FROM faces WHERE owner_id = $1 AND id = ANY($2::uuid[]) ORDER BY id FOR UPDATE`,
      [ownerId, faceIds],
    );
    return result.rows.map((row) => ({ id: row.id, personId: row.person_id, assignedBy: row.assigned_by, kind: row.kind }));
  }

  /** Marks faces as looked at by clustering (a run, or an incremental pass). */
  async markClusterChecked(db: Queryable, ownerId: string, faceIds: string[]): Promise<void> {
    await db.query('UPDATE faces SET cluster_pending = false WHERE owner_id = $1 AND id = ANY($2::uuid[]) AND cluster_pending', [
      ownerId,
      faceIds,
    ]);
  }

  /** Clears the pending mark of the owner's faces nothing is left to decide for: placed, or not kind `face`. */
  async settlePending(db: Queryable, ownerId: string): Promise<void> {
    await db.query(
      `UPDATE faces SET cluster_pending = false
       WHERE owner_id = $1 AND cluster_pending AND (person_id IS NOT NULL OR kind <> 'face')`,
      [ownerId],
    );
  }

  /** Owners with faces no clustering step has looked at yet, oldest first. */
  async ownersWithPendingFaces(db: Queryable, limit: number): Promise<string[]> {
    const result = await db.query<{ owner_id: string }>(
      `SELECT owner_id FROM faces WHERE cluster_pending GROUP BY owner_id ORDER BY min(created_at) LIMIT $1`,
      [limit],
    );
    return result.rows.map((row) => row.owner_id);
  }

  /** Up to `limit` of the owner's faces waiting for incremental assignment (unassigned, kind `face`). */
  async listPendingForAssignment(
    db: Queryable,
    ownerId: string,
    limit: number,
  ): Promise<Array<{ id: string; photoId: string; quality: number }>> {
    const result = await db.query<{ id: string; photo_id: string; quality: number }>(
      `SELECT id, photo_id, quality FROM faces WHERE owner_id = $1 AND cluster_pending AND person_id IS NULL AND kind = 'face'
       ORDER BY created_at, id LIMIT $2`,
      [ownerId, limit],
    );
    return result.rows.map((row) => ({ id: row.id, photoId: row.photo_id, quality: row.quality }));
  }

  /** How many of the owner's faces are assigned to a person. */
  async countAssigned(db: Queryable, ownerId: string): Promise<number> {
    const result = await db.query<{ count: string }>(
      'SELECT count(*) AS count FROM faces WHERE owner_id = $1 AND person_id IS NOT NULL',
      [ownerId],
    );
    return Number(result.rows[0].count);
  }

  /** How many clusterable faces (kind `face`) the owner has: the library size a clustering run sees. */
  async countClusterable(db: Queryable, ownerId: string): Promise<number> {
    const result = await db.query<{ count: string }>(`SELECT count(*) AS count FROM faces WHERE owner_id = $1 AND kind = 'face'`, [
      ownerId,
    ]);
    return Number(result.rows[0].count);
  }

  /**
   * For each (face, person) pair, the face's mean cosine similarity to the person's faces
   * (kind `face`): its dot product with their mean embedding, which is what average linkage
   * compares; and how many faces the person has. Only the owner's faces and persons are read.
   */
  async meanSimilarityToPersons(
    db: Queryable,
    ownerId: string,
    pairs: ReadonlyArray<{ faceId: string; personId: string }>,
  ): Promise<Array<{ faceId: string; personId: string; similarity: number; personFaces: number }>> {
    if (pairs.length === 0) return [];
    const result = await db.query<{ face_id: string; person_id: string; similarity: number; faces: string }>(
      `WITH pairs AS (SELECT * FROM unnest($2::uuid[], $3::uuid[]) AS p(face_id, person_id)),
       means AS (
         SELECT f.person_id, avg(e.embedding) AS mean, count(*) AS faces
         FROM faces f JOIN face_embeddings e ON e.face_id = f.id
         WHERE f.owner_id = $1 AND f.kind = 'face' AND f.person_id IN (SELECT person_id FROM pairs)
         GROUP BY f.person_id)
       SELECT p.face_id, p.person_id, -(q.embedding <#> m.mean) AS similarity, m.faces
       FROM pairs p
       JOIN face_embeddings q ON q.face_id = p.face_id AND q.owner_id = $1
       JOIN means m ON m.person_id = p.person_id`,
      [ownerId, pairs.map((pair) => pair.faceId), pairs.map((pair) => pair.personId)],
    );
    return result.rows.map((row) => ({
      faceId: row.face_id,
      personId: row.person_id,
      similarity: Number(row.similarity),
      personFaces: Number(row.faces),
    }));
  }

  /** The installed pgvector version, e.g. "0.8.0". */
  async pgvectorVersion(db: Queryable): Promise<string> {
    const result = await db.query<{ extversion: string }>("SELECT extversion FROM pg_extension WHERE extname = 'vector'");
    return result.rows[0]?.extversion ?? '0';
  }

  /**
   * For each given face of the owner, its nearest faces of the same owner that are assigned
   * to a person (kind `face`), most similar first. Never looks at another owner's faces.
   * With `exact: false` and `iterativeScan`, call inside a transaction (SET LOCAL).
   */
  async nearestAssigned(
    db: Queryable,
    ownerId: string,
    faceIds: string[],
    options: NearestOptions,
  ): Promise<Map<string, AssignedNeighbour[]>> {
    const byFace = new Map<string, AssignedNeighbour[]>(faceIds.map((id) => [id, []]));
    type Row = { query_id: string; id: string; person_id: string; photo_id: string; similarity: number };
    const collect = (rows: Row[]) => {
      for (const row of rows) {
        byFace.get(row.query_id)?.push({ faceId: row.id, personId: row.person_id, photoId: row.photo_id, similarity: row.similarity });
      }
    };
    if (options.exact) {
      // "+ 0" keeps the planner off the HNSW index: an exact scan over this owner's faces only.
      const result = await db.query<Row>(
        `SELECT q.face_id AS query_id, n.id, n.person_id, n.photo_id, n.similarity
         FROM face_embeddings q CROSS JOIN LATERAL (
           SELECT f.id, f.person_id, f.photo_id, 1 - (e.embedding <=> q.embedding) AS similarity
           FROM faces f JOIN face_embeddings e ON e.face_id = f.id
           WHERE f.owner_id = $1 AND f.person_id IS NOT NULL AND f.kind = 'face' AND f.id <> q.face_id
           ORDER BY (e.embedding <=> q.embedding) + 0, f.id LIMIT $3) n
         WHERE q.owner_id = $1 AND q.face_id = ANY($2::uuid[])
         ORDER BY q.face_id, n.similarity DESC`,
        [ownerId, faceIds, options.neighbours],
      );
      collect(result.rows);
      return byFace;
    }
    if (options.iterativeScan) {
      await db.query("SELECT set_config('hnsw.iterative_scan', 'strict_order', true)");
      await db.query("SELECT set_config('hnsw.ef_search', $1, true)", [String(Math.max(40, options.neighbours * 4))]);
    }
    const embeddings = await db.query<{ id: string; embedding: string }>(
      `SELECT face_id AS id, embedding::text AS embedding FROM face_embeddings WHERE owner_id = $1 AND face_id = ANY($2::uuid[])`,
      [ownerId, faceIds],
    );
    for (const row of embeddings.rows) {
      const result = await db.query<Row>(
        `SELECT $2::uuid AS query_id, f.id, f.person_id, f.photo_id, 1 - (e.embedding <=> $3) AS similarity
         FROM face_embeddings e JOIN faces f ON f.id = e.face_id
         WHERE e.owner_id = $1 AND f.person_id IS NOT NULL AND f.kind = 'face' AND f.id <> $2::uuid
         ORDER BY e.embedding <=> $3 LIMIT $4`,
        [ownerId, row.id, toVectorParam(parseVector(row.embedding)), options.neighbours],
      );
      collect(result.rows);
    }
    return byFace;
  }

  async getThumbnail(db: Queryable, faceId: string, ownerId: string): Promise<Buffer | undefined> {
    const result = await db.query<{ thumbnail_jpeg: Buffer }>(
      'SELECT thumbnail_jpeg FROM faces WHERE id = $1 AND owner_id = $2',
      [faceId, ownerId],
    );
    return result.rows[0]?.thumbnail_jpeg;
  }
}
