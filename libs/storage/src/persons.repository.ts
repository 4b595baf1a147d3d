import type { Queryable } from './database';

export interface PersonSummary {
  id: string;
  name: string | null;
  faceCount: number;
  photoCount: number;
  /** The face with the best quality score, shown as the person's picture. */
  coverFaceId: string;
}

/** One person of a clustering result: an existing id to keep, or null for a new person. */
export interface PersonAssignment {
  personId: string | null;
  faceIds: string[];
}

/** A person as clustering sees it: what the user decided about it. */
export interface ClusteringPerson {
  id: string;
  name: string | null;
  hidden: boolean;
  coverFaceId: string | null;
}

export class PersonRepository {
  async listWithCounts(db: Queryable, ownerId: string): Promise<PersonSummary[]> {
    const result = await db.query<{
      id: string;
      name: string | null;
      face_count: string;
      photo_count: string;
      cover_face_id: string;
    }>(
      `SELECT p.id, p.name, count(f.id) AS face_count, count(DISTINCT f.photo_id) AS photo_count,
              (array_agg(f.id ORDER BY f.quality DESC, f.detection_score DESC, f.id))[1] AS cover_face_id
       FROM persons p JOIN faces f ON f.person_id = p.id
       WHERE p.owner_id = $1
       GROUP BY p.id
       ORDER BY count(f.id) DESC, p.created_at, p.id`,
      [ownerId],
    );
    return result.rows.map((row) => ({
      id: row.id,
      name: row.name,
      faceCount: Number(row.face_count),
      photoCount: Number(row.photo_count),
      coverFaceId: row.cover_face_id,
    }));
  }

  /** The owner's persons with what the user decided about them (clustering input). */
  async listForClustering(db: Queryable, ownerId: string): Promise<ClusteringPerson[]> {
    const result = await db.query<{ id: string; name: string | null; hidden: boolean; cover_face_id: string | null }>(
      'SELECT id, name, hidden, cover_face_id FROM persons WHERE owner_id = $1 ORDER BY id',
      [ownerId],
    );
    return result.rows.map((row) => ({ id: row.id, name: row.name, hidden: row.hidden, coverFaceId: row.cover_face_id }));
  }

  /** Locks the owner's persons until the transaction ends (a run's write against concurrent renames). */
  async lockForClustering(db: Queryable, ownerId: string): Promise<ClusteringPerson[]> {
    const result = await db.query<{ id: string; name: string | null; hidden: boolean; cover_face_id: string | null }>(
      'SELECT id, name, hidden, cover_face_id FROM persons WHERE owner_id = $1 ORDER BY id FOR UPDATE',
      [ownerId],
    );
    return result.rows.map((row) => ({ id: row.id, name: row.name, hidden: row.hidden, coverFaceId: row.cover_face_id }));
  }

  /** "Not this person" decisions of the owner: face id → person ids it must never join. */
  async listExclusions(db: Queryable, ownerId: string, faceIds?: string[]): Promise<Map<string, Set<string>>> {
    const result = await db.query<{ face_id: string; person_id: string }>(
      `SELECT face_id, person_id FROM face_person_exclusions
       WHERE owner_id = $1 AND ($2::uuid[] IS NULL OR face_id = ANY($2::uuid[])) ORDER BY face_id, person_id`,
      [ownerId, faceIds ?? null],
    );
    const exclusions = new Map<string, Set<string>>();
    for (const row of result.rows) {
      const set = exclusions.get(row.face_id);
      if (set) set.add(row.person_id);
      else exclusions.set(row.face_id, new Set([row.person_id]));
    }
    return exclusions;
  }

  /** The persons already holding a face of each given photo (one face per person per photo). */
  async personsOnPhotos(db: Queryable, ownerId: string, photoIds: string[]): Promise<Map<string, Set<string>>> {
    const result = await db.query<{ photo_id: string; person_id: string }>(
      `SELECT DISTINCT photo_id, person_id FROM faces
       WHERE owner_id = $1 AND photo_id = ANY($2::uuid[]) AND person_id IS NOT NULL`,
      [ownerId, photoIds],
    );
    const persons = new Map<string, Set<string>>();
    for (const row of result.rows) {
      const set = persons.get(row.photo_id);
      if (set) set.add(row.person_id);
      else persons.set(row.photo_id, new Set([row.person_id]));
    }
    return persons;
  }

  /**
   * Writes a clustering result: kept persons keep their ids (and names), new ones are
   * created, faces placed by clustering that are in no group become unassigned (persons left
   * without faces and covers that left their person go when the transaction commits,
   * migration 0010). Only faces
   * placed by clustering ever move; a face never joins a person the user removed it from.
   * `scope`: the faces the run looked at (default: all of the owner's), so faces stored
   * during the run keep what incremental assignment gave them. Call inside a transaction so
   * readers see the old state or the new, never a mix.
   */
  async applyAssignments(
    db: Queryable,
    ownerId: string,
    assignments: PersonAssignment[],
    scope?: string[],
  ): Promise<string[]> {
    const newPersons = assignments.filter((assignment) => assignment.personId === null).length;
    const created = newPersons
      ? (await db.query<{ id: string }>('INSERT INTO persons (owner_id) SELECT $1 FROM generate_series(1, $2) RETURNING id', [ownerId, newPersons])).rows
      : [];
    let nextCreated = 0;
    const personIds = assignments.map((assignment) => assignment.personId ?? created[nextCreated++].id);
    const faceIds = assignments.flatMap((assignment) => assignment.faceIds);
    const targetPersons = assignments.flatMap((assignment, i) => assignment.faceIds.map(() => personIds[i]));
    // One statement for the whole result, writing only the faces whose person or pending
    // mark changes (a re-run of an unchanged library writes nothing). Arrays are joined as
    // tables: "id = ANY(array)" would compare every face with every array element.
    await db.query(
      `WITH target AS (
         SELECT t.face_id, t.person_id FROM unnest($2::uuid[], $3::uuid[]) AS t(face_id, person_id)
         WHERE NOT EXISTS (SELECT 1 FROM face_person_exclusions e WHERE e.face_id = t.face_id AND e.person_id = t.person_id)
       ), in_scope AS (
         SELECT f.id, f.person_id, f.assigned_by, f.cluster_pending FROM faces f
         WHERE f.owner_id = $1 AND ($4::uuid[] IS NULL OR f.id IN (SELECT unnest($4::uuid[])))
       ), planned AS (
         SELECT s.id,
                CASE WHEN s.assigned_by = 'cluster' THEN t.person_id ELSE s.person_id END AS person_id,
                CASE WHEN (t.person_id IS NOT NULL AND s.assigned_by = 'cluster') OR $4::uuid[] IS NOT NULL THEN false
                     ELSE s.cluster_pending END AS cluster_pending
         FROM in_scope s LEFT JOIN target t ON t.face_id = s.id
       )
       UPDATE faces f SET person_id = p.person_id, cluster_pending = p.cluster_pending
       FROM planned p
       WHERE f.id = p.id AND (f.person_id IS DISTINCT FROM p.person_id OR f.cluster_pending <> p.cluster_pending)`,
      [ownerId, faceIds, targetPersons, scope ?? null],
    );
    return personIds;
  }

  /**
   * Incremental assignment between runs: places unassigned faces with persons, unless in the
   * meantime the face was placed, the person went, the user removed the face from that
   * person, or the person got another face of the same photo.
   */
  async assignByCluster(db: Queryable, ownerId: string, placements: Array<{ faceId: string; personId: string }>): Promise<number> {
    if (placements.length === 0) return 0;
    const result = await db.query(
      `UPDATE faces f SET person_id = a.person_id, assigned_by = 'cluster', cluster_pending = false
       FROM unnest($2::uuid[], $3::uuid[]) AS a(face_id, person_id)
       WHERE f.owner_id = $1 AND f.id = a.face_id AND f.person_id IS NULL AND f.kind = 'face'
         AND EXISTS (SELECT 1 FROM persons p WHERE p.id = a.person_id AND p.owner_id = $1)
         AND NOT EXISTS (SELECT 1 FROM face_person_exclusions e WHERE e.face_id = f.id AND e.person_id = a.person_id)
         AND NOT EXISTS (SELECT 1 FROM faces o WHERE o.person_id = a.person_id AND o.photo_id = f.photo_id AND o.id <> f.id)`,
      [ownerId, placements.map((p) => p.faceId), placements.map((p) => p.personId)],
    );
    return result.rowCount ?? 0;
  }

}
