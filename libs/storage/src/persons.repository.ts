import { OwnerScoped } from './database';
import type { FaceKind } from './faces.repository';

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

/** A person's own row, without counts: what clustering reads, and a merge snapshot keeps to restore it. */
export interface PersonRow {
  id: string;
  name: string | null;
  hidden: boolean;
  /** The user's chosen cover face, if any. */
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

/** One person of a clustering result: an existing id to keep, or null for a new person. */
export interface PersonAssignment {
  personId: string | null;
  faceIds: string[];
}

export interface ExportedFace {
  faceId: string;
  photoId: string;
  /** The name (or, from the import CLI, the relative path) the photo was uploaded under. */
  photoName: string | null;
  photoSha256: string;
  box: { x: number; y: number; width: number; height: number };
  kind: FaceKind;
  quality: number;
  assignedBy: 'cluster' | 'user';
}

export interface ExportedPerson {
  personId: string;
  name: string | null;
  hidden: boolean;
  faces: ExportedFace[];
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

/** `%` and `_` in a user's search are literal characters, not patterns. */
const escapeLike = (text: string) => text.replace(/[\\%_]/g, (char) => `\\${char}`);

const filterSql: Record<PersonFilter, string> = {
  visible: 'NOT p.hidden',
  hidden: 'p.hidden',
  named: 'NOT p.hidden AND p.name IS NOT NULL',
  unnamed: 'NOT p.hidden AND p.name IS NULL',
  all: 'true',
};

/** The owner's persons that `where` picks ($1 is the owner), with counts and covers; `page` orders and limits them. */
const recordsSql = (where: string, page = '', order = '') => `WITH page AS (
    SELECT ${personColumns}, p.cover_face_id AS chosen_cover FROM persons p
    WHERE p.owner_id = $1 AND ${where} ${page}
  )
  SELECT page.*, cover.cover_face_id FROM page ${coverLateral} ${order}`;

interface PersonTableRow {
  id: string;
  name: string | null;
  hidden: boolean;
  cover_face_id: string | null;
  created_at: string;
  updated_at: string;
}

const toPersonRow = (row: PersonTableRow): PersonRow => ({
  id: row.id,
  name: row.name,
  hidden: row.hidden,
  coverFaceId: row.cover_face_id,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

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

/** The persons table with what hangs on it ("not this person" exclusions, merge records), bound to one owner. */
export class PersonRepository extends OwnerScoped {
  /**
   * One page of the owner's persons, read in index order (persons_owner_faces_idx,
   * persons_owner_name_idx); cursors compare row values in the page's sort order, so a page
   * costs the same wherever it is, however large the library.
   */
  async list(query: PersonListQuery): Promise<PersonRecord[]> {
    const params: unknown[] = [this.ownerId];
    const where = [filterSql[query.filter]];
    if (query.search) {
      params.push(`%${escapeLike(query.search)}%`);
      where.push(`p.name ILIKE $${params.length}`);
    }
    const order = (p: string) =>
      query.sort === 'faces' ? `-${p}.face_count, ${p}.id` : `${p}.name IS NULL, lower(coalesce(${p}.name, '')), ${p}.id`;
    if (query.sort === 'faces' && query.after?.sort === 'faces') {
      params.push(-query.after.faceCount, query.after.id);
      where.push(`(-p.face_count, p.id) > ($${params.length - 1}::integer, $${params.length}::uuid)`);
    } else if (query.sort === 'name' && query.after?.sort === 'name') {
      params.push(query.after.unnamed, query.after.name, query.after.id);
      const n = params.length;
      where.push(`(p.name IS NULL, lower(coalesce(p.name, '')), p.id) > ($${n - 2}::boolean, $${n - 1}::text, $${n}::uuid)`);
    }
    params.push(query.limit);
    const result = await this.db.query<PersonViewRow>(
      recordsSql(where.join(' AND '), `ORDER BY ${order('p')} LIMIT $${params.length}`, `ORDER BY ${order('page')}`),
      params,
    );
    return result.rows.map(toPersonRecord);
  }

  async find(personId: string): Promise<PersonRecord | undefined> {
    const result = await this.db.query<PersonViewRow>(recordsSql('p.id = $2'), [this.ownerId, personId]);
    return result.rows[0] && toPersonRecord(result.rows[0]);
  }

  /** Several persons by id, in the order asked; ids of other owners or unknown ids are left out. */
  async findMany(personIds: string[]): Promise<PersonRecord[]> {
    if (!personIds.length) return [];
    const result = await this.db.query<PersonViewRow>(recordsSql('p.id = ANY($2::uuid[])'), [this.ownerId, personIds]);
    const byId = new Map(result.rows.map((row) => [row.id, toPersonRecord(row)]));
    return personIds.flatMap((id) => byId.get(id) ?? []);
  }

  /** The owner's persons as stored, in id order (clustering input). */
  async listRows(): Promise<PersonRow[]> {
    return this.selectRows(undefined, '');
  }

  /**
   * Locks the owner's persons (the given ones, or all) until the transaction ends and returns
   * their rows: in id order, so concurrent merges and clustering runs cannot deadlock.
   */
  async lock(personIds?: string[]): Promise<PersonRow[]> {
    return this.selectRows(personIds, 'FOR UPDATE');
  }

  private async selectRows(personIds: string[] | undefined, lock: string): Promise<PersonRow[]> {
    const result = await this.db.query<PersonTableRow>(
      `SELECT id, name, hidden, cover_face_id, created_at::text AS created_at, updated_at::text AS updated_at
       FROM persons WHERE owner_id = $1 AND ($2::uuid[] IS NULL OR id = ANY($2::uuid[])) ORDER BY id ${lock}`,
      [this.ownerId, personIds ?? null],
    );
    return result.rows.map(toPersonRow);
  }

  async create(name: string | null): Promise<string> {
    const result = await this.db.query<{ id: string }>('INSERT INTO persons (owner_id, name) VALUES ($1, $2) RETURNING id', [
      this.ownerId,
      name,
    ]);
    return result.rows[0].id;
  }

  /** Puts a person back exactly as a snapshot had it, under its old id. */
  async restore(person: PersonRow): Promise<void> {
    await this.db.query(
      `INSERT INTO persons (id, owner_id, name, hidden, cover_face_id, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6::timestamptz, $7::timestamptz)`,
      [person.id, this.ownerId, person.name, person.hidden, person.coverFaceId, person.createdAt, person.updatedAt],
    );
  }

  /** Sets the given fields (undefined = unchanged). */
  async update(personId: string, changes: { name?: string | null; hidden?: boolean; coverFaceId?: string | null }): Promise<void> {
    const sets: string[] = [];
    const params: unknown[] = [this.ownerId, personId];
    const set = (column: string, value: unknown) => {
      params.push(value);
      sets.push(`${column} = $${params.length}`);
    };
    if (changes.name !== undefined) set('name', changes.name);
    if (changes.hidden !== undefined) set('hidden', changes.hidden);
    if (changes.coverFaceId !== undefined) set('cover_face_id', changes.coverFaceId);
    if (!sets.length) return;
    await this.db.query(`UPDATE persons SET ${sets.join(', ')}, updated_at = now() WHERE owner_id = $1 AND id = $2`, params);
  }

  async delete(personIds: string[]): Promise<void> {
    await this.db.query('DELETE FROM persons WHERE owner_id = $1 AND id = ANY($2::uuid[])', [this.ownerId, personIds]);
  }



  /**
   * Cosine similarity of each given face to the mean of the given persons' faces (kind
   * `face`), as the person rule compares faces of one photo; faces without one are left out.
   */
  async similarityToMeanOf(personIds: string[], faceIds: string[]): Promise<Map<string, number>> {
    if (!faceIds.length) return new Map();
    const result = await this.db.query<{ face_id: string; similarity: number }>(
      `WITH mean AS (
         SELECT avg(e.embedding) AS mean FROM faces f JOIN face_embeddings e ON e.face_id = f.id
         WHERE f.owner_id = $1 AND f.person_id = ANY($2::uuid[]) AND f.kind = 'face')
       SELECT e.face_id, (1 - (e.embedding <=> mean.mean))::float8 AS similarity
       FROM face_embeddings e CROSS JOIN mean WHERE e.owner_id = $1 AND e.face_id = ANY($3::uuid[]) AND mean.mean IS NOT NULL`,
      [this.ownerId, personIds, faceIds],
    );
    return new Map(result.rows.map((row) => [row.face_id, Number(row.similarity)]));
  }

  /** Records "this face is not this person": the clusterer never puts it back there. */
  async addExclusion(faceId: string, personId: string): Promise<void> {
    await this.db.query(
      `INSERT INTO face_person_exclusions (face_id, person_id, owner_id) VALUES ($1, $2, $3)
       ON CONFLICT (face_id, person_id) DO NOTHING`,
      [faceId, personId, this.ownerId],
    );
  }

  /**
   * "Not this person" decisions of the owner (about the given faces or persons, or all): face
   * id → the person ids it must never join, in face id order.
   */
  async listExclusions(about: { faceIds?: string[]; personIds?: string[] } = {}): Promise<Map<string, Set<string>>> {
    const result = await this.db.query<{ face_id: string; person_ids: string[] }>(
      `SELECT face_id, array_agg(person_id ORDER BY person_id) AS person_ids FROM face_person_exclusions
       WHERE owner_id = $1 AND ($2::uuid[] IS NULL OR face_id = ANY($2::uuid[]))
         AND ($3::uuid[] IS NULL OR person_id = ANY($3::uuid[]))
       GROUP BY face_id ORDER BY face_id`,
      [this.ownerId, about.faceIds ?? null, about.personIds ?? null],
    );
    return new Map(result.rows.map((row) => [row.face_id, new Set(row.person_ids)]));
  }

  /** Removes exclusions of these faces from this person; returns the face ids that had one. */
  async removeExclusions(personId: string, faceIds: string[]): Promise<string[]> {
    if (!faceIds.length) return [];
    const result = await this.db.query<{ face_id: string }>(
      `DELETE FROM face_person_exclusions WHERE owner_id = $1 AND person_id = $2 AND face_id = ANY($3::uuid[])
       RETURNING face_id`,
      [this.ownerId, personId, faceIds],
    );
    return result.rows.map((row) => row.face_id);
  }

  /** Re-adds exclusions for the faces that still exist and are not in that person now. */
  async restoreExclusions(personId: string, faceIds: string[]): Promise<void> {
    if (!faceIds.length) return;
    await this.db.query(
      `INSERT INTO face_person_exclusions (face_id, person_id, owner_id)
       SELECT f.id, $2, $1 FROM faces f
       WHERE f.owner_id = $1 AND f.id = ANY($3::uuid[]) AND f.person_id IS DISTINCT FROM $2
       ON CONFLICT (face_id, person_id) DO NOTHING`,
      [this.ownerId, personId, faceIds],
    );
  }

  /**
   * Persons whose faces are closest to this person's: cosine similarity of the persons'
   * centroids (mean embedding), computed in one pass over the owner's assigned faces only,
   * so no other user's face is ever compared. Hidden persons are left out.
   */
  async similar(personId: string, limit: number): Promise<Array<{ personId: string; similarity: number }>> {
    const result = await this.db.query<{ person_id: string; similarity: number }>(
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
      [this.ownerId, personId, limit],
    );
    return result.rows.map((row) => ({ personId: row.person_id, similarity: Number(row.similarity) }));
  }

  async insertMerge(targetPersonId: string, mergedPersons: unknown): Promise<PersonMergeRecord> {
    const result = await this.db.query<MergeRow>(
      `INSERT INTO person_merges (owner_id, target_person_id, merged_persons) VALUES ($1, $2, $3::jsonb)
       RETURNING id, target_person_id, merged_persons, created_at, undone_at`,
      [this.ownerId, targetPersonId, JSON.stringify(mergedPersons)],
    );
    return toMerge(result.rows[0]);
  }

  async lockMerge(mergeId: string): Promise<PersonMergeRecord | undefined> {
    const result = await this.db.query<MergeRow>(
      `SELECT id, target_person_id, merged_persons, created_at, undone_at
       FROM person_merges WHERE owner_id = $1 AND id = $2 FOR UPDATE`,
      [this.ownerId, mergeId],
    );
    return result.rows[0] && toMerge(result.rows[0]);
  }

  /** Whether a later merge into the same person is still in effect. */
  async hasLaterMerge(merge: PersonMergeRecord): Promise<boolean> {
    const result = await this.db.query(
      `SELECT 1 FROM person_merges
       WHERE owner_id = $1 AND target_person_id = $2 AND undone_at IS NULL
         AND created_at > (SELECT created_at FROM person_merges WHERE id = $3) LIMIT 1`,
      [this.ownerId, merge.targetPersonId, merge.id],
    );
    return result.rows.length > 0;
  }

  async markMergeUndone(mergeId: string): Promise<void> {
    await this.db.query('UPDATE person_merges SET undone_at = now() WHERE owner_id = $1 AND id = $2', [this.ownerId, mergeId]);
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
  async applyAssignments(assignments: PersonAssignment[], scope?: string[]): Promise<string[]> {
    const newPersons = assignments.filter((assignment) => assignment.personId === null).length;
    const created = newPersons
      ? (
          await this.db.query<{ id: string }>('INSERT INTO persons (owner_id) SELECT $1 FROM generate_series(1, $2) RETURNING id', [
            this.ownerId,
            newPersons,
          ])
        ).rows
      : [];
    let nextCreated = 0;
    const personIds = assignments.map((assignment) => assignment.personId ?? created[nextCreated++].id);
    const faceIds = assignments.flatMap((assignment) => assignment.faceIds);
    const targetPersons = assignments.flatMap((assignment, i) => assignment.faceIds.map(() => personIds[i]));
    // One statement for the whole result, writing only the faces whose person or pending
    // mark changes (a re-run of an unchanged library writes nothing). Arrays are joined as
    // tables: "id = ANY(array)" would compare every face with every array element.
    await this.db.query(
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
      [this.ownerId, faceIds, targetPersons, scope ?? null],
    );
    return personIds;
  }

  /** The owner's persons, largest first, each with its faces and the photos they are on. */
  async export(): Promise<ExportedPerson[]> {
    const result = await this.db.query<{
      person_id: string;
      name: string | null;
      hidden: boolean;
      face_id: string;
      photo_id: string;
      original_name: string | null;
      sha256: string;
      box_x: number;
      box_y: number;
      box_width: number;
      box_height: number;
      kind: FaceKind;
      quality: number;
      assigned_by: 'cluster' | 'user';
    }>(
      `SELECT p.id AS person_id, p.name, p.hidden, f.id AS face_id, f.photo_id, ph.original_name, ph.sha256,
              f.box_x, f.box_y, f.box_width, f.box_height, f.kind, f.quality, f.assigned_by
       FROM persons p
       JOIN faces f ON f.person_id = p.id
       JOIN photos ph ON ph.id = f.photo_id
       WHERE p.owner_id = $1
       ORDER BY count(*) OVER (PARTITION BY p.id) DESC, p.created_at, p.id, ph.original_name, f.face_index`,
      [this.ownerId],
    );
    const persons = new Map<string, ExportedPerson>();
    for (const row of result.rows) {
      let person = persons.get(row.person_id);
      if (!person) {
        person = { personId: row.person_id, name: row.name, hidden: row.hidden, faces: [] };
        persons.set(row.person_id, person);
      }
      person.faces.push({
        faceId: row.face_id,
        photoId: row.photo_id,
        photoName: row.original_name,
        photoSha256: row.sha256,
        box: { x: row.box_x, y: row.box_y, width: row.box_width, height: row.box_height },
        kind: row.kind,
        quality: row.quality,
        assignedBy: row.assigned_by,
      });
    }
    return [...persons.values()];
  }
}
