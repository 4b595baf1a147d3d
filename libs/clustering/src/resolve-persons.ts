import type { FaceEmbedding, PersonAssignment } from '@facecloud/storage';
import { voteForPerson, type Neighbour, type VoteRule } from './neighbour-vote';
import { matchClustersToPersons } from './person-matching';

/** A face as a clustering run sees it: the stored row the run reads (embedding a unit vector). */
export type RunFace = FaceEmbedding;

export interface RunPerson {
  id: string;
  name: string | null;
  hidden: boolean;
  coverFaceId: string | null;
}

export interface ResolveOptions {
  minClusterSize: number;
  /** How a face that lost its place (one face per photo) finds its next-best person. */
  vote: VoteRule;
}

export interface ResolvedPersons {
  /** Every person of the result with all its faces; personId null = a new person. */
  assignments: PersonAssignment[];
  assignedFaceCount: number;
}

/**
 * Turns this run's clusters (indices into `faces`) into persons while honouring every user
 * decision:
 * - a face the user placed stays with its person;
 * - a person the user touched (named, hidden, given a cover face, holding a face the user
 *   placed or confirmed, as after a merge, or with a face removed from it) is curated: it keeps all its faces, so it can grow
 *   but never turns into someone else, and it never dissolves;
 * - a face never joins a person the user removed it from ("not this person");
 * - a person holds at most one face per photo: faces the user placed win, then the face most
 *   like the person; the others go to their next-best person by neighbour vote, or wait.
 * Clusters keep the id of the person they mostly were (see matchClustersToPersons); other
 * persons of the previous run that found no cluster and are not curated disappear.
 */
export function resolvePersons(
  faces: readonly RunFace[],
  persons: readonly RunPerson[],
  exclusions: ReadonlyMap<string, ReadonlySet<string>>,
  clusters: readonly number[][],
  options: ResolveOptions,
): ResolvedPersons {
  const existing = new Set(persons.map((person) => person.id));
  const excluded = (face: number, personKey: string) => exclusions.get(faces[face].id)?.has(personKey) ?? false;
  const curated = new Set(
    persons.filter((person) => person.name !== null || person.hidden || person.coverFaceId !== null).map((p) => p.id),
  );
  for (const face of faces) {
    if (face.assignedBy === 'user' && face.personId && existing.has(face.personId)) curated.add(face.personId);
  }
  for (const personIds of exclusions.values()) for (const personId of personIds) if (existing.has(personId)) curated.add(personId);
  const anchoredTo = new Map<number, string>();
  faces.forEach((face, index) => {
    if (face.personId && curated.has(face.personId) && !excluded(index, face.personId)) anchoredTo.set(index, face.personId);
  });

  const previousPersonOf = new Map(faces.map((face) => [face.id, face.personId && existing.has(face.personId) ? face.personId : null]));
  const matched = matchClustersToPersons(
    clusters.map((cluster) => cluster.map((index) => faces[index].id)),
    previousPersonOf,
  );

  // Person key: an existing id, or "new:<cluster>" for a person this run creates.
  const members = new Map<string, Set<number>>();
  const join = (key: string, face: number) => {
    let set = members.get(key);
    if (!set) members.set(key, (set = new Set()));
    set.add(face);
  };
  matched.forEach(({ personId }, cluster) => {
    const key = personId ?? `new:${cluster}`;
    for (const face of clusters[cluster]) {
      const anchor = anchoredTo.get(face);
      if ((anchor !== undefined && anchor !== key) || excluded(face, key)) continue;
      join(key, face);
    }
    if (personId === null && (members.get(key)?.size ?? 0) < options.minClusterSize) members.delete(key);
  });
  for (const [face, personId] of anchoredTo) join(personId, face);

  const losers = keepOneFacePerPhoto(faces, members, anchoredTo);
  placeByVote(faces, members, losers, excluded, options.vote);

  const assignments: PersonAssignment[] = [];
  let assignedFaceCount = 0;
  for (const [key, set] of members) {
    if (set.size === 0) continue;
    assignments.push({ personId: key.startsWith('new:') ? null : key, faceIds: [...set].map((face) => faces[face].id) });
    assignedFaceCount += set.size;
  }
  return { assignments, assignedFaceCount };
}

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}

/**
 * Leaves each person at most one face per photo. Faces anchored to the person (user
 * decisions) are never removed; otherwise the face closest to the person's mean stays.
 * Returns the removed faces with the person they lost.
 */
function keepOneFacePerPhoto(
  faces: readonly RunFace[],
  members: Map<string, Set<number>>,
  anchoredTo: ReadonlyMap<number, string>,
): Array<{ face: number; lostAt: string }> {
  const losers: Array<{ face: number; lostAt: string }> = [];
  for (const [key, set] of members) {
    const byPhoto = new Map<string, number[]>();
    for (const face of set) {
      const list = byPhoto.get(faces[face].photoId);
      if (list) list.push(face);
      else byPhoto.set(faces[face].photoId, [face]);
    }
    if ([...byPhoto.values()].every((list) => list.length === 1)) continue;
    const mean = new Float32Array(faces[0].embedding.length);
    for (const face of set) faces[face].embedding.forEach((value, i) => (mean[i] += value));
    for (const list of byPhoto.values()) {
      if (list.length === 1) continue;
      const anchored = list.filter((face) => anchoredTo.get(face) === key);
      const keep = anchored.length > 0 ? new Set(anchored) : new Set([maxBy(list, (face) => dot(faces[face].embedding, mean))]);
      for (const face of list) {
        if (keep.has(face)) continue;
        set.delete(face);
        losers.push({ face, lostAt: key });
      }
    }
  }
  return losers;
}

function maxBy<T>(items: readonly T[], score: (item: T) => number): T {
  let best = items[0];
  let bestScore = score(best);
  for (const item of items.slice(1)) {
    const value = score(item);
    if (value > bestScore) [best, bestScore] = [item, value];
  }
  return best;
}

/** Gives each face that lost its place the person its nearest assigned faces vote for, if any. */
function placeByVote(
  faces: readonly RunFace[],
  members: Map<string, Set<number>>,
  losers: ReadonlyArray<{ face: number; lostAt: string }>,
  excluded: (face: number, personKey: string) => boolean,
  rule: VoteRule,
): void {
  for (const { face, lostAt } of losers) {
    const nearest: Neighbour[] = [];
    for (const [key, set] of members) {
      for (const other of set) nearest.push({ personId: key, similarity: dot(faces[face].embedding, faces[other].embedding) });
    }
    nearest.sort((a, b) => b.similarity - a.similarity);
    const photoId = faces[face].photoId;
    const personKey = voteForPerson(
      nearest,
      rule,
      (key) =>
        key !== lostAt &&
        !excluded(face, key) &&
        ![...(members.get(key) ?? [])].some((other) => faces[other].photoId === photoId),
    );
    if (personKey !== null) members.get(personKey)!.add(face);
  }
}
