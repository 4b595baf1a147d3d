/**
 * Folds the elementwise patterns that TOCO left for PReLU and softmax back into single ONNX
 * PRelu and Softmax nodes. The result computes the same function with fewer nodes and reads
 * like the original network.
 *
 * Patterns (x is the input, α the per-channel slope):
 *   PReLU, MTCNN:          Add(Relu(x), Mul(α, Neg(Relu(Neg(x)))))  →  PRelu(x, α)
 *   PReLU, MobileFaceNet:  Add(Relu(x), Mul(c, Sub(x, Abs(x))))     →  PRelu(x, 2c)
 *   softmax:               Div(e, ReduceSum(e)) with e = Exp(Sub(x, ReduceMax(x)))  →  Softmax(x)
 *
 * A pattern is only fused when its intermediate values are used by nothing else.
 */
import { attr, type OnnxGraph, type OnnxInitializer, type OnnxNode } from './onnx-graph';

export interface FusionReport {
  prelu: number;
  softmax: number;
}

interface Fusion {
  /** The pattern's last node, replaced in place by `replacement`. */
  anchor: OnnxNode;
  replacement: OnnxNode;
  /** The other nodes of the pattern, removed. */
  removed: OnnxNode[];
}

export function fusePatterns(graph: OnnxGraph): FusionReport {
  const index = new GraphIndex(graph);
  const fusions: Fusion[] = [];
  const report: FusionReport = { prelu: 0, softmax: 0 };
  for (const node of graph.nodes) {
    if (node.opType === 'Add') {
      const fusion = matchPrelu(node, index, graph);
      if (fusion) {
        fusions.push(fusion);
        report.prelu++;
      }
    } else if (node.opType === 'Div') {
      const fusion = matchSoftmax(node, index);
      if (fusion) {
        fusions.push(fusion);
        report.softmax++;
      }
    }
  }

  const replacements = new Map(fusions.map((fusion) => [fusion.anchor, fusion.replacement]));
  const removed = new Set(fusions.flatMap((fusion) => fusion.removed));
  graph.nodes = graph.nodes.filter((node) => !removed.has(node)).map((node) => replacements.get(node) ?? node);
  const used = new Set(graph.nodes.flatMap((node) => node.inputs));
  graph.initializers = graph.initializers.filter((initializer) => used.has(initializer.name));
  return report;
}

/** Producer and consumer lookups over a graph. */
class GraphIndex {
  private readonly producers = new Map<string, OnnxNode>();
  private readonly consumers = new Map<string, OnnxNode[]>();
  private readonly graphOutputs: Set<string>;
  readonly initializers: Map<string, OnnxInitializer>;

  constructor(graph: OnnxGraph) {
    for (const node of graph.nodes) {
      for (const output of node.outputs) this.producers.set(output, node);
      for (const input of node.inputs) this.consumers.set(input, [...(this.consumers.get(input) ?? []), node]);
    }
    this.graphOutputs = new Set(graph.outputs.map((output) => output.name));
    this.initializers = new Map(graph.initializers.map((initializer) => [initializer.name, initializer]));
  }

  /** The node of type `opType` producing `value`, if that is what produces it. */
  producer(value: string | undefined, opType: string): OnnxNode | undefined {
    const node = value === undefined ? undefined : this.producers.get(value);
    return node?.opType === opType ? node : undefined;
  }

  /** True when the output of `node` is used by exactly `consumers` and is no graph output. */
  usedOnlyBy(node: OnnxNode, ...consumers: OnnxNode[]): boolean {
    const output = node.outputs[0]!;
    const actual = this.consumers.get(output) ?? [];
    return (
      !this.graphOutputs.has(output) &&
      actual.length === consumers.length &&
      consumers.every((consumer) => actual.includes(consumer))
    );
  }
}

function matchPrelu(add: OnnxNode, index: GraphIndex, graph: OnnxGraph): Fusion | undefined {
  for (const [reluInput, mulInput] of [
    [add.inputs[0], add.inputs[1]],
    [add.inputs[1], add.inputs[0]],
  ]) {
    const relu = index.producer(reluInput, 'Relu');
    const mul = index.producer(mulInput, 'Mul');
    if (!relu || !mul || !index.usedOnlyBy(relu, add) || !index.usedOnlyBy(mul, add)) continue;
    const x = relu.inputs[0]!;
    const slopeSide = mul.inputs.findIndex((input) => index.initializers.get(input)?.data instanceof Float32Array);
    if (slopeSide < 0) continue;
    const negativePart = matchNegativePart(mul.inputs[1 - slopeSide], x, mul, index);
    if (!negativePart) continue;

    const slope = index.initializers.get(mul.inputs[slopeSide]!)!;
    const slopeName = scaledInitializer(slope, negativePart.scale, graph);
    return {
      anchor: add,
      replacement: { opType: 'PRelu', name: add.name, inputs: [x, slopeName], outputs: add.outputs, attributes: {} },
      removed: [relu, mul, ...negativePart.nodes],
    };
  }
  return undefined;
}

/**
 * Matches the "negative part" branch of a decomposed PReLU: min(x, 0) as Neg(Relu(Neg(x))),
 * or 2·min(x, 0) as Sub(x, Abs(x)). Returns its nodes and the factor to fold into the slope.
 */
function matchNegativePart(
  value: string | undefined,
  x: string,
  mul: OnnxNode,
  index: GraphIndex,
): { nodes: OnnxNode[]; scale: number } | undefined {
  const outerNeg = index.producer(value, 'Neg');
  if (outerNeg) {
    const relu = index.producer(outerNeg.inputs[0], 'Relu');
    const innerNeg = index.producer(relu?.inputs[0], 'Neg');
    if (
      relu && innerNeg && innerNeg.inputs[0] === x &&
      index.usedOnlyBy(outerNeg, mul) && index.usedOnlyBy(relu, outerNeg) && index.usedOnlyBy(innerNeg, relu)
    ) {
      return { nodes: [outerNeg, relu, innerNeg], scale: 1 };
    }
  }
  const sub = index.producer(value, 'Sub');
  if (sub && sub.inputs[0] === x) {
    const abs = index.producer(sub.inputs[1], 'Abs');
    if (abs && abs.inputs[0] === x && index.usedOnlyBy(sub, mul) && index.usedOnlyBy(abs, sub)) {
      return { nodes: [sub, abs], scale: 2 };
    }
  }
  return undefined;
}

/** Name of an initializer holding `scale` × `source`; the source itself when scale is 1. */
function scaledInitializer(source: OnnxInitializer, scale: number, graph: OnnxGraph): string {
  if (scale === 1) return source.name;
  const name = `${source.name}/prelu_slope`;
  if (graph.initializers.some((initializer) => initializer.name === name)) {
    throw new Error(`initializer name ${name} is already taken`);
  }
  // Multiplying by 2 is exact in floating point, so this changes no result.
  const data = (source.data as Float32Array).map((value) => value * scale);
  graph.initializers.push({ name, dims: [...source.dims], data });
  return name;
}

function matchSoftmax(div: OnnxNode, index: GraphIndex): Fusion | undefined {
  const exp = index.producer(div.inputs[0], 'Exp');
  const sum = index.producer(div.inputs[1], 'ReduceSum');
  if (!exp || !sum || sum.inputs[0] !== exp.outputs[0]) return undefined;
  if (!index.usedOnlyBy(exp, div, sum) || !index.usedOnlyBy(sum, div)) return undefined;
  const sub = index.producer(exp.inputs[0], 'Sub');
  const x = sub?.inputs[0];
  const max = index.producer(sub?.inputs[1], 'ReduceMax');
  if (!sub || !max || max.inputs[0] !== x || !index.usedOnlyBy(sub, exp) || !index.usedOnlyBy(max, sub)) {
    return undefined;
  }

  const maxAxes = max.attributes['axes'];
  const sumAxes = index.initializers.get(sum.inputs[1] ?? '')?.data;
  const keepsDims = [max, sum].every((node) => node.attributes['keepdims']?.value === 1);
  if (maxAxes?.type !== 'ints' || maxAxes.value.length !== 1 || !(sumAxes instanceof BigInt64Array)) return undefined;
  if (sumAxes.length !== 1 || Number(sumAxes[0]) !== maxAxes.value[0] || !keepsDims) return undefined;

  return {
    anchor: div,
    replacement: {
      opType: 'Softmax',
      name: div.name,
      inputs: [x!],
      outputs: div.outputs,
      attributes: { axis: attr.int(maxAxes.value[0]!) },
    },
    removed: [exp, sum, sub, max],
  };
}
