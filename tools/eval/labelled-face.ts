import type { AnalyzedFace, PhotoAnalysis } from '@facecloud/vision';

/**
 * The labelled person of a people/ (or blurry/) photo is the centred, largest face: news photos
 * often show part of a second face behind the labelled one. Rank = relative width − distance of
 * the box centre from the photo centre (in photo fractions).
 */
export function labelledFace(analysis: PhotoAnalysis): AnalyzedFace | undefined {
  let best: AnalyzedFace | undefined;
  let bestRank = -Infinity;
  for (const face of analysis.faces) {
    const relativeWidth = (face.box.x2 - face.box.x1) / analysis.width;
    const offCentre = Math.hypot(
      (face.box.x1 + face.box.x2) / 2 / analysis.width - 0.5,
      (face.box.y1 + face.box.y2) / 2 / analysis.height - 0.5,
    );
    const rank = relativeWidth - offCentre;
    if (rank > bestRank) {
      bestRank = rank;
      best = face;
    }
  }
  return best;
}
