import type { FaceAssignedBy, FaceKind } from '@facecloud/contract';
import { OwnerScoped, type Queryable } from './database';
import { parseVector, toVectorParam, vectorFromSend } from './vector';

export interface FaceBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export type { FaceAssignedBy, FaceKind };

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

/** A detection with the person it belongs to, as the people API shows it. */
export interface FaceRecord {
  id: string;
  personId: string | null;
  personName: string | null;
  photoId: string;
  box: FaceBox;
  landmarks: Array<{ x: number; y: number }>;
  detectionScore: number;
  quality: number;
  kind: FaceKind;
  assignedBy: FaceAssignedBy;
}

/** Position after the last face of a person's page: best quality first. */
export interface FaceCursor {
  quality: number;
  id: string;
}

/** A face as a merge or move needs it: where it is and how good it is. */
export interface FacePlacement {
  id: string;
  photoId: string;
  personId: string | null;
  quality: number;
  detectionScore: number;
  assignedBy: FaceAssignedBy;
  kind: FaceKind;
}

export interface FaceEmbedding {
  id: string;
  photoId: string;
  personId: string | null;
  /** 'user': the user placed or confirmed the face with its person; clustering keeps it there. */
  assignedBy: FaceAssignedBy;
  embedding: Float32Array;
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

/** The landmarks column (x1, y1, ..., x5, y5) as points. */
function landmarkPoints(flat: readonly number[]): Array<{ x: number; y: number }> {
  const points = [];
  for (let i = 0; i + 1 < flat.length; i += 2) points.push({ x: flat[i], y: flat[i + 1] });
  return points;
}

const recordColumns = `f.id, f.person_id, p.name AS person_name, f.photo_id, f.box_x, f.box_y, f.box_width, f.box_height,
  f.landmarks, f.detection_score, f.quality, f.kind, f.assigned_by`;

interface RecordRow {
  id: string;
  person_id: string | null;
  person_name: string | null;
  photo_id: string;
  box_x: number;
  box_y: number;
  box_width: number;
  box_height: number;
  landmarks: number[];
  detection_score: number;
  quality: number;
  kind: FaceKind;
  assigned_by: FaceAssignedBy;
}

const toRecord = (row: RecordRow): FaceRecord => ({
  id: row.id,
  personId: row.person_id,
  personName: row.person_name,
  photoId: row.photo_id,
  box: { x: row.box_x, y: row.box_y, width: row.box_width, height: row.box_height },
  landmarks: landmarkPoints(row.landmarks),
  detectionScore: row.detection_score,
  quality: row.quality,
  kind: row.kind,
  assignedBy: row.assigned_by,
});

const placementColumns = 'id, photo_id, person_id, quality, detection_score, assigned_by, kind';

interface PlacementRow {
  id: string;
  photo_id: string;
  person_id: string | null;
  quality: number;
  detection_score: number;
  assigned_by: FaceAssignedBy;
  kind: FaceKind;
}

const toPlacement = (row: PlacementRow): FacePlacement => ({
  id: row.id,
  photoId: row.photo_id,
  personId: row.person_id,
  quality: row.quality,
  detectionScore: row.detection_score,
  assignedBy: row.assigned_by,
  kind: row.kind,
});

/**
 * The photo `$2` if owner `$1` has it. A photo's faces are the owner's, so selecting them by
 * this photo keeps the owner scope and always walks the photo's own index entries; written as
 * `faces.owner_id = $1 AND faces.photo_id = $2`, a plan made without table statistics may
 * walk all of the owner's faces instead (see TableUpkeep).
 */
const OWNED_PHOTO_SQL = 'SELECT id FROM photos WHERE owner_id = $1 AND id = $2';

/** The faces and face_embeddings tables, bound to one owner. */
export class FaceRepository extends OwnerScoped {
  /**
   * Replaces every face of a photo. Run inside the transaction that marks the photo done,
   * so a redelivered job rewrites the same faces instead of adding a second copy.
   */
  async replaceForPhoto(photoId: string, faces: NewFace[]): Promise<string[]> {
    await this.db.query(`DELETE FROM faces WHERE photo_id = (${OWNED_PHOTO_SQL})`, [this.ownerId, photoId]);
    const ids: string[] = [];
    for (const [faceIndex, face] of faces.entries()) {
      // The embedding goes to its own table (migration 0008) in the same statement.
      const result = await this.db.query<{ id: string }>(
        `WITH face AS (
           INSERT INTO faces (owner_id, photo_id, face_index, box_x, box_y, box_width, box_height, landmarks,
             detection_score, embedding_model, thumbnail_jpeg, kind, quality, sharpness, trash_similarity)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $11, $12, $13, $14, $15, $16)
           RETURNING id)
         INSERT INTO face_embeddings (face_id, owner_id, embedding) SELECT id, $1, $10 FROM face
         RETURNING face_id AS id`,
        [
          this.ownerId,
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

  /** The owner's clusterable faces (kind `face`) with embeddings and placement, in a stable order. */
  async listEmbeddings(): Promise<FaceEmbedding[]> {
    const result = await this.db.query<{
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
      [this.ownerId],
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

  /** A page of a person's faces, best quality first. */
  async listOfPerson(personId: string, page: { limit: number; after?: FaceCursor }): Promise<FaceRecord[]> {
    const params: unknown[] = [this.ownerId, personId, page.limit];
    let after = '';
    if (page.after) {
      params.push(-page.after.quality, page.after.id);
      after = 'AND (-f.quality, f.id) > ($4::real, $5::uuid)';
    }
    const result = await this.db.query<RecordRow>(
      `SELECT ${recordColumns} FROM faces f JOIN persons p ON p.id = f.person_id
       WHERE f.owner_id = $1 AND f.person_id = $2 ${after}
       ORDER BY -f.quality, f.id LIMIT $3`,
      params,
    );
    return result.rows.map(toRecord);
  }

  /** Every face of a photo, in detection order, with the names of their persons. */
  async listOfPhoto(photoId: string): Promise<FaceRecord[]> {
    const result = await this.db.query<RecordRow>(
      `SELECT ${recordColumns} FROM faces f LEFT JOIN persons p ON p.id = f.person_id
       WHERE f.photo_id = (${OWNED_PHOTO_SQL}) ORDER BY f.face_index`,
      [this.ownerId, photoId],
    );
    return result.rows.map(toRecord);
  }

  async find(faceId: string): Promise<FaceRecord | undefined> {
    const result = await this.db.query<RecordRow>(
      `SELECT ${recordColumns} FROM faces f LEFT JOIN persons p ON p.id = f.person_id WHERE f.owner_id = $1 AND f.id = $2`,
      [this.ownerId, faceId],
    );
    return result.rows[0] && toRecord(result.rows[0]);
  }

  /** Whether the owner has this face; cheap (no thumbnail read), for conditional requests. */
  async exists(faceId: string): Promise<boolean> {
    const result = await this.db.query('SELECT 1 FROM faces WHERE owner_id = $1 AND id = $2', [this.ownerId, faceId]);
    return result.rows.length > 0;
  }

  /**
   * Locks the given faces of the owner until the transaction ends (in id order, so lockers
   * cannot deadlock) and returns their placement; faces of other owners or gone are left
   * out. A clustering run compares them with what it read; the people API's decisions lock
   * the same rows, so they wait for a run's write or come before it.
   */
  async lock(faceIds: string[]): Promise<FacePlacement[]> {
    const result = await this.db.query<PlacementRow>(
      `SELECT ${placementColumns} FROM faces WHERE owner_id = $1 AND id = ANY($2::uuid[]) ORDER BY id FOR UPDATE`,
      [this.ownerId, faceIds],
    );
    return result.rows.map(toPlacement);
  }

  /** Every face of the given persons, locked. */
  async lockOfPersons(personIds: string[]): Promise<FacePlacement[]> {
    const result = await this.db.query<PlacementRow>(
      `SELECT ${placementColumns} FROM faces WHERE owner_id = $1 AND person_id = ANY($2::uuid[]) ORDER BY id FOR UPDATE`,
      [this.ownerId, personIds],
    );
    return result.rows.map(toPlacement);
  }

  /** Places faces: person (null = none) and who decided. */
  async assign(faceIds: string[], personId: string | null, assignedBy: FaceAssignedBy): Promise<void> {
    if (!faceIds.length) return;
    await this.db.query('UPDATE faces SET person_id = $3, assigned_by = $4 WHERE owner_id = $1 AND id = ANY($2::uuid[])', [
      this.ownerId,
      faceIds,
      personId,
      assignedBy,
    ]);
  }

  /** Marks every face of a person as placed by the user (the user confirmed the whole person). */
  async confirmAllOf(personId: string): Promise<void> {
    await this.db.query(`UPDATE faces SET assigned_by = 'user' WHERE owner_id = $1 AND person_id = $2`, [this.ownerId, personId]);
  }

  async setKind(faceId: string, kind: FaceKind): Promise<void> {
    await this.db.query('UPDATE faces SET kind = $3 WHERE owner_id = $1 AND id = $2', [this.ownerId, faceId, kind]);
  }

  /** Marks faces as looked at by clustering (a run, or an incremental pass). */
  async markClusterChecked(faceIds: string[]): Promise<void> {
    await this.db.query('UPDATE faces SET cluster_pending = false WHERE owner_id = $1 AND id = ANY($2::uuid[]) AND cluster_pending', [
      this.ownerId,
      faceIds,
    ]);
  }

  /** Clears the pending mark of the owner's faces nothing is left to decide for: placed, or not kind `face`. */
  async settlePending(): Promise<void> {
    await this.db.query(
      `UPDATE faces SET cluster_pending = false
       WHERE owner_id = $1 AND cluster_pending AND (person_id IS NOT NULL OR kind <> 'face')`,
      [this.ownerId],
    );
  }

  /** Up to `limit` of the owner's faces waiting for incremental assignment (unassigned, kind `face`). */
  async listPendingForAssignment(limit: number): Promise<Array<{ id: string; photoId: string; quality: number }>> {
    const result = await this.db.query<{ id: string; photo_id: string; quality: number }>(
      `SELECT id, photo_id, quality FROM faces WHERE owner_id = $1 AND cluster_pending AND person_id IS NULL AND kind = 'face'
       ORDER BY created_at, id LIMIT $2`,
      [this.ownerId, limit],
    );
    return result.rows.map((row) => ({ id: row.id, photoId: row.photo_id, quality: row.quality }));
  }

  /** The persons already holding a face of each given photo (one face per person per photo). */
  async personsOnPhotos(photoIds: string[]): Promise<Map<string, Set<string>>> {
    const result = await this.db.query<{ photo_id: string; person_ids: string[] }>(
      `SELECT photo_id, array_agg(DISTINCT person_id) AS person_ids FROM faces
       WHERE owner_id = $1 AND photo_id = ANY($2::uuid[]) AND person_id IS NOT NULL GROUP BY photo_id`,
      [this.ownerId, photoIds],
    );
    return new Map(result.rows.map((row) => [row.photo_id, new Set(row.person_ids)]));
  }

  /**
   * Incremental assignment between runs: places unassigned faces with persons, unless in the
   * meantime the face was placed, the person went, the user removed the face from that
   * person, or the person got another face of the same photo.
   */
  async assignByCluster(placements: Array<{ faceId: string; personId: string }>): Promise<number> {
    if (placements.length === 0) return 0;
    const result = await this.db.query(
      `UPDATE faces f SET person_id = a.person_id, assigned_by = 'cluster', cluster_pending = false
       FROM unnest($2::uuid[], $3::uuid[]) AS a(face_id, person_id)
       WHERE f.owner_id = $1 AND f.id = a.face_id AND f.person_id IS NULL AND f.kind = 'face'
         AND EXISTS (SELECT 1 FROM persons p WHERE p.id = a.person_id AND p.owner_id = $1)
         AND NOT EXISTS (SELECT 1 FROM face_person_exclusions e WHERE e.face_id = f.id AND e.person_id = a.person_id)
         AND NOT EXISTS (SELECT 1 FROM faces o WHERE o.person_id = a.person_id AND o.photo_id = f.photo_id AND o.id <> f.id)`,
      [this.ownerId, placements.map((p) => p.faceId), placements.map((p) => p.personId)],
    );
    return result.rowCount ?? 0;
  }

  /** How many of the owner's faces are assigned to a person. */
  async countAssigned(): Promise<number> {
    const result = await this.db.query<{ count: string }>(
      'SELECT count(*) AS count FROM faces WHERE owner_id = $1 AND person_id IS NOT NULL',
      [this.ownerId],
    );
    return Number(result.rows[0].count);
  }

  /** How many clusterable faces (kind `face`) the owner has: the library size a clustering run sees. */
  async countClusterable(): Promise<number> {
    const result = await this.db.query<{ count: string }>(`SELECT count(*) AS count FROM faces WHERE owner_id = $1 AND kind = 'face'`, [
      this.ownerId,
    ]);
    return Number(result.rows[0].count);
  }

  /**
   * For each (face, person) pair, the face's mean cosine similarity to the person's faces
   * (kind `face`): its dot product with their mean embedding, which is what average linkage
   * compares; and how many faces the person has. Only the owner's faces and persons are read.
   */
  async meanSimilarityToPersons(
    pairs: ReadonlyArray<{ faceId: string; personId: string }>,
  ): Promise<Array<{ faceId: string; personId: string; similarity: number; personFaces: number }>> {
    if (pairs.length === 0) return [];
    const result = await this.db.query<{ face_id: string; person_id: string; similarity: number; faces: string }>(
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
      [this.ownerId, pairs.map((pair) => pair.faceId), pairs.map((pair) => pair.personId)],
    );
    return result.rows.map((row) => ({
      faceId: row.face_id,
      personId: row.person_id,
      similarity: Number(row.similarity),
      personFaces: Number(row.faces),
    }));
  }

  /**
   * For each given face of the owner, its nearest faces of the same owner that are assigned
   * to a person (kind `face`), most similar first. Never looks at another owner's faces.
   * With `exact: false` and `iterativeScan`, call inside a transaction (SET LOCAL).
   */
  async nearestAssigned(faceIds: string[], options: NearestOptions): Promise<Map<string, AssignedNeighbour[]>> {
    const byFace = new Map<string, AssignedNeighbour[]>(faceIds.map((id) => [id, []]));
    type Row = { query_id: string; id: string; person_id: string; photo_id: string; similarity: number };
    const collect = (rows: Row[]) => {
      for (const row of rows) {
        byFace.get(row.query_id)?.push({ faceId: row.id, personId: row.person_id, photoId: row.photo_id, similarity: row.similarity });
      }
    };
    if (options.exact) {
      // "+ 0" keeps the planner off the HNSW index: an exact scan over this owner's faces only.
      const result = await this.db.query<Row>(
        `SELECT q.face_id AS query_id, n.id, n.person_id, n.photo_id, n.similarity
         FROM face_embeddings q CROSS JOIN LATERAL (
           SELECT f.id, f.person_id, f.photo_id, 1 - (e.embedding <=> q.embedding) AS similarity
           FROM faces f JOIN face_embeddings e ON e.face_id = f.id
           WHERE f.owner_id = $1 AND f.person_id IS NOT NULL AND f.kind = 'face' AND f.id <> q.face_id
           ORDER BY (e.embedding <=> q.embedding) + 0, f.id LIMIT $3) n
         WHERE q.owner_id = $1 AND q.face_id = ANY($2::uuid[])
         ORDER BY q.face_id, n.similarity DESC`,
        [this.ownerId, faceIds, options.neighbours],
      );
      collect(result.rows);
      return byFace;
    }
    if (options.iterativeScan) {
      await this.db.query("SELECT set_config('hnsw.iterative_scan', 'strict_order', true)");
      await this.db.query("SELECT set_config('hnsw.ef_search', $1, true)", [String(Math.max(40, options.neighbours * 4))]);
    }
    const embeddings = await this.db.query<{ id: string; embedding: string }>(
      `SELECT face_id AS id, embedding::text AS embedding FROM face_embeddings WHERE owner_id = $1 AND face_id = ANY($2::uuid[])`,
      [this.ownerId, faceIds],
    );
    for (const row of embeddings.rows) {
      const result = await this.db.query<Row>(
        `SELECT $2::uuid AS query_id, f.id, f.person_id, f.photo_id, 1 - (e.embedding <=> $3) AS similarity
         FROM face_embeddings e JOIN faces f ON f.id = e.face_id
         WHERE e.owner_id = $1 AND f.person_id IS NOT NULL AND f.kind = 'face' AND f.id <> $2::uuid
         ORDER BY e.embedding <=> $3 LIMIT $4`,
        [this.ownerId, row.id, toVectorParam(parseVector(row.embedding)), options.neighbours],
      );
      collect(result.rows);
    }
    return byFace;
  }

  async thumbnail(faceId: string): Promise<Buffer | undefined> {
    const result = await this.db.query<{ thumbnail_jpeg: Buffer }>('SELECT thumbnail_jpeg FROM faces WHERE owner_id = $1 AND id = $2', [
      this.ownerId,
      faceId,
    ]);
    return result.rows[0]?.thumbnail_jpeg;
  }
}

/** Face queries across owners: which owners have work for clustering, and the vector extension. */
export class AllFaces {
  constructor(private readonly db: Queryable) {}

  /** Owners with faces no clustering step has looked at yet, oldest first. */
  async ownersWithPendingFaces(limit: number): Promise<string[]> {
    const result = await this.db.query<{ owner_id: string }>(
      `SELECT owner_id FROM faces WHERE cluster_pending GROUP BY owner_id ORDER BY min(created_at) LIMIT $1`,
      [limit],
    );
    return result.rows.map((row) => row.owner_id);
  }

  /** The installed pgvector version, e.g. "0.8.0". */
  async pgvectorVersion(): Promise<string> {
    const result = await this.db.query<{ extversion: string }>("SELECT extversion FROM pg_extension WHERE extname = 'vector'");
    return result.rows[0]?.extversion ?? '0';
  }
}
