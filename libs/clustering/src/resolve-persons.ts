import { voteForPerson, type Neighbour, type VoteRule } from './neighbour-vote';
import { matchClustersToPersons, type PersonAssignment } from './person-matching';
import { keepOneFacePerPhotoOfGroup } from './person-rules';

/** A face as a clustering run sees it. */
export interface RunFace {
  id: string;
  photoId: string;
  personId: string | null;
  /** 'user': the user placed or confirmed the face with its person; clustering keeps it there. */
  assignedBy: 'cluster' | 'user';
  /** 0..1 (see PhotoSlotClaim); unknown: leave out, and faces of a photo are told apart by similarity. */
  quality?: number;
  /** Unit vector. */
  embedding: Float32Array;
}

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
 * - a person holds at most one face per photo (keepOneFacePerPhoto; faces the user placed or
 *   that a curated person holds are pinned); the others go to their next-best person by
 *   neighbour vote, or wait.
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

  const losers = keepOneFacePerPersonAndPhoto(faces, members, anchoredTo);
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
 * Leaves each person at most one face per photo (the person rule, see photoSlotOrder); faces
 * anchored to the person (user decisions) are pinned. Returns the removed faces with the
 * person they lost.
 */
function keepOneFacePerPersonAndPhoto(
  faces: readonly RunFace[],
  members: Map<string, Set<number>>,
  anchoredTo: ReadonlyMap<number, string>,
): Array<{ face: number; lostAt: string }> {
  const losers: Array<{ face: number; lostAt: string }> = [];
  for (const [key, set] of members) {
    for (const index of keepOneFacePerPhotoOfGroup(faces, set, (face) => anchoredTo.get(face) === key).dropped) {
      set.delete(index);
      losers.push({ face: index, lostAt: key });
    }
  }
  return losers;
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
