export interface ClusterMember {
  faceId: string;
  photoId: string;
  /** HDBSCAN membership strength; the strongest face of a photo keeps its place. */
  strength: number;
}

/**
 * Two faces in one photo are two different people, so a person may hold at most one face
 * per photo. Within each cluster only the strongest face of each photo stays; the others
 * are returned as unassigned (they wait for the next run or for the user).
 */
export function keepOneFacePerPhoto(clusters: ClusterMember[][]): { clusters: ClusterMember[][]; unassigned: ClusterMember[] } {
  const unassigned: ClusterMember[] = [];
  const kept = clusters.map((members) => {
    const strongest = new Map<string, ClusterMember>();
    for (const member of members) {
      const current = strongest.get(member.photoId);
      if (!current || member.strength > current.strength) strongest.set(member.photoId, member);
    }
    const winners = new Set(strongest.values());
    for (const member of members) if (!winners.has(member)) unassigned.push(member);
    return members.filter((member) => winners.has(member));
  });
  return { clusters: kept, unassigned };
}
