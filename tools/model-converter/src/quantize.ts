/**
 * Static int8 quantisation in the QDQ form: QuantizeLinear → DequantizeLinear pairs on the
 * activations around the quantised nodes, and DequantizeLinear on their constant operands.
 * The graph stays a float graph that computes what the int8 one does; onnxruntime recognises
 * the pattern at graph optimisation and runs QLinearConv / QLinearAdd (int8 kernels) instead.
 *
 * - Conv: weights per output channel, symmetric int8 ([-127, 127], zero point 0); bias int32
 *   with scale input_scale × weight_scale (zero point 0), as QLinearConv expects.
 * - Activations: per tensor, asymmetric, uint8 (onnxruntime's fast u8s8 kernels) or int8, from
 *   calibrated ranges (see calibration.ts). Every range is widened to include 0 so that zero
 *   padding is exact.
 * - A Conv followed only by Relu is quantised at the Relu's output (a range starting at 0);
 *   onnxruntime then drops the Relu (its Q clamps at 0 anyway) and fuses Conv → Q.
 * - Add of two activations (residuals, the Add of a lowered PReLU) becomes QLinearAdd.
 *
 * Which nodes are quantised is the caller's choice (`include`); the tensors at the border of a
 * float node and a quantised one are quantised too, and float consumers read them dequantised.
 */
import { type OnnxGraph, type OnnxInitializer, type OnnxNode, attr } from './onnx-graph';

export interface TensorRange {
  min: number;
  max: number;
}

export type ActivationType = 'uint8' | 'int8';

export interface QuantizeOptions {
  /** Calibrated range of every activation tensor the pass may quantise, by ONNX value name. */
  ranges: Readonly<Record<string, TensorRange>>;
  /** Default: uint8. */
  activationType?: ActivationType;
  /** Which Conv and Add nodes to quantise; default all. */
  include?: (node: OnnxNode) => boolean;
}

export interface QuantizeReport {
  conv: number;
  add: number;
  /** Activation tensors given a QuantizeLinear → DequantizeLinear pair. */
  tensors: number;
}

const QUANTIZABLE = new Set(['Conv', 'Add']);

/** Activation tensors that quantising `graph` this way needs ranges for. */
export function tensorsToCalibrate(graph: OnnxGraph, include: (node: OnnxNode) => boolean = () => true): string[] {
  return [...quantizedTensors(graph, selectNodes(graph, include))];
}

export function quantizeGraph(graph: OnnxGraph, options: QuantizeOptions): QuantizeReport {
  const activationType = options.activationType ?? 'uint8';
  const selected = selectNodes(graph, options.include ?? (() => true));
  const tensors = quantizedTensors(graph, selected);
  const initializers = new Map(graph.initializers.map((initializer) => [initializer.name, initializer]));
  const taken = new Set([...initializers.keys(), ...graph.nodes.flatMap((node) => [...node.inputs, ...node.outputs])]);
  const claim = (name: string): string => {
    if (taken.has(name)) throw new Error(`value name ${name} is already taken`);
    taken.add(name);
    return name;
  };
  const addInitializer = (name: string, dims: number[], data: OnnxInitializer['data']): string => {
    graph.initializers.push({ name: claim(name), dims, data });
    return name;
  };

  // Activation parameters, one (scale, zero point) per quantised tensor.
  const params = new Map<string, { scale: number; zeroPoint: number; scaleName: string; zeroPointName: string }>();
  for (const tensor of tensors) {
    const range = options.ranges[tensor];
    if (!range) throw new Error(`no calibrated range for ${tensor}`);
    const { scale, zeroPoint } = activationParameters(range, activationType);
    const scaleName = addInitializer(`${tensor}/scale`, [], Float32Array.of(scale));
    const zeroPointName = addInitializer(
      `${tensor}/zero_point`,
      [],
      activationType === 'uint8' ? Uint8Array.of(zeroPoint) : Int8Array.of(zeroPoint),
    );
    params.set(tensor, { scale: Math.fround(scale), zeroPoint, scaleName, zeroPointName });
  }

  const nodes: OnnxNode[] = [];
  let dequantizers = 0;
  const dequantized = (tensor: string): string => {
    const p = params.get(tensor)!;
    const name = claim(`${tensor}/dequantized_${dequantizers++}`);
    nodes.push({ opType: 'DequantizeLinear', name, inputs: [`${tensor}/quantized`, p.scaleName, p.zeroPointName], outputs: [name], attributes: {} });
    return name;
  };

  const report: QuantizeReport = { conv: 0, add: 0, tensors: tensors.size };
  const graphInputs = new Set(graph.inputs.map((input) => input.name));
  const quantize = (tensor: string): void => {
    const p = params.get(tensor)!;
    const quantized = claim(`${tensor}/quantized`);
    nodes.push({ opType: 'QuantizeLinear', name: quantized, inputs: [tensor, p.scaleName, p.zeroPointName], outputs: [quantized], attributes: {} });
  };
  for (const input of graphInputs) if (tensors.has(input)) quantize(input);

  for (const node of graph.nodes) {
    const rewritten: OnnxNode = { ...node, inputs: node.inputs.map((input) => (tensors.has(input) ? dequantized(input) : input)) };
    if (selected.has(node) && node.opType === 'Conv') {
      const inputScale = params.get(node.inputs[0]!)!.scale;
      const weights = initializers.get(node.inputs[1]!)!;
      const weightScales = perChannelScales(weights);
      rewritten.inputs[1] = dequantizedConstant(weights.name, weights.dims, weightScales, quantizeWeights(weights, weightScales));
      const bias = node.inputs[2] === undefined ? undefined : initializers.get(node.inputs[2]);
      if (bias) {
        const biasScales = weightScales.map((scale) => inputScale * scale); // float32, as onnxruntime computes it
        rewritten.inputs[2] = dequantizedConstant(bias.name, bias.dims, biasScales, quantizeBias(bias, biasScales));
      }
      report.conv++;
    } else if (selected.has(node)) {
      report.add++;
    }
    nodes.push(rewritten);
    for (const output of node.outputs) if (tensors.has(output)) quantize(output);
  }
  graph.nodes = nodes;
  const used = new Set(graph.nodes.flatMap((node) => node.inputs));
  graph.initializers = graph.initializers.filter((initializer) => used.has(initializer.name));
  return report;

  function dequantizedConstant(base: string, dims: readonly number[], scales: Float32Array, values: Int8Array | Int32Array): string {
    const quantizedName = addInitializer(`${base}/quantized`, [...dims], values);
    const scaleName = addInitializer(`${base}/scale`, [scales.length], scales);
    const zeroPoints = values instanceof Int8Array ? new Int8Array(scales.length) : new Int32Array(scales.length);
    const zeroPointName = addInitializer(`${base}/zero_point`, [scales.length], zeroPoints);
    const name = claim(`${base}/dequantized`);
    nodes.push({
      opType: 'DequantizeLinear',
      name,
      inputs: [quantizedName, scaleName, zeroPointName],
      outputs: [name],
      attributes: { axis: attr.int(0) },
    });
    return name;
  }
}

/** The Conv (with constant weights) and Add (of two activations) nodes to quantise. */
function selectNodes(graph: OnnxGraph, include: (node: OnnxNode) => boolean): Set<OnnxNode> {
  const constants = new Set(graph.initializers.map((initializer) => initializer.name));
  return new Set(
    graph.nodes.filter((node) => {
      if (!QUANTIZABLE.has(node.opType) || !include(node)) return false;
      if (node.opType === 'Conv') return constants.has(node.inputs[1]!) && (node.inputs[2] === undefined || constants.has(node.inputs[2]));
      return node.inputs.length === 2 && node.inputs.every((input) => !constants.has(input));
    }),
  );
}

/**
 * The activation tensors to quantise: the inputs and outputs of the selected nodes, except that
 * an output read only by Relu nodes is quantised after the Relu instead.
 */
function quantizedTensors(graph: OnnxGraph, selected: ReadonlySet<OnnxNode>): Set<string> {
  const consumers = new Map<string, OnnxNode[]>();
  for (const node of graph.nodes) for (const input of node.inputs) consumers.set(input, [...(consumers.get(input) ?? []), node]);
  const constants = new Set(graph.initializers.map((initializer) => initializer.name));
  const graphOutputs = new Set(graph.outputs.map((output) => output.name));
  const tensors = new Set<string>();
  for (const node of graph.nodes) {
    if (!selected.has(node)) continue;
    const activations = node.opType === 'Conv' ? [node.inputs[0]!] : node.inputs;
    for (const input of activations) if (!constants.has(input)) tensors.add(input);
    const output = node.outputs[0]!;
    const readers = consumers.get(output) ?? [];
    if (graphOutputs.has(output)) continue;
    if (readers.length > 0 && readers.every((reader) => reader.opType === 'Relu')) {
      for (const relu of readers) if (!graphOutputs.has(relu.outputs[0]!)) tensors.add(relu.outputs[0]!);
    } else {
      tensors.add(output);
    }
  }
  return tensors;
}

function activationParameters({ min, max }: TensorRange, type: ActivationType): { scale: number; zeroPoint: number } {
  const [qmin, qmax] = type === 'uint8' ? [0, 255] : [-128, 127];
  const low = Math.min(min, 0);
  const high = Math.max(max, 0);
  const scale = high > low ? (high - low) / (qmax - qmin) : 1;
  const zeroPoint = Math.max(qmin, Math.min(qmax, Math.round(qmin - low / scale)));
  return { scale, zeroPoint };
}

/** Per output channel (axis 0): max |w| / 127. */
function perChannelScales(weights: OnnxInitializer): Float32Array {
  const data = weights.data as Float32Array;
  const channels = weights.dims[0]!;
  const perChannel = data.length / channels;
  const scales = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    let largest = 0;
    for (let i = c * perChannel; i < (c + 1) * perChannel; i++) largest = Math.max(largest, Math.abs(data[i]!));
    scales[c] = largest > 0 ? largest / 127 : 1;
  }
  return scales;
}

function quantizeWeights(weights: OnnxInitializer, scales: Float32Array): Int8Array {
  const data = weights.data as Float32Array;
  const perChannel = data.length / scales.length;
  return Int8Array.from(data, (value, i) => Math.max(-127, Math.min(127, Math.round(value / scales[Math.floor(i / perChannel)]!))));
}

function quantizeBias(bias: OnnxInitializer, scales: Float32Array): Int32Array {
  const data = bias.data as Float32Array;
  const limit = 2 ** 31 - 1;
  return Int32Array.from(data, (value, i) => Math.max(-limit, Math.min(limit, Math.round(value / scales[i]!))));
}
