import type { Queryable } from './database';

export interface DeadLetter {
  photoId: string;
  ownerId: string;
  attempts: number;
  reason: string;
}

/** Jobs given up on, kept so an operator can see why and replay them. */
export class DeadLetterRepository {
  async add(db: Queryable, letter: DeadLetter): Promise<void> {
    await db.query('INSERT INTO ingest_dead_letters (photo_id, owner_id, attempts, reason) VALUES ($1, $2, $3, $4)', [
      letter.photoId,
      letter.ownerId,
      letter.attempts,
      letter.reason,
    ]);
  }

  async listForPhoto(db: Queryable, photoId: string): Promise<DeadLetter[]> {
    const result = await db.query<{ photo_id: string; owner_id: string; attempts: number; reason: string }>(
      'SELECT photo_id, owner_id, attempts, reason FROM ingest_dead_letters WHERE photo_id = $1 ORDER BY id',
      [photoId],
    );
    return result.rows.map((row) => ({ photoId: row.photo_id, ownerId: row.owner_id, attempts: row.attempts, reason: row.reason }));
  }

  async count(db: Queryable): Promise<number> {
    const result = await db.query<{ count: string }>('SELECT count(*) FROM ingest_dead_letters');
    return Number(result.rows[0].count);
  }
}
