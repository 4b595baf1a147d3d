/**
 * Persons of a labelled library as users get them, against the labels, at several library
 * sizes. The library is every face the pipeline kept as a face (kind `face`) on every photo,
 * labelled or not (the second face behind a news photo, group photos, what survived the trash
 * filter on noface/), run through groupPersons: the computation a clustering run of the
 * service makes between reading the owner's faces and writing persons, with the service's
 * default settings. Scores are over the labelled faces.
 */
import { groupPersons, personGroupingSettings, seededRandom, type PersonGroupingSettings, type RunFace } from '@facecloud/clustering';
import { configSchema } from '@facecloud/config';
import type { AnalyzedFace } from '@facecloud/vision';
import type { DatasetPhoto } from './dataset';
import { bcubedScores, pairwiseScores, type PrecisionRecall } from './metrics';

export interface LibraryFace {
  photo: DatasetPhoto;
  face: AnalyzedFace;
  /** The labelled person, for the labelled (centred, largest) face of people/ and blurry/ photos. */
  identity: string | null;
}

export interface LibraryScores {
  /** 'full' or the sub-library's target size in photos. */
  library: string;
  photos: number;
  faces: number;
  labelledFaces: number;
  identities: number;
  /** Identities with one labelled face: right only when alone. */
  strangers: number;
  algorithm: string;
  /** Average linkage: the cosine threshold the run chose for this library. */
  threshold: number | null;
  persons: number;
  pairwise: PrecisionRecall;
  bcubed: PrecisionRecall;
  /** Identities with ≥ 2 labelled faces spread over more than one person. */
  splitPeople: number;
  /** Strangers whose face is in a person with someone else's labelled face. */
  strangersPulledIn: number;
  strangersPulledInShare: number;
  /** Persons whose labelled faces are of more than one identity (of persons with a labelled face). */
  mixedPersons: number;
  mixedPersonsShare: number;
  /** Labelled faces of identities with ≥ 2 labelled faces that are in no person. */
  leftOut: number;
  leftOutShare: number;
  seconds: number;
}

/** Sub-libraries this near their target size in photos, built from whole identities. */
export const DEFAULT_SUB_LIBRARY_SEED = 20261207;

/** The settings the service runs with by default (CLUSTER_* unset), for both algorithms. */
export function defaultGroupingSettings(algorithm: PersonGroupingSettings['algorithm']): PersonGroupingSettings {
  return personGroupingSettings({ ...configSchema.parse({}), CLUSTER_ALGORITHM: algorithm });
}

/**
 * A random sub-library of about `targetPhotos` photos: whole identities of people/ (all their
 * photos, with every face on them) drawn in a seeded order until the target is reached.
 */
export function subLibrary(faces: readonly LibraryFace[], targetPhotos: number, seed: number): LibraryFace[] {
  const photosOf = new Map<string, Set<string>>();
  for (const { photo } of faces) {
    if (photo.kind !== 'people' || !photo.identity) continue;
    const set = photosOf.get(photo.identity) ?? new Set<string>();
    set.add(photo.path);
    photosOf.set(photo.identity, set);
  }
  const identities = [...photosOf.keys()].sort();
  const random = seededRandom(seed);
  for (let i = identities.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [identities[i], identities[j]] = [identities[j], identities[i]];
  }
  const keep = new Set<string>();
  for (const identity of identities) {
    if (keep.size >= targetPhotos) break;
    for (const path of photosOf.get(identity)!) keep.add(path);
  }
  return faces.filter((face) => keep.has(face.photo.path));
}

/** Runs the service's computation on the library and scores its persons against the labels. */
export async function scoreLibrary(
  library: string,
  faces: readonly LibraryFace[],
  settings: PersonGroupingSettings,
): Promise<{ scores: LibraryScores; persons: number[][] }> {
  const started = performance.now();
  const runFaces: RunFace[] = faces.map((item, i) => ({
    id: String(i),
    photoId: item.photo.path,
    personId: null,
    assignedBy: 'cluster',
    quality: item.face.quality,
    embedding: item.face.embedding,
  }));
  let persons: number[][] = [];
  let threshold: number | null = null;
  if (faces.length >= 2) {
    const { resolved, grouping } = await groupPersons({ faces: runFaces, persons: [], exclusions: new Map() }, settings);
    persons = resolved.assignments.map((assignment) => assignment.faceIds.map(Number));
    threshold = grouping.threshold ?? null;
  }
  const seconds = (performance.now() - started) / 1000;
  return { scores: { library, ...partitionScores(faces, persons), algorithm: settings.algorithm, threshold, seconds: round(seconds, 2) }, persons };
}

type PartitionPart = Omit<LibraryScores, 'library' | 'algorithm' | 'threshold' | 'seconds'>;

/** Scores over the labelled faces; faces in no person count as singletons. */
export function partitionScores(faces: readonly LibraryFace[], persons: readonly number[][]): PartitionPart {
  const personOf = new Int32Array(faces.length).fill(-1);
  persons.forEach((members, p) => members.forEach((i) => (personOf[i] = p)));
  const labelled = faces.flatMap((face, i) => (face.identity ? [i] : []));
  const identities = labelled.map((i) => faces[i].identity!);
  const count = new Map<string, number>();
  for (const identity of identities) count.set(identity, (count.get(identity) ?? 0) + 1);
  // Noise as singletons: each face in no person gets a label of its own.
  let next = persons.length;
  const predicted = Int32Array.from(labelled, (i) => (personOf[i] >= 0 ? personOf[i] : next++));

  const identitiesOfPerson = new Map<number, Set<string>>();
  const labelledInPerson = new Map<number, number>();
  labelled.forEach((i, k) => {
    const person = personOf[i];
    if (person < 0) return;
    const set = identitiesOfPerson.get(person) ?? new Set<string>();
    set.add(identities[k]);
    identitiesOfPerson.set(person, set);
    labelledInPerson.set(person, (labelledInPerson.get(person) ?? 0) + 1);
  });
  const personsOfIdentity = new Map<string, Set<number>>();
  labelled.forEach((i, k) => {
    if (personOf[i] < 0) return;
    const set = personsOfIdentity.get(identities[k]) ?? new Set<number>();
    set.add(personOf[i]);
    personsOfIdentity.set(identities[k], set);
  });
  let strangers = 0;
  let strangersPulledIn = 0;
  let leftOut = 0;
  let repeated = 0;
  labelled.forEach((i, k) => {
    if (count.get(identities[k]) === 1) {
      strangers++;
      if (personOf[i] >= 0 && (labelledInPerson.get(personOf[i]) ?? 0) > 1) strangersPulledIn++;
    } else {
      repeated++;
      if (personOf[i] < 0) leftOut++;
    }
  });
  const personsWithLabels = identitiesOfPerson.size;
  const mixedPersons = [...identitiesOfPerson.values()].filter((set) => set.size > 1).length;
  return {
    photos: new Set(faces.map((face) => face.photo.path)).size,
    faces: faces.length,
    labelledFaces: labelled.length,
    identities: count.size,
    strangers,
    persons: persons.length,
    pairwise: pairwiseScores(predicted, identities),
    bcubed: bcubedScores(predicted, identities),
    splitPeople: [...personsOfIdentity.values()].filter((set) => set.size > 1).length,
    strangersPulledIn,
    strangersPulledInShare: share(strangersPulledIn, strangers),
    mixedPersons,
    mixedPersonsShare: share(mixedPersons, personsWithLabels),
    leftOut,
    leftOutShare: share(leftOut, repeated),
  };
}

function share(part: number, whole: number): number {
  return whole === 0 ? 0 : round(part / whole, 4);
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
