/**
 * Builds small in-memory TFLite graphs (the reader's output types) for converter unit tests,
 * plus plain NHWC reference implementations of the operators, written the TFLite way.
 */
import type { OperatorOptions, TfliteModel, TfliteOperator, TfliteTensor } from './tflite-reader';
import { elementCount, type TensorData } from './test-helpers';

export class SyntheticModel {
  private readonly tensors: TfliteTensor[] = [];
  private readonly buffers: Uint8Array[] = [new Uint8Array(0)];
  private readonly operators: TfliteOperator[] = [];
  private readonly inputs: number[] = [];

  input(name: string, shape: number[]): number {
    const index = this.activation(name, shape);
    this.inputs.push(index);
    return index;
  }

  activation(name: string, shape: number[]): number {
    return this.addTensor(name, shape, 'FLOAT32', 0);
  }

  constant(name: string, shape: number[], data: Float32Array | Int32Array): number {
    if (data.length !== elementCount(shape)) throw new Error(`${name}: ${data.length} values for [${shape}]`);
    this.buffers.push(new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)));
    return this.addTensor(name, shape, data instanceof Float32Array ? 'FLOAT32' : 'INT32', this.buffers.length - 1);
  }

  op(opName: string, inputs: number[], output: number, options: OperatorOptions = { kind: 'none' }): number {
    this.operators.push({ opName, inputs, outputs: [output], options });
    return output;
  }

  build(outputs: number[]): TfliteModel {
    return {
      version: 3,
      description: 'synthetic',
      operatorCodes: [],
      buffers: this.buffers,
      subgraphs: [{ name: 'main', tensors: this.tensors, inputs: this.inputs, outputs, operators: this.operators }],
    };
  }

  private addTensor(name: string, shape: number[], type: 'FLOAT32' | 'INT32', bufferIndex: number): number {
    const index = this.tensors.length;
    this.tensors.push({ index, name, shape, shapeSignature: [], type, bufferIndex, quantized: false });
    return index;
  }
}

export interface ConvReferenceOptions {
  strideH: number;
  strideW: number;
  dilationH: number;
  dilationW: number;
  padding: 'SAME' | 'VALID';
}

/** Output size and leading padding of one spatial axis, as TensorFlow computes them. */
function axisGeometry(size: number, kernel: number, stride: number, dilation: number, padding: 'SAME' | 'VALID') {
  const effectiveKernel = (kernel - 1) * dilation + 1;
  if (padding === 'VALID') return { out: Math.ceil((size - effectiveKernel + 1) / stride), padBefore: 0 };
  const out = Math.ceil(size / stride);
  const padTotal = Math.max((out - 1) * stride + effectiveKernel - size, 0);
  return { out, padBefore: Math.floor(padTotal / 2) };
}

/**
 * NHWC convolution. `filter` is [outChannels, kh, kw, inChannels] for a regular conv, or
 * [1, kh, kw, inChannels × multiplier] when `depthwise`.
 */
export function referenceConv(
  input: TensorData,
  filter: TensorData,
  bias: Float32Array,
  options: ConvReferenceOptions,
  depthwise = false,
): TensorData {
  const [batch, height, width, inChannels] = input.shape as [number, number, number, number];
  const [, kh, kw] = filter.shape as [number, number, number, number];
  const outChannels = depthwise ? filter.shape[3]! : filter.shape[0]!;
  const multiplier = outChannels / inChannels;
  const rows = axisGeometry(height, kh, options.strideH, options.dilationH, options.padding);
  const cols = axisGeometry(width, kw, options.strideW, options.dilationW, options.padding);
  const out = new Float32Array(batch * rows.out * cols.out * outChannels);
  for (let n = 0; n < batch; n++)
    for (let y = 0; y < rows.out; y++)
      for (let x = 0; x < cols.out; x++)
        for (let o = 0; o < outChannels; o++) {
          let sum = bias[o]!;
          for (let ky = 0; ky < kh; ky++)
            for (let kx = 0; kx < kw; kx++) {
              const iy = y * options.strideH - rows.padBefore + ky * options.dilationH;
              const ix = x * options.strideW - cols.padBefore + kx * options.dilationW;
              if (iy < 0 || iy >= height || ix < 0 || ix >= width) continue;
              const pixel = ((n * height + iy) * width + ix) * inChannels;
              if (depthwise) {
                const c = Math.floor(o / multiplier);
                sum += input.data[pixel + c]! * filter.data[(ky * kw + kx) * outChannels + o]!;
              } else {
                for (let c = 0; c < inChannels; c++) {
                  sum += input.data[pixel + c]! * filter.data[((o * kh + ky) * kw + kx) * inChannels + c]!;
                }
              }
            }
          out[((n * rows.out + y) * cols.out + x) * outChannels + o] = sum;
        }
  return { data: out, shape: [batch, rows.out, cols.out, outChannels] };
}

/** TFLite FULLY_CONNECTED: flattens each batch row (NHWC order) and applies [out, in] weights. */
export function referenceFullyConnected(input: TensorData, weights: TensorData, bias: Float32Array): TensorData {
  const batch = input.shape[0]!;
  const [outFeatures, inFeatures] = weights.shape as [number, number];
  const out = new Float32Array(batch * outFeatures);
  for (let n = 0; n < batch; n++)
    for (let o = 0; o < outFeatures; o++) {
      let sum = bias[o]!;
      for (let i = 0; i < inFeatures; i++) sum += input.data[n * inFeatures + i]! * weights.data[o * inFeatures + i]!;
      out[n * outFeatures + o] = sum;
    }
  return { data: out, shape: [batch, outFeatures] };
}
