/**
 * A small, typed in-memory ONNX graph. The converter and the fusion pass work on this rather
 * than on protobuf objects so that rewriting nodes stays simple; `onnx-serialize.ts` turns it
 * into a `.onnx` file.
 */

export type AttributeValue =
  | { type: 'int'; value: number }
  | { type: 'ints'; value: number[] }
  | { type: 'float'; value: number }
  | { type: 'string'; value: string };

export const attr = {
  int: (value: number): AttributeValue => ({ type: 'int', value }),
  ints: (value: readonly number[]): AttributeValue => ({ type: 'ints', value: [...value] }),
  float: (value: number): AttributeValue => ({ type: 'float', value }),
  string: (value: string): AttributeValue => ({ type: 'string', value }),
};

export interface OnnxNode {
  opType: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, AttributeValue>;
}

export interface OnnxInitializer {
  name: string;
  dims: number[];
  /** float32, int64, or (quantised models) int32, int8 and uint8. */
  data: Float32Array | BigInt64Array | Int32Array | Int8Array | Uint8Array;
}

/** A dimension is either fixed (a number) or symbolic (its name). */
export type OnnxDim = number | string;

/** Graph inputs and outputs are all float32 here. */
export interface OnnxValueInfo {
  name: string;
  dims: OnnxDim[];
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: OnnxInitializer[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

export interface OnnxModel {
  graph: OnnxGraph;
  opsetVersion: number;
  /** Stored as the model's `metadata_props` (e.g. where the weights came from). */
  metadata: Record<string, string>;
}

/** Appends nodes and initializers to a graph, keeping every value name unique. */
export class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxInitializer[] = [];
  private readonly usedNames = new Set<string>();

  /** Claims `name` exactly; fails if it is taken (graph input and output names must not change). */
  reserve(name: string): string {
    if (this.usedNames.has(name)) throw new Error(`duplicate value name ${name}`);
    this.usedNames.add(name);
    return name;
  }

  /** Claims `base`, or `base_1`, `base_2`, ... if it is taken. */
  uniqueName(base: string): string {
    let name = base;
    for (let suffix = 1; this.usedNames.has(name); suffix++) name = `${base}_${suffix}`;
    this.usedNames.add(name);
    return name;
  }

  /** Adds a node writing to the already-claimed `output` name and returns that name. */
  addNode(opType: string, inputs: string[], output: string, attributes: Record<string, AttributeValue> = {}): string {
    this.nodes.push({ opType, name: output, inputs, outputs: [output], attributes });
    return output;
  }

  addFloatInitializer(baseName: string, dims: readonly number[], data: Float32Array): string {
    const name = this.uniqueName(baseName);
    this.initializers.push({ name, dims: [...dims], data });
    return name;
  }

  addInt64Initializer(baseName: string, values: readonly number[]): string {
    const name = this.uniqueName(baseName);
    this.initializers.push({ name, dims: [values.length], data: BigInt64Array.from(values, BigInt) });
    return name;
  }
}
