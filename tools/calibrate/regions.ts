import { ALIGNED_FACE_SIZE, ARCFACE_TEMPLATE_112, type FaceDetection } from '@facecloud/vision';

/** Region sides as fractions of the image's short side: from whole-picture to small patches. */
const REGION_SCALES = [0.8, 0.5, 0.3, 0.18];
/** Below this a region is smaller than any face the detector reports (minFaceSize 40 at defaults). */
const MIN_REGION_SIDE = 24;

/**
 * Square regions on a jittered grid at several scales, each given the ArcFace template's five
 * landmarks at the same relative positions, so that the crop the analyzer takes from it is
 * aligned exactly "like a face". At most `maxRegions`, drawn at random.
 */
export function gridRegions(width: number, height: number, random: () => number, maxRegions: number): FaceDetection[] {
  const regions: FaceDetection[] = [];
  for (const scale of REGION_SCALES) {
    const side = scale * Math.min(width, height);
    if (side < MIN_REGION_SIDE) continue;
    for (let y = 0; y + side <= height; y += side) {
      for (let x = 0; x + side <= width; x += side) {
        const jitterX = Math.min(width - side - x, random() * side * 0.5);
        const jitterY = Math.min(height - side - y, random() * side * 0.5);
        regions.push(templateRegion(x + jitterX, y + jitterY, side));
      }
    }
  }
  return shuffle(regions, random).slice(0, maxRegions);
}

function templateRegion(x: number, y: number, side: number): FaceDetection {
  const scale = side / ALIGNED_FACE_SIZE;
  return {
    box: { x1: x, y1: y, x2: x + side, y2: y + side },
    score: 0,
    landmarks: ARCFACE_TEMPLATE_112.map((point) => ({ x: x + (point.x + 0.5) * scale, y: y + (point.y + 0.5) * scale })),
  };
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}
