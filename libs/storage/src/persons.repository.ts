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

  /**
   * Writes a clustering result: kept persons keep their ids (and names), new ones are
   * created, faces not in any group become unassigned and persons left without faces are
   * removed. Call inside a transaction so readers see the old state or the new, never a mix.
   */
  async applyAssignments(db: Queryable, ownerId: string, assignments: PersonAssignment[]): Promise<string[]> {
    await db.query('UPDATE faces SET person_id = NULL WHERE owner_id = $1 AND person_id IS NOT NULL', [ownerId]);
    const personIds: string[] = [];
    for (const assignment of assignments) {
      let personId = assignment.personId;
      if (personId === null) {
        const created = await db.query<{ id: string }>('INSERT INTO persons (owner_id) VALUES ($1) RETURNING id', [ownerId]);
        personId = created.rows[0].id;
      }
      await db.query('UPDATE faces SET person_id = $1 WHERE owner_id = $2 AND id = ANY($3::uuid[])', [
        personId,
        ownerId,
        assignment.faceIds,
      ]);
      personIds.push(personId);
    }
    await this.removeEmpty(db, ownerId);
    return personIds;
  }

  /** Removes the owner's persons that no longer have any face (e.g. after a photo was deleted). */
  async removeEmpty(db: Queryable, ownerId: string): Promise<void> {
    await db.query(
      `DELETE FROM persons p WHERE p.owner_id = $1 AND NOT EXISTS (SELECT 1 FROM faces f WHERE f.person_id = p.id)`,
      [ownerId],
    );
  }
}
