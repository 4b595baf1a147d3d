/**
 * Tensor layout helpers. TFLite is channels-last (NHWC) throughout, while ONNX Conv and
 * MaxPool are channels-first (NCHW), so 4-D activations are carried in NCHW inside the
 * converted graph and transposed back at the model boundary.
 */

/** `perm` for ONNX Transpose: output axis i takes input axis perm[i]. */
export const NHWC_TO_NCHW = [0, 3, 1, 2] as const;
export const NCHW_TO_NHWC = [0, 2, 3, 1] as const;

/** TFLite CONV_2D filters are [out, kh, kw, in]; ONNX Conv wants [out, in, kh, kw]. */
export const CONV_FILTER_TO_ONNX = [0, 3, 1, 2] as const;

/**
 * TFLite DEPTHWISE_CONV_2D filters are [1, kh, kw, in * multiplier]; ONNX grouped Conv wants
 * [in * multiplier, 1, kh, kw].
 */
export const DEPTHWISE_FILTER_TO_ONNX = [3, 0, 1, 2] as const;

export interface DenseTensor {
  data: Float32Array;
  shape: number[];
}

/** Row-major strides of a shape, in elements. */
export function strides(shape: readonly number[]): number[] {
  const result = new Array<number>(shape.length).fill(1);
  for (let axis = shape.length - 2; axis >= 0; axis--) {
    result[axis] = result[axis + 1]! * shape[axis + 1]!;
  }
  return result;
}

/** Permutes the axes of a dense row-major tensor, with the same `perm` meaning as ONNX Transpose. */
export function transpose(tensor: DenseTensor, perm: readonly number[]): DenseTensor {
  const { data, shape } = tensor;
  if (perm.length !== shape.length || [...perm].sort((a, b) => a - b).some((axis, i) => axis !== i)) {
    throw new Error(`invalid permutation [${perm.join(',')}] for rank ${shape.length}`);
  }
  const outShape = perm.map((axis) => shape[axis]!);
  const inStrides = strides(shape);
  // Stride in the input for a step along each output axis.
  const stepStrides = perm.map((axis) => inStrides[axis]!);
  const out = new Float32Array(data.length);
  const outIndex = new Array<number>(outShape.length).fill(0);
  let source = 0;
  for (let target = 0; target < out.length; target++) {
    out[target] = data[source]!;
    // Advance the output multi-index like an odometer, keeping `source` in step.
    for (let axis = outShape.length - 1; axis >= 0; axis--) {
      source += stepStrides[axis]!;
      if (++outIndex[axis]! < outShape[axis]!) break;
      source -= stepStrides[axis]! * outShape[axis]!;
      outIndex[axis] = 0;
    }
  }
  return { data: out, shape: outShape };
}

/** Maps an NHWC axis (negative counts from the end) to the same axis in NCHW. */
export function nhwcAxisToNchw(axis: number): number {
  const normalized = axis < 0 ? axis + 4 : axis;
  if (normalized < 0 || normalized > 3) throw new Error(`axis ${axis} out of range for a 4-D tensor`);
  return NHWC_TO_NCHW.indexOf(normalized as 0 | 1 | 2 | 3);
}
