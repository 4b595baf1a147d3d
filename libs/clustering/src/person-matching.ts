/** One person of a clustering result: an existing id to keep, or null for a new person. */
export interface PersonAssignment {
  personId: string | null;
  faceIds: string[];
}

/**
 * Maps this run's clusters onto the persons of the previous run so that ids (and with them
 * names) survive re-clustering: pairs are taken greedily by the number of faces they share,
 * each person and each cluster used at most once; clusters left over become new persons.
 * A cluster takes a person's id only when that person holds more than half of the
 * cluster's previously assigned faces, so an id never passes to a group that was mostly
 * someone else.
 */
export function matchClustersToPersons(
  clusters: string[][],
  previousPersonOf: ReadonlyMap<string, string | null>,
): PersonAssignment[] {
  const overlaps: Array<{ cluster: number; personId: string; shared: number }> = [];
  clusters.forEach((faceIds, cluster) => {
    const counts = new Map<string, number>();
    let previouslyAssigned = 0;
    for (const faceId of faceIds) {
      const personId = previousPersonOf.get(faceId);
      if (!personId) continue;
      counts.set(personId, (counts.get(personId) ?? 0) + 1);
      previouslyAssigned++;
    }
    for (const [personId, shared] of counts) {
      if (shared * 2 > previouslyAssigned) overlaps.push({ cluster, personId, shared });
    }
  });
  overlaps.sort((a, b) => b.shared - a.shared || a.cluster - b.cluster || a.personId.localeCompare(b.personId));

  const personOfCluster = new Map<number, string>();
  const usedPersons = new Set<string>();
  for (const { cluster, personId } of overlaps) {
    if (personOfCluster.has(cluster) || usedPersons.has(personId)) continue;
    personOfCluster.set(cluster, personId);
    usedPersons.add(personId);
  }
  return clusters.map((faceIds, cluster) => ({ personId: personOfCluster.get(cluster) ?? null, faceIds }));
}
