/**
 * The rule every writer of persons keeps (a clustering run, incremental assignment between
 * runs, a merge and its undo): two faces of one photo are two different people, so a person
 * holds at most one face per photo. Where two faces of one photo meet in one person, which
 * one stays is decided here and nowhere else, so a run and a merge never disagree about it.
 * (The other person rules live in the database: a person's cover face and the removal of
 * persons left without faces, see migration 0010.)
 */

/** A face that claims a person's place on its photo. */
export interface PhotoSlotClaim {
  id: string;
  photoId: string;
  /** 0..1, how good a picture of the person the face is (vision pipeline). */
  quality: number;
  /**
   * The face keeps its place whatever the others: the user put it in this person (placed
   * it, chose it as the cover, or curated the person holding it), or it already holds the
   * place and this writer never moves placed faces (incremental assignment, undo).
   */
  pinned?: boolean;
}

/**
 * The order in which faces of one photo claim a person's place; the first stays.
 *
 * 1. Pinned faces: a user decision is never overridden.
 * 2. Higher quality. It is a property of the face alone, so every writer, whenever it runs
 *    and whatever else the person holds at that time, reaches the same answer; it is the
 *    order a person's faces are shown in and its cover is picked by, so the face that stays
 *    is the one the user sees first; and the embedding of a poor picture (blurred, small,
 *    turned away) is the weaker evidence of who it is.
 * 3. Higher cosine similarity to the mean of the person's faces: between pictures of equal
 *    quality (or unknown quality, as in synthetic libraries) the face more like the
 *    person's other faces is more likely that person.
 * 4. Smaller face id: arbitrary, but it makes the order total, so the result never depends
 *    on the order faces were read in.
 *
 * `similarity` is asked only for faces of equal quality (it may be costly: a mean embedding).
 */
export function photoSlotOrder<T extends PhotoSlotClaim>(similarity: (face: T) => number = () => 0): (a: T, b: T) => number {
  return (a, b) =>
    Number(b.pinned ?? false) - Number(a.pinned ?? false) ||
    b.quality - a.quality ||
    similarity(b) - similarity(a) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * One person's faces with at most one per photo: of each photo's faces the first in
 * photoSlotOrder stays (`kept`, in input order), the others are `dropped` (they wait, or
 * look for their next-best person).
 */
export function keepOneFacePerPhoto<T extends PhotoSlotClaim>(
  faces: Iterable<T>,
  similarity?: (face: T) => number,
): { kept: T[]; dropped: T[] } {
  const all = [...faces];
  const byPhoto = new Map<string, T[]>();
  for (const face of all) {
    const list = byPhoto.get(face.photoId);
    if (list) list.push(face);
    else byPhoto.set(face.photoId, [face]);
  }
  const dropped = new Set<T>();
  const order = photoSlotOrder(similarity);
  for (const list of byPhoto.values()) {
    if (list.length < 2) continue;
    const [, ...losers] = [...list].sort(order);
    for (const face of losers) dropped.add(face);
  }
  return { kept: all.filter((face) => !dropped.has(face)), dropped: all.filter((face) => dropped.has(face)) };
}

/** A face of a group being grouped into a person (clustering): embedding a unit vector. */
export interface GroupedFace {
  /** Unknown: the face's index stands in (ties are then broken by input order). */
  id?: string;
  photoId: string;
  /** Unknown: 0 for all, so similarity decides. */
  quality?: number;
  embedding: Float32Array;
}

/**
 * keepOneFacePerPhoto for a group of faces (indices into `faces`) that is to be one person;
 * the group's mean embedding is computed only if two faces of equal quality meet.
 */
export function keepOneFacePerPhotoOfGroup(
  faces: readonly GroupedFace[],
  group: Iterable<number>,
  pinned: (index: number) => boolean = () => false,
): { kept: number[]; dropped: number[] } {
  const indices = [...group];
  let sum: Float32Array | undefined;
  const similarity = (index: number) => {
    if (!sum) {
      sum = new Float32Array(faces[index].embedding.length);
      for (const i of indices) faces[i].embedding.forEach((value, d) => (sum![d] += value));
    }
    return similarityToMean(faces[index].embedding, sum);
  };
  const claims = indices.map((index) => ({
    index,
    id: faces[index].id ?? String(index).padStart(10, '0'),
    photoId: faces[index].photoId,
    quality: faces[index].quality ?? 0,
    pinned: pinned(index),
  }));
  const { kept, dropped } = keepOneFacePerPhoto(claims, (claim) => similarity(claim.index));
  return { kept: kept.map((claim) => claim.index), dropped: dropped.map((claim) => claim.index) };
}

/** Cosine similarity of unit vector `face` to the mean direction of `sum` (a sum of unit vectors). */
export function similarityToMean(face: Float32Array, sum: Float32Array): number {
  let dot = 0;
  let norm = 0;
  for (let i = 0; i < face.length; i++) {
    dot += face[i] * sum[i];
    norm += sum[i] * sum[i];
  }
  return norm > 0 ? dot / Math.sqrt(norm) : 0;
}

/**
 * Where each face goes when several new faces may join persons at once (incremental
 * assignment), keeping one face per person per photo: each face asks `choose` for its best
 * person among those allowed to it; where faces of one photo want the same person, the first
 * in photoSlotOrder holds it and the other chooses again without that person (deferred
 * acceptance, so the result does not depend on the order of `faces`). Persons already holding
 * a face of the photo (`taken`) are never offered: placed faces keep their place. Returns
 * face id → person id for the faces that found one.
 */
export function placeOnePerPhoto<T extends PhotoSlotClaim>(
  faces: readonly T[],
  choose: (face: T, allowed: (personId: string) => boolean) => string | null,
  options: {
    taken: (photoId: string, personId: string) => boolean;
    /** The face's similarity to the person's mean, for faces of equal quality. */
    similarity?: (face: T, personId: string) => number;
  },
): Map<string, string> {
  const refused = new Map<T, Set<string>>();
  const holder = new Map<string, T>();
  const personOf = new Map<T, string>();
  const free = [...faces].reverse();
  for (let face = free.pop(); face !== undefined; face = free.pop()) {
    const no = refused.get(face);
    const claimant = face;
    const personId = choose(face, (candidate) => !options.taken(claimant.photoId, candidate) && !no?.has(candidate));
    if (personId === null) continue;
    const slot = `${face.photoId}\u0000${personId}`;
    const current = holder.get(slot);
    let loser: T | undefined;
    if (!current) holder.set(slot, face);
    else if (photoSlotOrder<T>(options.similarity && ((f) => options.similarity!(f, personId)))(face, current) < 0) {
      holder.set(slot, face);
      loser = current;
    } else loser = face;
    personOf.set(holder.get(slot)!, personId);
    if (loser) {
      personOf.delete(loser);
      refused.set(loser, (refused.get(loser) ?? new Set<string>()).add(personId));
      free.push(loser);
    }
  }
  return new Map([...personOf].map(([face, personId]) => [face.id, personId]));
}
