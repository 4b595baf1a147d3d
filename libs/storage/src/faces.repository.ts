import type { Queryable } from './database';
import { parseVector, toVectorParam } from './vector';

export interface FaceBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** `face` takes part in clustering; `blurry` and `trash` are kept but left out. */
export type FaceKind = 'face' | 'blurry' | 'trash';

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
  embedding: Float32Array;
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

function toFace(row: FaceRow): Face {
  const landmarks = [];
  for (let i = 0; i + 1 < row.landmarks.length; i += 2) landmarks.push({ x: row.landmarks[i], y: row.landmarks[i + 1] });
  return {
    id: row.id,
    photoId: row.photo_id,
    faceIndex: row.face_index,
    box: { x: row.box_x, y: row.box_y, width: row.box_width, height: row.box_height },
    landmarks,
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
      const result = await db.query<{ id: string }>(
        `INSERT INTO faces (owner_id, photo_id, face_index, box_x, box_y, box_width, box_height, landmarks,
           detection_score, embedding, embedding_model, thumbnail_jpeg, kind, quality, sharpness, trash_similarity)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
         RETURNING id`,
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

  /** The owner's clusterable faces (kind `face`) with embeddings, in a stable order. */
  async listEmbeddings(db: Queryable, ownerId: string): Promise<FaceEmbedding[]> {
    const result = await db.query<{ id: string; photo_id: string; person_id: string | null; embedding: string }>(
      `SELECT id, photo_id, person_id, embedding::text AS embedding
       FROM faces WHERE owner_id = $1 AND kind = 'face' ORDER BY created_at, photo_id, face_index`,
      [ownerId],
    );
    return result.rows.map((row) => ({
      id: row.id,
      photoId: row.photo_id,
      personId: row.person_id,
      embedding: parseVector(row.embedding),
    }));
  }

  async getThumbnail(db: Queryable, faceId: string, ownerId: string): Promise<Buffer | undefined> {
    const result = await db.query<{ thumbnail_jpeg: Buffer }>(
      'SELECT thumbnail_jpeg FROM faces WHERE id = $1 AND owner_id = $2',
      [faceId, ownerId],
    );
    return result.rows[0]?.thumbnail_jpeg;
  }
}
