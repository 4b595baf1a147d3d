/** One of a face's nearest already-assigned faces. */
export interface Neighbour {
  personId: string;
  /** Cosine similarity to the face, -1..1. */
  similarity: number;
}

export interface VoteRule {
  /** How many nearest assigned faces vote (callers fetch a few more: see `allowed`). */
  neighbours: number;
  /** Neighbours less similar than this do not vote. */
  minSimilarity: number;
  /** Votes the winning person needs; it must also hold more than half of the votes cast. */
  minVotes: number;
}

/**
 * The person a face joins between runs, or null (it waits for the next run): its
 * `rule.neighbours` nearest assigned faces (`nearest`, most similar first) that are at least
 * `minSimilarity` alike vote for their person; the winner needs `minVotes` votes and a strict majority of the votes cast.
 * Persons the face may not join (`allowed` false: the user removed it from them, or they
 * already hold a face of its photo) are known not to be it: their faces are passed over
 * and the next nearest vote instead.
 */
export function voteForPerson(
  nearest: readonly Neighbour[],
  rule: VoteRule,
  allowed: (personId: string) => boolean = () => true,
): string | null {
  const votes = new Map<string, number>();
  let cast = 0;
  for (const neighbour of nearest) {
    if (cast === rule.neighbours) break;
    if (neighbour.similarity < rule.minSimilarity || !allowed(neighbour.personId)) continue;
    cast++;
    votes.set(neighbour.personId, (votes.get(neighbour.personId) ?? 0) + 1);
  }
  let best: string | null = null;
  let bestVotes = 0;
  for (const [personId, count] of votes) {
    if (count > bestVotes || (count === bestVotes && best !== null && personId < best)) {
      best = personId;
      bestVotes = count;
    }
  }
  return best !== null && bestVotes >= rule.minVotes && bestVotes * 2 > cast ? best : null;
}
