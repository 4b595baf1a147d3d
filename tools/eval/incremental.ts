/**
 * Incremental assignment against full runs, on a labelled library: photos arrive in a seeded
 * random upload order, in batches as the clusterer's poll finds them; each batch's new faces
 * go through the incremental rule (joinByAverageLinkage, as IncrementalAssignmentService.assignPending
 * applies it: the persons of a face's nearest assigned faces, never one already on its photo),
 * and a full run (groupPersons, with the persons so far) follows whenever the schedule's rule
 * (CLUSTER_RUN_MIN_NEW_FACES and CLUSTER_RUN_MIN_NEW_FRACTION) says so. At the end a final full
 * run is made: the share of faces whose person it changes is how far the persons users saw
 * between runs were from what a run makes of the same library.
 */
import {
  groupPersons,
  joinByAverageLinkage,
  linkageThresholdFor,
  seededRandom,
  type PersonCandidate,
  type PersonGroupingSettings,
  type RunFace,
  type RunPerson,
} from '@facecloud/clustering';
import { configSchema } from '@facecloud/config';
import { defaultGroupingSettings, partitionScores, type LibraryFace, type LibraryScores } from './library-clustering';

export interface IncrementalReport {
  photos: number;
  faces: number;
  /** Photos per batch of new faces (about one poll interval of ingest). */
  batchPhotos: number;
  fullRuns: number;
  /** Faces incremental assignment put in a person. */
  assignedBetweenRuns: number;
  /** Faces whose person the final full run changed (joined, left or moved), of all faces. */
  changedByFinalRun: number;
  changedShare: number;
  /** The persons as users saw them just before the final run, and after it. */
  beforeFinalRun: LibraryScores;
  afterFinalRun: LibraryScores;
}

/** About two seconds of ingest at 20 photos/s: what one incremental pass finds waiting. */
export const DEFAULT_BATCH_PHOTOS = 40;

export async function simulateIncremental(
  faces: readonly LibraryFace[],
  seed: number,
  batchPhotos = DEFAULT_BATCH_PHOTOS,
): Promise<IncrementalReport> {
  const config = configSchema.parse({});
  const settings: PersonGroupingSettings = defaultGroupingSettings('average-linkage');
  const photos = [...new Set(faces.map((face) => face.photo.path))];
  const random = seededRandom(seed);
  for (let i = photos.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [photos[i], photos[j]] = [photos[j], photos[i]];
  }
  const facesOfPhoto = new Map<string, number[]>();
  faces.forEach((face, i) => facesOfPhoto.set(face.photo.path, [...(facesOfPhoto.get(face.photo.path) ?? []), i]));

  const personOf = new Map<number, string>();
  const arrived: number[] = [];
  let persons: RunPerson[] = [];
  let nextPersonId = 0;
  let facesAtLastRun = 0;
  let fullRuns = 0;
  let assignedBetweenRuns = 0;

  const fullRun = async () => {
    const runFaces: RunFace[] = arrived.map((i) => ({
      id: String(i),
      photoId: faces[i].photo.path,
      personId: personOf.get(i) ?? null,
      assignedBy: 'cluster',
      quality: faces[i].face.quality,
      embedding: faces[i].face.embedding,
    }));
    const { resolved } = await groupPersons({ faces: runFaces, persons, exclusions: new Map() }, settings);
    personOf.clear();
    persons = resolved.assignments.map((assignment) => {
      const id = assignment.personId ?? `p${nextPersonId++}`;
      for (const faceId of assignment.faceIds) personOf.set(Number(faceId), id);
      return { id, name: null, hidden: false, coverFaceId: null };
    });
    facesAtLastRun = arrived.length;
    fullRuns++;
  };

  for (let start = 0; start < photos.length; start += batchPhotos) {
    const batch = photos.slice(start, start + batchPhotos).flatMap((photo) => facesOfPhoto.get(photo) ?? []);
    arrived.push(...batch);
    assignedBetweenRuns += assignPending(faces, batch, arrived, personOf, config.CLUSTER_ASSIGN_NEIGHBOURS);
    const newFaces = arrived.length - facesAtLastRun;
    if (newFaces >= config.CLUSTER_RUN_MIN_NEW_FACES && newFaces >= config.CLUSTER_RUN_MIN_NEW_FRACTION * facesAtLastRun) await fullRun();
  }

  const before = new Map(personOf);
  const beforeGroups = groupsOf(before);
  await fullRun();
  let changed = 0;
  for (const i of arrived) if ((before.get(i) ?? null) !== (personOf.get(i) ?? null)) changed++;
  const scores = (groups: number[][], library: string): LibraryScores => ({
    library,
    ...partitionScores(faces, groups),
    algorithm: settings.algorithm,
    threshold: linkageThresholdFor(faces.length),
    seconds: 0,
  });
  return {
    photos: photos.length,
    faces: faces.length,
    batchPhotos,
    fullRuns,
    assignedBetweenRuns,
    changedByFinalRun: changed,
    changedShare: faces.length ? Math.round((changed / faces.length) * 10_000) / 10_000 : 0,
    beforeFinalRun: scores(beforeGroups, 'full, before the final run'),
    afterFinalRun: scores(groupsOf(personOf), 'full, after the final run'),
  };
}

/**
 * One incremental pass over a batch, as assignPending does it: each new face's 3 × neighbours
 * nearest assigned faces name the candidate persons; the face's mean similarity to each (over
 * all its faces) and its similarities to that person's faces among the nearest go to
 * joinByAverageLinkage at the threshold for the library's size.
 */
function assignPending(
  faces: readonly LibraryFace[],
  batch: readonly number[],
  arrived: readonly number[],
  personOf: Map<number, string>,
  neighbours: number,
): number {
  const members = new Map<string, number[]>();
  for (const [face, person] of personOf) members.set(person, [...(members.get(person) ?? []), face]);
  if (members.size === 0) return 0;
  const dimension = faces[0].face.embedding.length;
  const sums = new Map<string, Float64Array>();
  for (const [person, list] of members) {
    const sum = new Float64Array(dimension);
    for (const face of list) faces[face].face.embedding.forEach((value, d) => (sum[d] += value));
    sums.set(person, sum);
  }
  const threshold = linkageThresholdFor(arrived.length);
  const assignedFaces = [...personOf.keys()];
  const onPhoto = new Map<string, Set<string>>();
  for (const [face, person] of personOf) {
    const set = onPhoto.get(faces[face].photo.path) ?? new Set<string>();
    set.add(person);
    onPhoto.set(faces[face].photo.path, set);
  }
  const placements: Array<[number, string]> = [];
  for (const face of batch) {
    const embedding = faces[face].face.embedding;
    const nearest = assignedFaces
      .map((other) => ({ personId: personOf.get(other)!, similarity: dot(embedding, faces[other].face.embedding) }))
      .sort((a, b) => b.similarity - a.similarity)
      .slice(0, neighbours * 3);
    const candidates: PersonCandidate[] = [...new Set(nearest.map((n) => n.personId))].map((personId) => ({
      personId,
      meanSimilarity: dot(embedding, sums.get(personId)!) / members.get(personId)!.length,
      faceCount: members.get(personId)!.length,
      nearest: nearest.filter((n) => n.personId === personId).map((n) => n.similarity),
    }));
    const photo = faces[face].photo.path;
    const personsOfPhoto = onPhoto.get(photo) ?? new Set<string>();
    const personId = joinByAverageLinkage(candidates, threshold, neighbours, (candidate) => !personsOfPhoto.has(candidate));
    if (personId === null) continue;
    placements.push([face, personId]);
    personsOfPhoto.add(personId);
    onPhoto.set(photo, personsOfPhoto);
  }
  for (const [face, personId] of placements) personOf.set(face, personId);
  return placements.length;
}

function groupsOf(personOf: ReadonlyMap<number, string>): number[][] {
  const groups = new Map<string, number[]>();
  for (const [face, person] of personOf) groups.set(person, [...(groups.get(person) ?? []), face]);
  return [...groups.values()];
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}
