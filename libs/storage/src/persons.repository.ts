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
   * created, faces placed by clustering that are in no group become unassigned, covers that
   * left their person are cleared and persons left without faces are removed. Only faces
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
    await db.query(
      `UPDATE faces SET person_id = NULL WHERE owner_id = $1 AND person_id IS NOT NULL AND assigned_by = 'cluster'
         AND ($2::uuid[] IS NULL OR id = ANY($2::uuid[]))`,
      [ownerId, scope ?? null],
    );
    const personIds: string[] = [];
    for (const assignment of assignments) {
      let personId = assignment.personId;
      if (personId === null) {
        const created = await db.query<{ id: string }>('INSERT INTO persons (owner_id) VALUES ($1) RETURNING id', [ownerId]);
        personId = created.rows[0].id;
      }
      await db.query(
        `UPDATE faces f SET person_id = $1, cluster_pending = false
         WHERE f.owner_id = $2 AND f.id = ANY($3::uuid[]) AND f.assigned_by = 'cluster'
           AND NOT EXISTS (SELECT 1 FROM face_person_exclusions e WHERE e.face_id = f.id AND e.person_id = $1)`,
        [personId, ownerId, assignment.faceIds],
      );
      personIds.push(personId);
    }
    if (scope) await db.query('UPDATE faces SET cluster_pending = false WHERE owner_id = $1 AND id = ANY($2::uuid[])', [ownerId, scope]);
    await db.query(
      `UPDATE persons p SET cover_face_id = NULL
       WHERE p.owner_id = $1 AND p.cover_face_id IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM faces f WHERE f.id = p.cover_face_id AND f.person_id = p.id)`,
      [ownerId],
    );
    await this.removeEmpty(db, ownerId);
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

  /** Removes the owner's persons that no longer have any face (e.g. after a photo was deleted). */
  async removeEmpty(db: Queryable, ownerId: string): Promise<void> {
    await db.query(
      `DELETE FROM persons p WHERE p.owner_id = $1 AND NOT EXISTS (SELECT 1 FROM faces f WHERE f.person_id = p.id)`,
      [ownerId],
    );
  }
}
