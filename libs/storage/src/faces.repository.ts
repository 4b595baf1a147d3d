import type { Queryable } from './database';
import { parseVector, toVectorParam } from './vector';

export interface FaceBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface NewFace {
  box: FaceBox;
  /** Five points in original photo pixels: eyes, nose, mouth corners. */
  landmarks: Array<{ x: number; y: number }>;
  detectionScore: number;
  embedding: Float32Array;
  embeddingModel: string;
  thumbnailJpeg: Buffer;
}

export interface Face {
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
           detection_score, embedding, embedding_model, thumbnail_jpeg)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
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
        ],
      );
      ids.push(result.rows[0].id);
    }
    return ids;
  }

  async listForPhoto(db: Queryable, photoId: string): Promise<Face[]> {
    const result = await db.query<FaceRow>(
      `SELECT id, photo_id, face_index, box_x, box_y, box_width, box_height, landmarks, detection_score, person_id
       FROM faces WHERE photo_id = $1 ORDER BY face_index`,
      [photoId],
    );
    return result.rows.map(toFace);
  }

  /** Every face of an owner with its embedding, in a stable order (input of clustering). */
  async listEmbeddings(db: Queryable, ownerId: string): Promise<FaceEmbedding[]> {
    const result = await db.query<{ id: string; photo_id: string; person_id: string | null; embedding: string }>(
      `SELECT id, photo_id, person_id, embedding::text AS embedding
       FROM faces WHERE owner_id = $1 ORDER BY created_at, photo_id, face_index`,
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
