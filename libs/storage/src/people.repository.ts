import type { Queryable } from './database';
import { landmarkPoints, type FaceBox, type FaceKind } from './faces.repository';

export type FaceAssignedBy = 'cluster' | 'user';

/** A person as the people API shows it: counts and the picture to show. */
export interface PersonRecord {
  id: string;
  name: string | null;
  hidden: boolean;
  faceCount: number;
  photoCount: number;
  /** The user's chosen cover face, else the face with the best quality score; null without faces. */
  coverFaceId: string | null;
  createdAt: Date;
}

/** Which persons a list shows: `named`/`unnamed` narrow the visible (not hidden) persons. */
export type PersonFilter = 'visible' | 'hidden' | 'named' | 'unnamed' | 'all';
export type PersonSort = 'faces' | 'name';

/** Position after the last person of a page, in the page's sort order. */
export type PersonCursor =
  | { sort: 'faces'; faceCount: number; id: string }
  | { sort: 'name'; unnamed: boolean; name: string; id: string };

export interface PersonListQuery {
  sort: PersonSort;
  filter: PersonFilter;
  /** Case-insensitive substring of the name. */
  search?: string;
  limit: number;
  after?: PersonCursor;
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

/** A person's own row, without counts: what a merge snapshot keeps to restore it. */
export interface PersonRow {
  id: string;
  name: string | null;
  hidden: boolean;
  coverFaceId: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface PersonMergeRecord {
  id: string;
  targetPersonId: string;
  /** As stored: see PeopleService for the snapshot's shape. */
  mergedPersons: unknown;
  createdAt: Date;
  undoneAt: Date | null;
}

/**
 * face_count is kept by triggers (migration 0007). A person never holds two faces of one photo
 * (every write path keeps one face per person per photo), so its photo count is its face count.
 */
const personColumns = `p.id, p.name, p.hidden, p.created_at, p.face_count, p.face_count AS photo_count`;

interface PersonViewRow {
  id: string;
  name: string | null;
  hidden: boolean;
  created_at: Date;
  face_count: string | number;
  photo_count: string | number;
  cover_face_id: string | null;
}

function toPersonRecord(row: PersonViewRow): PersonRecord {
  return {
    id: row.id,
    name: row.name,
    hidden: row.hidden,
    faceCount: Number(row.face_count),
    photoCount: Number(row.photo_count),
    coverFaceId: row.cover_face_id,
    createdAt: row.created_at,
  };
}

/**
 * The cover of each listed person: the user's choice while it is still one of the person's
 * faces, else the person's best face (the first of their face pages). A lookup per listed row
 * only, served by faces_person_quality_idx; the second subquery runs only without a choice.
 */
const coverLateral = `LEFT JOIN LATERAL (
    SELECT coalesce(
      (SELECT f.id FROM faces f WHERE f.id = page.chosen_cover AND f.person_id = page.id),
      (SELECT f.id FROM faces f WHERE f.person_id = page.id ORDER BY -f.quality, f.id LIMIT 1)
    ) AS cover_face_id
  ) cover ON true`;

const faceColumns = `f.id, f.person_id, p.name AS person_name, f.photo_id, f.box_x, f.box_y, f.box_width, f.box_height,
  f.landmarks, f.detection_score, f.quality, f.kind, f.assigned_by`;

interface FaceViewRow {
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

function toFaceRecord(row: FaceViewRow): FaceRecord {
  return {
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
  };
}

interface PlacementRow {
  id: string;
  photo_id: string;
  person_id: string | null;
  quality: number;
  detection_score: number;
  assigned_by: FaceAssignedBy;
  kind: FaceKind;
}

const placementColumns = 'id, photo_id, person_id, quality, detection_score, assigned_by, kind';

const toPlacement = (row: PlacementRow): FacePlacement => ({
  id: row.id,
  photoId: row.photo_id,
  personId: row.person_id,
  quality: row.quality,
  detectionScore: row.detection_score,
  assignedBy: row.assigned_by,
  kind: row.kind,
});

/** `%` and `_` in a user's search are literal characters, not patterns. */
const escapeLike = (text: string) => text.replace(/[\\%_]/g, (char) => `\\${char}`);

const filterSql: Record<PersonFilter, string> = {
  visible: 'NOT p.hidden',
  hidden: 'p.hidden',
  named: 'NOT p.hidden AND p.name IS NOT NULL',
  unnamed: 'NOT p.hidden AND p.name IS NULL',
  all: 'true',
};

/** SQL of the people API: persons with counts and covers, faces with person names, user decisions. */
export class PeopleRepository {
  /**
   * One page of the owner's persons, read in index order (persons_owner_faces_idx,
   * persons_owner_name_idx); cursors compare row values in the page's sort order, so a page
   * costs the same wherever it is, however large the library.
   */
  async list(db: Queryable, ownerId: string, query: PersonListQuery): Promise<PersonRecord[]> {
    const params: unknown[] = [ownerId];
    const where = [filterSql[query.filter]];
    if (query.search) {
      params.push(`%${escapeLike(query.search)}%`);
      where.push(`p.name ILIKE $${params.length}`);
    }
    let order: string;
    if (query.sort === 'faces') {
      order = '-p.face_count, p.id';
      if (query.after?.sort === 'faces') {
        params.push(-query.after.faceCount, query.after.id);
        where.push(`(-p.face_count, p.id) > ($${params.length - 1}::integer, $${params.length}::uuid)`);
      }
    } else {
      order = `p.name IS NULL, lower(coalesce(p.name, '')), p.id`;
      if (query.after?.sort === 'name') {
        params.push(query.after.unnamed, query.after.name, query.after.id);
        const n = params.length;
        where.push(`(p.name IS NULL, lower(coalesce(p.name, '')), p.id) > ($${n - 2}::boolean, $${n - 1}::text, $${n}::uuid)`);
      }
    }
    params.push(query.limit);
    const result = await db.query<PersonViewRow>(
      `WITH page AS (
         SELECT ${personColumns}, p.cover_face_id AS chosen_cover
         FROM persons p
         WHERE p.owner_id = $1 AND ${where.join(' AND ')}
         ORDER BY ${order}
         LIMIT $${params.length}
       )
       SELECT page.*, cover.cover_face_id FROM page ${coverLateral}
       ORDER BY ${query.sort === 'faces' ? '-page.face_count, page.id' : `page.name IS NULL, lower(coalesce(page.name, '')), page.id`}`,
      params,
    );
    return result.rows.map(toPersonRecord);
  }

  async findById(db: Queryable, ownerId: string, personId: string): Promise<PersonRecord | undefined> {
    const result = await db.query<PersonViewRow>(
      `WITH page AS (
         SELECT ${personColumns}, p.cover_face_id AS chosen_cover
         FROM persons p
         WHERE p.owner_id = $1 AND p.id = $2
       )
       SELECT page.*, cover.cover_face_id FROM page ${coverLateral}`,
      [ownerId, personId],
    );
    return result.rows[0] && toPersonRecord(result.rows[0]);
  }

  /** Several persons by id, in the order asked; ids of other owners or unknown ids are left out. */
  async findManyById(db: Queryable, ownerId: string, personIds: string[]): Promise<PersonRecord[]> {
    if (!personIds.length) return [];
    const result = await db.query<PersonViewRow>(
      `WITH page AS (
         SELECT ${personColumns}, p.cover_face_id AS chosen_cover
         FROM persons p
         WHERE p.owner_id = $1 AND p.id = ANY($2::uuid[])
       )
       SELECT page.*, cover.cover_face_id FROM page ${coverLateral}`,
      [ownerId, personIds],
    );
    const byId = new Map(result.rows.map((row) => [row.id, toPersonRecord(row)]));
    return personIds.flatMap((id) => byId.get(id) ?? []);
  }

  /** Locks the owner's persons (in id order, so concurrent merges cannot deadlock) and returns their rows. */
  async lockPersons(db: Queryable, ownerId: string, personIds: string[]): Promise<PersonRow[]> {
    const result = await db.query<{
      id: string;
      name: string | null;
      hidden: boolean;
      cover_face_id: string | null;
      created_at: string;
      updated_at: string;
    }>(
      `SELECT id, name, hidden, cover_face_id, created_at::text AS created_at, updated_at::text AS updated_at
       FROM persons WHERE owner_id = $1 AND id = ANY($2::uuid[]) ORDER BY id FOR UPDATE`,
      [ownerId, personIds],
    );
    return result.rows.map((row) => ({
      id: row.id,
      name: row.name,
      hidden: row.hidden,
      coverFaceId: row.cover_face_id,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    }));
  }

  async create(db: Queryable, ownerId: string, name: string | null): Promise<string> {
    const result = await db.query<{ id: string }>('INSERT INTO persons (owner_id, name) VALUES ($1, $2) RETURNING id', [
      ownerId,
      name,
    ]);
    return result.rows[0].id;
  }

  /** Puts a person back exactly as a snapshot had it, under its old id. */
  async restore(db: Queryable, ownerId: string, person: PersonRow): Promise<void> {
    await db.query(
      `INSERT INTO persons (id, owner_id, name, hidden, cover_face_id, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6::timestamptz, $7::timestamptz)`,
      [person.id, ownerId, person.name, person.hidden, person.coverFaceId, person.createdAt, person.updatedAt],
    );
  }

  /** Sets the given fields (undefined = unchanged). */
  async update(
    db: Queryable,
    ownerId: string,
    personId: string,
    changes: { name?: string | null; hidden?: boolean; coverFaceId?: string | null },
  ): Promise<void> {
    const sets: string[] = [];
    const params: unknown[] = [ownerId, personId];
    const set = (column: string, value: unknown) => {
      params.push(value);
      sets.push(`${column} = $${params.length}`);
    };
    if (changes.name !== undefined) set('name', changes.name);
    if (changes.hidden !== undefined) set('hidden', changes.hidden);
    if (changes.coverFaceId !== undefined) set('cover_face_id', changes.coverFaceId);
    if (!sets.length) return;
    await db.query(`UPDATE persons SET ${sets.join(', ')}, updated_at = now() WHERE owner_id = $1 AND id = $2`, params);
  }

  async deletePersons(db: Queryable, ownerId: string, personIds: string[]): Promise<void> {
    await db.query('DELETE FROM persons WHERE owner_id = $1 AND id = ANY($2::uuid[])', [ownerId, personIds]);
  }

  /** A page of a person's faces, best quality first. */
  async listFacesOfPerson(
    db: Queryable,
    ownerId: string,
    personId: string,
    page: { limit: number; after?: FaceCursor },
  ): Promise<FaceRecord[]> {
    const params: unknown[] = [ownerId, personId, page.limit];
    let after = '';
    if (page.after) {
      params.push(-page.after.quality, page.after.id);
      after = 'AND (-f.quality, f.id) > ($4::real, $5::uuid)';
    }
    const result = await db.query<FaceViewRow>(
      `SELECT ${faceColumns} FROM faces f JOIN persons p ON p.id = f.person_id
       WHERE f.owner_id = $1 AND f.person_id = $2 ${after}
       ORDER BY -f.quality, f.id LIMIT $3`,
      params,
    );
    return result.rows.map(toFaceRecord);
  }

  /** Every face of a photo, in detection order, with the names of their persons. */
  async listFacesOfPhoto(db: Queryable, ownerId: string, photoId: string): Promise<FaceRecord[]> {
    const result = await db.query<FaceViewRow>(
      `SELECT ${faceColumns} FROM faces f LEFT JOIN persons p ON p.id = f.person_id
       WHERE f.owner_id = $1 AND f.photo_id = $2 ORDER BY f.face_index`,
      [ownerId, photoId],
    );
    return result.rows.map(toFaceRecord);
  }

  async findFace(db: Queryable, ownerId: string, faceId: string): Promise<FaceRecord | undefined> {
    const result = await db.query<FaceViewRow>(
      `SELECT ${faceColumns} FROM faces f LEFT JOIN persons p ON p.id = f.person_id WHERE f.owner_id = $1 AND f.id = $2`,
      [ownerId, faceId],
    );
    return result.rows[0] && toFaceRecord(result.rows[0]);
  }

  /** Whether the owner has this face; cheap (no thumbnail read), for conditional requests. */
  async faceExists(db: Queryable, ownerId: string, faceId: string): Promise<boolean> {
    const result = await db.query('SELECT 1 FROM faces WHERE owner_id = $1 AND id = $2', [ownerId, faceId]);
    return result.rows.length > 0;
  }

  /** Locks one face for a decision about it. */
  async lockFace(db: Queryable, ownerId: string, faceId: string): Promise<FacePlacement | undefined> {
    const result = await db.query<PlacementRow>(
      `SELECT ${placementColumns}
       FROM faces WHERE owner_id = $1 AND id = $2 FOR UPDATE`,
      [ownerId, faceId],
    );
    return result.rows[0] && toPlacement(result.rows[0]);
  }

  /** Every face of the given persons, locked. */
  async lockFacesOfPersons(db: Queryable, ownerId: string, personIds: string[]): Promise<FacePlacement[]> {
    const result = await db.query<PlacementRow>(
      `SELECT ${placementColumns}
       FROM faces WHERE owner_id = $1 AND person_id = ANY($2::uuid[]) ORDER BY id FOR UPDATE`,
      [ownerId, personIds],
    );
    return result.rows.map(toPlacement);
  }

  /** Faces of given ids, locked (those of other owners or gone are left out). */
  async lockFaces(db: Queryable, ownerId: string, faceIds: string[]): Promise<FacePlacement[]> {
    const result = await db.query<PlacementRow>(
      `SELECT ${placementColumns}
       FROM faces WHERE owner_id = $1 AND id = ANY($2::uuid[]) ORDER BY id FOR UPDATE`,
      [ownerId, faceIds],
    );
    return result.rows.map(toPlacement);
  }

  /** Whether the person already has a face of this photo other than `exceptFaceId`. */
  async personHasFaceInPhoto(db: Queryable, ownerId: string, personId: string, photoId: string, exceptFaceId: string) {
    const result = await db.query(
      'SELECT 1 FROM faces WHERE owner_id = $1 AND person_id = $2 AND photo_id = $3 AND id <> $4 LIMIT 1',
      [ownerId, personId, photoId, exceptFaceId],
    );
    return result.rows.length > 0;
  }

  /** Places faces: person (null = none) and who decided. */
  async assignFaces(
    db: Queryable,
    ownerId: string,
    faceIds: string[],
    personId: string | null,
    assignedBy: FaceAssignedBy,
  ): Promise<void> {
    if (!faceIds.length) return;
    await db.query('UPDATE faces SET person_id = $3, assigned_by = $4 WHERE owner_id = $1 AND id = ANY($2::uuid[])', [
      ownerId,
      faceIds,
      personId,
      assignedBy,
    ]);
  }

  /** Marks every face of a person as placed by the user (the user confirmed the whole person). */
  async confirmFacesOfPerson(db: Queryable, ownerId: string, personId: string): Promise<void> {
    await db.query(`UPDATE faces SET assigned_by = 'user' WHERE owner_id = $1 AND person_id = $2`, [ownerId, personId]);
  }

  async setFaceKind(db: Queryable, ownerId: string, faceId: string, kind: FaceKind): Promise<void> {
    await db.query('UPDATE faces SET kind = $3 WHERE owner_id = $1 AND id = $2', [ownerId, faceId, kind]);
  }


  /**
   * Cosine similarity of each given face to the mean of the given persons' faces (kind
   * `face`), as the person rule compares faces of one photo; faces without one are left out.
   */
  async similarityToMeanOf(db: Queryable, ownerId: string, personIds: string[], faceIds: string[]): Promise<Map<string, number>> {
    if (!faceIds.length) return new Map();
    const result = await db.query<{ face_id: string; similarity: number }>(
      `WITH mean AS (
         SELECT avg(e.embedding) AS mean FROM faces f JOIN face_embeddings e ON e.face_id = f.id
         WHERE f.owner_id = $1 AND f.person_id = ANY($2::uuid[]) AND f.kind = 'face')
       SELECT e.face_id, (1 - (e.embedding <=> mean.mean))::float8 AS similarity
       FROM face_embeddings e CROSS JOIN mean WHERE e.owner_id = $1 AND e.face_id = ANY($3::uuid[]) AND mean.mean IS NOT NULL`,
      [ownerId, personIds, faceIds],
    );
    return new Map(result.rows.map((row) => [row.face_id, Number(row.similarity)]));
  }

  /** Records "this face is not this person": the clusterer never puts it back there. */
  async addExclusion(db: Queryable, ownerId: string, faceId: string, personId: string): Promise<void> {
    await db.query(
      `INSERT INTO face_person_exclusions (face_id, person_id, owner_id) VALUES ($1, $2, $3)
       ON CONFLICT (face_id, person_id) DO NOTHING`,
      [faceId, personId, ownerId],
    );
  }

  /** The faces excluded from a person. */
  async listExclusions(db: Queryable, ownerId: string, personId: string): Promise<string[]> {
    const result = await db.query<{ face_id: string }>(
      'SELECT face_id FROM face_person_exclusions WHERE owner_id = $1 AND person_id = $2 ORDER BY face_id',
      [ownerId, personId],
    );
    return result.rows.map((row) => row.face_id);
  }

  /** Removes exclusions of these faces from this person; returns the face ids that had one. */
  async removeExclusions(db: Queryable, ownerId: string, personId: string, faceIds: string[]): Promise<string[]> {
    if (!faceIds.length) return [];
    const result = await db.query<{ face_id: string }>(
      `DELETE FROM face_person_exclusions WHERE owner_id = $1 AND person_id = $2 AND face_id = ANY($3::uuid[])
       RETURNING face_id`,
      [ownerId, personId, faceIds],
    );
    return result.rows.map((row) => row.face_id);
  }

  /** Re-adds exclusions for the faces that still exist and are not in that person now. */
  async restoreExclusions(db: Queryable, ownerId: string, personId: string, faceIds: string[]): Promise<void> {
    if (!faceIds.length) return;
    await db.query(
      `INSERT INTO face_person_exclusions (face_id, person_id, owner_id)
       SELECT f.id, $2, $1 FROM faces f
       WHERE f.owner_id = $1 AND f.id = ANY($3::uuid[]) AND f.person_id IS DISTINCT FROM $2
       ON CONFLICT (face_id, person_id) DO NOTHING`,
      [ownerId, personId, faceIds],
    );
  }

  /**
   * Persons whose faces are closest to this person's: cosine similarity of the persons'
   * centroids (mean embedding), computed in one pass over the owner's assigned faces only,
   * so no other user's face is ever compared. Hidden persons are left out.
   */
  async similar(db: Queryable, ownerId: string, personId: string, limit: number): Promise<Array<{ personId: string; similarity: number }>> {
    const result = await db.query<{ person_id: string; similarity: number }>(
      `WITH centroids AS (
         SELECT f.person_id, avg(e.embedding) AS centroid
         FROM faces f JOIN face_embeddings e ON e.face_id = f.id
         WHERE f.owner_id = $1 AND f.person_id IS NOT NULL
         GROUP BY f.person_id
       ), target AS (SELECT centroid FROM centroids WHERE person_id = $2)
       SELECT c.person_id, (1 - (c.centroid <=> target.centroid))::float8 AS similarity
       FROM centroids c CROSS JOIN target JOIN persons p ON p.id = c.person_id
       WHERE c.person_id <> $2 AND p.owner_id = $1 AND NOT p.hidden
       ORDER BY c.centroid <=> target.centroid, c.person_id
       LIMIT $3`,
      [ownerId, personId, limit],
    );
    return result.rows.map((row) => ({ personId: row.person_id, similarity: Number(row.similarity) }));
  }

  async insertMerge(db: Queryable, ownerId: string, targetPersonId: string, mergedPersons: unknown): Promise<PersonMergeRecord> {
    const result = await db.query<MergeRow>(
      `INSERT INTO person_merges (owner_id, target_person_id, merged_persons) VALUES ($1, $2, $3::jsonb)
       RETURNING id, target_person_id, merged_persons, created_at, undone_at`,
      [ownerId, targetPersonId, JSON.stringify(mergedPersons)],
    );
    return toMerge(result.rows[0]);
  }

  async lockMerge(db: Queryable, ownerId: string, mergeId: string): Promise<PersonMergeRecord | undefined> {
    const result = await db.query<MergeRow>(
      `SELECT id, target_person_id, merged_persons, created_at, undone_at
       FROM person_merges WHERE owner_id = $1 AND id = $2 FOR UPDATE`,
      [ownerId, mergeId],
    );
    return result.rows[0] && toMerge(result.rows[0]);
  }

  /** Whether a later merge into the same person is still in effect. */
  async hasLaterMerge(db: Queryable, ownerId: string, merge: PersonMergeRecord): Promise<boolean> {
    const result = await db.query(
      `SELECT 1 FROM person_merges
       WHERE owner_id = $1 AND target_person_id = $2 AND undone_at IS NULL
         AND created_at > (SELECT created_at FROM person_merges WHERE id = $3) LIMIT 1`,
      [ownerId, merge.targetPersonId, merge.id],
    );
    return result.rows.length > 0;
  }

  async markMergeUndone(db: Queryable, ownerId: string, mergeId: string): Promise<void> {
    await db.query('UPDATE person_merges SET undone_at = now() WHERE owner_id = $1 AND id = $2', [ownerId, mergeId]);
  }
}

interface MergeRow {
  id: string;
  target_person_id: string;
  merged_persons: unknown;
  created_at: Date;
  undone_at: Date | null;
}

const toMerge = (row: MergeRow): PersonMergeRecord => ({
  id: row.id,
  targetPersonId: row.target_person_id,
  mergedPersons: row.merged_persons,
  createdAt: row.created_at,
  undoneAt: row.undone_at,
});
