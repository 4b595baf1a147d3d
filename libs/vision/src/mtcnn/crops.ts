import type { InferenceSession } from 'onnxruntime-node';
import type { Box } from '../image';
import { float32Tensor, runByPosition } from '../onnx-session';
import { boxHeight, boxWidth, scaleBox } from './boxes';
import { pickLevelForCrop, type PyramidLevel } from './pyramid';
import { writeTransposedCrop } from './tensor';

/**
 * Crops per network run. Larger runs stop paying once a run's activations outgrow the CPU
 * caches: per crop, O-Net takes 174 µs in runs of 32 and 210 µs in runs of 256; R-Net is flat
 * from 32 on (2 cores, onnxruntime 1.30).
 */
const MAX_BATCH = 32;

/** A box to classify, in the working-image pixels of its photo, and the images to crop it from. */
export interface CropRequest {
  box: Box;
  /** The photo's crop sources, largest scale first (see pickLevelForCrop). */
  levels: readonly PyramidLevel[];
}

/**
 * Crops every box at `inputSize`×`inputSize`, runs the network on them in batches (boxes of
 * several photos may share one) and returns each output, in the model's output order,
 * concatenated over the boxes: e.g. for R-Net [probabilities N×2, regressions N×4].
 */
export async function classifyCrops(
  session: InferenceSession,
  crops: readonly CropRequest[],
  inputSize: number,
): Promise<Float32Array[]> {
  const chunks: Float32Array[][] = [];
  for (let start = 0; start < crops.length; start += MAX_BATCH) {
    chunks.push(await classifyBatch(session, crops.slice(start, start + MAX_BATCH), inputSize));
  }
  if (chunks.length === 1) return chunks[0];
  return session.outputNames.map((_, outputIndex) => concatFloat32(chunks.map((chunk) => chunk[outputIndex])));
}

async function classifyBatch(session: InferenceSession, crops: readonly CropRequest[], inputSize: number): Promise<Float32Array[]> {
  const itemLength = inputSize * inputSize * 3;
  const input = new Float32Array(crops.length * itemLength);
  crops.forEach(({ box, levels }, index) => {
    const level = pickLevelForCrop(levels, Math.max(boxWidth(box), boxHeight(box)), inputSize);
    writeTransposedCrop(level.image, scaleBox(box, level.scaleX, level.scaleY), inputSize, input, index * itemLength);
  });
  const outputs = await runByPosition(session, float32Tensor(input, [crops.length, inputSize, inputSize, 3]));
  return outputs.map((output) => output.data as Float32Array);
}

/** One crop request per candidate, photo after photo: the row order of classifyCrops' outputs. */
export function cropRequests(
  levelsPerPhoto: readonly (readonly PyramidLevel[])[],
  candidatesPerPhoto: readonly (readonly { box: Box }[])[],
): CropRequest[] {
  return candidatesPerPhoto.flatMap((candidates, photo) =>
    candidates.map((candidate) => ({ box: candidate.box, levels: levelsPerPhoto[photo] })),
  );
}

function concatFloat32(parts: readonly Float32Array[]): Float32Array {
  const result = new Float32Array(parts.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    result.set(part, offset);
    offset += part.length;
  }
  return result;
}
