/** A person a new face could join. */
export interface PersonCandidate {
  personId: string;
  /** The face's mean cosine similarity to all the person's faces. */
  meanSimilarity: number;
  faceCount: number;
  /** Similarities to the person's faces among the face's nearest neighbours, most similar first. */
  nearest: readonly number[];
}

/**
 * The person a new face joins between runs under average linkage, or null (it waits for the
 * next run): of the persons it may join (`allowed`: not one the user removed it from, not one
 * already on its photo), the one it is most alike, if that reaches the threshold a run of this
 * library would use.
 *
 * "Alike" is average linkage to the part of the person the face would join in a full run: the
 * mean over its `neighbours` nearest faces of that person (or all of them, for a smaller
 * person), nearest faces not in its kNN list counted at the person's overall mean. For a person
 * that is one cluster this is close to the overall mean; for one the user merged from two
 * looks (young and old, say), it is the side the face resembles, as a run would find.
 */
export function joinByAverageLinkage(
  candidates: readonly PersonCandidate[],
  threshold: number,
  neighbours: number,
  allowed: (personId: string) => boolean = () => true,
): string | null {
  let best: { personId: string; score: number } | null = null;
  for (const candidate of candidates) {
    if (!allowed(candidate.personId)) continue;
    const score = likeness(candidate, neighbours);
    if (score < threshold) continue;
    if (!best || score > best.score || (score === best.score && candidate.personId < best.personId)) {
      best = { personId: candidate.personId, score };
    }
  }
  return best?.personId ?? null;
}

function likeness(candidate: PersonCandidate, neighbours: number): number {
  const slots = Math.max(1, Math.min(neighbours, candidate.faceCount));
  const listed = candidate.nearest.slice(0, slots);
  const local = (listed.reduce((sum, value) => sum + value, 0) + (slots - listed.length) * candidate.meanSimilarity) / slots;
  return Math.max(candidate.meanSimilarity, local);
}
