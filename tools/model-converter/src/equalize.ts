/**
 * Channel equalisation before int8 quantisation (after Nagel et al., "Data-Free Quantization
 * Through Weight Equalization and Bias Correction", 2019, and SmoothQuant's activation/weight
 * balance).
 *
 * int8 activations have one scale per tensor. In MobileFaceNet a few channels of a tensor span
 * ten or more times the range of the others (e.g. 352 against a median of 13 after the first
 * convolution), so one scale for all leaves the ordinary channels a handful of levels. Between a
 * convolution and the next one the network is linear in each channel, or positively homogeneous
 * (ReLU and PReLU: f(s·x) = s·f(x) for s > 0, and the lowered PReLU is built from those), so
 * channel c of that stretch can be multiplied by s_c (the producer's output channel c: weights
 * and bias) and divided out in the consumer (its input channel c) without changing the
 * function. Scaling a producer's output channels changes nothing for per-channel weight
 * quantisation; for a depthwise consumer, dividing its channel c does not either, so there the
 * channels are made equal; for a full convolution the division widens its weights' range, so
 * activation and weight ranges are balanced (s_c = √(weight range / activation range)).
 *
 * Scales are powers of two (stored as exponents), so applying them is exact in float.
 */
import type { OnnxGraph, OnnxInitializer, OnnxNode } from './onnx-graph';

/** A producer Conv, the consumer Conv of its (possibly PReLU-activated) output, and the tensors between. */
export interface EqualizationPair {
  producer: OnnxNode;
  consumer: OnnxNode;
  /** Tensors whose channel c scales with s_c (NCHW activations). */
  tensors: string[];
  /** The consumer is depthwise (one input channel per group). */
  depthwiseConsumer: boolean;
}

/** Exponents e_c (s_c = 2^e_c) by producer node name. */
export type EqualizationExponents = Record<string, number[]>;

/** Largest |e_c|: a 2^12 spread between channels is more than any calibrated tensor needs. */
const MAX_EXPONENT = 12;

export function findEqualizationPairs(graph: OnnxGraph): EqualizationPair[] {
  const constants = new Map(graph.initializers.map((initializer) => [initializer.name, initializer]));
  const consumers = new Map<string, OnnxNode[]>();
  for (const node of graph.nodes) for (const input of node.inputs) consumers.set(input, [...(consumers.get(input) ?? []), node]);
  const graphOutputs = new Set(graph.outputs.map((output) => output.name));
  const readers = (tensor: string): OnnxNode[] => (graphOutputs.has(tensor) ? [] : consumers.get(tensor) ?? []);
  const isConv = (node: OnnxNode | undefined): node is OnnxNode =>
    node?.opType === 'Conv' && constants.has(node.inputs[1]!) && (node.inputs[2] === undefined || constants.has(node.inputs[2]));
  const channelwise = (node: OnnxNode): boolean => {
    // A 1×1 depthwise Conv without bias (the lowered PReLU's), which scales channel by channel.
    const weights = constants.get(node.inputs[1]!);
    const group = node.attributes['group'];
    return isConv(node) && node.inputs.length === 2 && weights?.dims[1] === 1 && weights.dims[2] === 1 && weights.dims[3] === 1 &&
      group?.type === 'int' && group.value === weights.dims[0];
  };

  const pairs: EqualizationPair[] = [];
  for (const producer of graph.nodes) {
    if (!isConv(producer)) continue;
    const output = producer.outputs[0]!;
    const direct = readers(output);
    let tensors: string[] | undefined;
    let end: string | undefined;
    if (direct.length === 1 && direct[0]!.inputs[0] === output) {
      tensors = [output];
      end = output;
    } else if (direct.length === 2) {
      // The lowered PReLU: Add(x, Conv[1 − α](Relu(Conv[−1](x)))).
      const negate = direct.find((node) => node.opType === 'Conv');
      const add = direct.find((node) => node.opType === 'Add');
      const relu = negate && readers(negate.outputs[0]!).length === 1 ? readers(negate.outputs[0]!)[0] : undefined;
      const scale = relu?.opType === 'Relu' && readers(relu.outputs[0]!).length === 1 ? readers(relu.outputs[0]!)[0] : undefined;
      if (negate && add && relu && scale && channelwise(negate) && channelwise(scale) && readers(scale.outputs[0]!).length === 1 &&
        readers(scale.outputs[0]!)[0] === add && add.inputs.includes(output) && add.inputs.includes(scale.outputs[0]!)) {
        tensors = [output, relu.outputs[0]!, scale.outputs[0]!, add.outputs[0]!];
        end = add.outputs[0]!;
      }
    }
    if (!tensors || !end) continue;
    const next = readers(end);
    const consumer = next.length === 1 ? next[0] : undefined;
    if (!isConv(consumer) || consumer.inputs[0] !== end) continue;
    const group = consumer.attributes['group'];
    const depthwiseConsumer = group?.type === 'int' && group.value > 1 && constants.get(consumer.inputs[1]!)!.dims[1] === 1;
    if (group?.type === 'int' && group.value > 1 && !depthwiseConsumer) continue;
    pairs.push({ producer, consumer, tensors, depthwiseConsumer });
  }
  return pairs;
}

/**
 * Chooses the exponents from the calibrated largest |value| of every channel of each pair's
 * tensors (`channelMaxAbs`, by tensor name). Pairs are handled in graph order, each seeing the
 * weights as earlier pairs left them, so the result must be applied the same way (equalizeGraph).
 */
export function chooseExponents(graph: OnnxGraph, channelMaxAbs: Readonly<Record<string, ArrayLike<number>>>): EqualizationExponents {
  const exponents: EqualizationExponents = {};
  const initializers = new Map(graph.initializers.map((initializer) => [initializer.name, initializer]));
  for (const pair of findEqualizationPairs(graph)) {
    const channels = initializers.get(pair.producer.inputs[1]!)!.dims[0]!;
    const activation = new Float64Array(channels);
    for (const tensor of pair.tensors) {
      const stats = channelMaxAbs[tensor];
      if (!stats || stats.length !== channels) throw new Error(`no per-channel statistics for ${tensor}`);
      for (let c = 0; c < channels; c++) activation[c] = Math.max(activation[c]!, stats[c]!);
    }
    const weightRange = pair.depthwiseConsumer ? undefined : inputChannelRanges(initializers.get(pair.consumer.inputs[1]!)!);
    const target = Array.from(activation, (range, c) => {
      const floor = Math.max(range, 1e-6);
      return weightRange ? Math.sqrt(Math.max(weightRange[c]!, 1e-12) / floor) : 1 / floor;
    });
    // Centre the exponents on 0 (geometric mean), so magnitudes stay about where they were.
    const logs = target.map(Math.log2);
    const centre = logs.reduce((sum, value) => sum + value, 0) / logs.length;
    const chosen = logs.map((value) => Math.max(-MAX_EXPONENT, Math.min(MAX_EXPONENT, Math.round(value - centre))));
    exponents[pair.producer.name] = chosen;
    applyPair(pair, chosen, initializers);
  }
  return exponents;
}

/** Applies the exponents chosen by chooseExponents; returns how many pairs were equalised. */
export function equalizeGraph(graph: OnnxGraph, exponents: Readonly<EqualizationExponents>): number {
  const initializers = new Map(graph.initializers.map((initializer) => [initializer.name, initializer]));
  const pairs = findEqualizationPairs(graph);
  const byProducer = new Map(pairs.map((pair) => [pair.producer.name, pair]));
  for (const name of Object.keys(exponents)) if (!byProducer.has(name)) throw new Error(`equalisation: no Conv pair starts at ${name}`);
  let applied = 0;
  for (const pair of pairs) {
    const chosen = exponents[pair.producer.name];
    if (!chosen) continue;
    applyPair(pair, chosen, initializers);
    applied++;
  }
  return applied;
}

function applyPair(pair: EqualizationPair, exponents: readonly number[], initializers: Map<string, OnnxInitializer>): void {
  const producerWeights = initializers.get(pair.producer.inputs[1]!)!;
  const channels = producerWeights.dims[0]!;
  if (exponents.length !== channels) throw new Error(`equalisation of ${pair.producer.name}: ${exponents.length} exponents for ${channels} channels`);
  const scales = exponents.map((exponent) => 2 ** exponent);
  // Producer: output channel c (weights axis 0, bias) × s_c.
  replaceData(producerWeights, scaleAxis(producerWeights, 0, scales, false));
  const bias = pair.producer.inputs[2] === undefined ? undefined : initializers.get(pair.producer.inputs[2]);
  if (bias) replaceData(bias, scaleAxis(bias, 0, scales, false));
  // Consumer: input channel c ÷ s_c (depthwise: axis 0, one input channel per output; else axis 1).
  const consumerWeights = initializers.get(pair.consumer.inputs[1]!)!;
  replaceData(consumerWeights, scaleAxis(consumerWeights, pair.depthwiseConsumer ? 0 : 1, scales, true));
}

/**
 * New arrays, never written in place: a converted graph's weights can be views of the TFLite
 * file's buffer, which other conversions read too.
 */
function replaceData(initializer: OnnxInitializer, data: Float32Array): void {
  initializer.data = data;
}

function scaleAxis(initializer: OnnxInitializer, axis: number, scales: readonly number[], divide: boolean): Float32Array {
  const source = initializer.data as Float32Array;
  const inner = initializer.dims.slice(axis + 1).reduce((product, dim) => product * dim, 1);
  const size = initializer.dims[axis]!;
  if (size !== scales.length) throw new Error(`${initializer.name}: axis ${axis} has ${size} entries, ${scales.length} scales`);
  return source.map((value, i) => {
    const scale = scales[Math.floor(i / inner) % size]!;
    return divide ? value / scale : value * scale;
  });
}

/** max over output channels and kernel positions of |W[o, c, ·, ·]|, per input channel c. */
function inputChannelRanges(weights: OnnxInitializer): Float64Array {
  const [outputs, inputs] = weights.dims as [number, number];
  const inner = weights.dims.slice(2).reduce((product, dim) => product * dim, 1);
  const data = weights.data as Float32Array;
  const ranges = new Float64Array(inputs);
  for (let o = 0; o < outputs; o++) {
    for (let c = 0; c < inputs; c++) {
      for (let k = 0; k < inner; k++) ranges[c] = Math.max(ranges[c]!, Math.abs(data[(o * inputs + c) * inner + k]!));
    }
  }
  return ranges;
}
