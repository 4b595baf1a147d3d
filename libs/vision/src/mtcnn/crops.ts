import type { InferenceSession } from 'onnxruntime-node';
import type { Box } from '../image';
import { float32Tensor, runByPosition } from '../onnx-session';
import { boxHeight, boxWidth, scaleBox } from './boxes';
import { pickLevelForCrop, type PyramidLevel } from './pyramid';
import { writeTransposedCrop } from './tensor';

/** Bounds one run's input tensor (1024 R-Net crops ≈ 7 MB, 1024 O-Net crops ≈ 28 MB). */
const MAX_BATCH = 1024;

/**
 * Crops every box (working-image pixels) at `inputSize`×`inputSize`, runs the network on all of
 * them in one batch and returns each output, in the model's output order, concatenated over the
 * boxes: e.g. for R-Net [probabilities N×2, regressions N×4].
 */
export async function classifyCrops(
  session: InferenceSession,
  levels: readonly PyramidLevel[],
  boxes: readonly Box[],
  inputSize: number,
): Promise<Float32Array[]> {
  const chunks: Float32Array[][] = [];
  for (let start = 0; start < boxes.length; start += MAX_BATCH) {
    chunks.push(await classifyBatch(session, levels, boxes.slice(start, start + MAX_BATCH), inputSize));
  }
  if (chunks.length === 1) return chunks[0];
  return session.outputNames.map((_, outputIndex) => concatFloat32(chunks.map((chunk) => chunk[outputIndex])));
}

async function classifyBatch(
  session: InferenceSession,
  levels: readonly PyramidLevel[],
  boxes: readonly Box[],
  inputSize: number,
): Promise<Float32Array[]> {
  const itemLength = inputSize * inputSize * 3;
  const input = new Float32Array(boxes.length * itemLength);
  boxes.forEach((box, index) => {
    const level = pickLevelForCrop(levels, Math.max(boxWidth(box), boxHeight(box)), inputSize);
    writeTransposedCrop(level.image, scaleBox(box, level.scaleX, level.scaleY), inputSize, input, index * itemLength);
  });
  const outputs = await runByPosition(session, float32Tensor(input, [boxes.length, inputSize, inputSize, 3]));
  return outputs.map((output) => output.data as Float32Array);
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
