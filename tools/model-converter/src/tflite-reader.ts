/**
 * A typed, read-only view of a TFLite model file.
 *
 * Hand-written on top of the `flatbuffers` runtime because npm has no maintained package with
 * the generated TypeScript for the TFLite schema (`@tensorflow/tfjs-tflite` is a browser WASM
 * runtime, not a schema reader). We only read what the converter needs: operator codes,
 * tensors, buffers, operators and the options of the operators we convert.
 */
import { ByteBuffer } from 'flatbuffers';
import {
  ACTIVATION_NAMES,
  ArithmeticOptionsField,
  BUILTIN_OPERATOR_NAMES,
  BufferField,
  BuiltinOptionsType,
  Conv2DOptionsField,
  DepthwiseConv2DOptionsField,
  FullyConnectedOptionsField,
  ModelField,
  OperatorCodeField,
  OperatorField,
  PADDING_NAMES,
  Pool2DOptionsField,
  QuantizationField,
  ReducerOptionsField,
  ReshapeOptionsField,
  SubGraphField,
  TENSOR_TYPE_NAMES,
  TFLITE_FILE_IDENTIFIER,
  TensorField,
  type ActivationName,
  type PaddingName,
  type TensorTypeName,
} from './tflite-schema';

export interface TfliteModel {
  version: number;
  description: string | undefined;
  operatorCodes: TfliteOperatorCode[];
  subgraphs: TfliteSubgraph[];
  /** Raw bytes of every buffer; index 0 is the empty sentinel buffer. */
  buffers: Uint8Array[];
}

export interface TfliteOperatorCode {
  builtinCode: number;
  /** Builtin operator name, e.g. `CONV_2D`; `CUSTOM(<code>)` for custom operators. */
  name: string;
  version: number;
}

export interface TfliteSubgraph {
  name: string | undefined;
  tensors: TfliteTensor[];
  /** Tensor indices of the subgraph inputs and outputs, in file order. */
  inputs: number[];
  outputs: number[];
  operators: TfliteOperator[];
}

export interface TfliteTensor {
  index: number;
  name: string;
  shape: number[];
  /** Like `shape` but with -1 for dynamic dimensions; empty when the file does not say. */
  shapeSignature: number[];
  type: TensorTypeName | `UNKNOWN(${number})`;
  bufferIndex: number;
  /** True when the tensor carries quantization scales (min/max alone are only metadata). */
  quantized: boolean;
}

export interface TfliteOperator {
  /** Operator name from its operator code, e.g. `CONV_2D`. */
  opName: string;
  /** Tensor indices; -1 marks an omitted optional input (e.g. no bias). */
  inputs: number[];
  outputs: number[];
  options: OperatorOptions;
}

export interface Conv2DOptions {
  kind: 'conv2d';
  padding: PaddingName;
  strideH: number;
  strideW: number;
  dilationH: number;
  dilationW: number;
  activation: ActivationName;
}

export interface DepthwiseConv2DOptions extends Omit<Conv2DOptions, 'kind'> {
  kind: 'depthwiseConv2d';
  depthMultiplier: number;
}

export interface Pool2DOptions {
  kind: 'pool2d';
  padding: PaddingName;
  strideH: number;
  strideW: number;
  filterH: number;
  filterW: number;
  activation: ActivationName;
}

export interface FullyConnectedOptions {
  kind: 'fullyConnected';
  activation: ActivationName;
  /** 0 = DEFAULT; anything else is a packed (quantized) weights layout. */
  weightsFormat: number;
  keepNumDims: boolean;
}

export interface ArithmeticOptions {
  kind: 'arithmetic';
  activation: ActivationName;
}

export interface ReducerOptions {
  kind: 'reducer';
  keepDims: boolean;
}

export interface ReshapeOptions {
  kind: 'reshape';
  /** Absent when the target shape comes from the second input tensor instead. */
  newShape: number[] | undefined;
}

export interface NoOptions {
  kind: 'none';
}

export type OperatorOptions =
  | Conv2DOptions
  | DepthwiseConv2DOptions
  | Pool2DOptions
  | FullyConnectedOptions
  | ArithmeticOptions
  | ReducerOptions
  | ReshapeOptions
  | NoOptions;

/** Accessor for one flatbuffer table: reads fields by slot, with the schema's defaults. */
class FlatTable {
  constructor(
    readonly bb: ByteBuffer,
    /** Absolute position of the table, or -1 for a table that is absent from the file. */
    readonly position: number,
  ) {}

  /** An absent table: every field reads as its default, as generated flatbuffers code does. */
  static absent(): FlatTable {
    return new FlatTable(new ByteBuffer(new Uint8Array(0)), -1);
  }

  /** Byte offset of a field relative to the table, or 0 when the field is absent. */
  private fieldOffset(slot: number): number {
    return this.position < 0 ? 0 : this.bb.__offset(this.position, 4 + 2 * slot);
  }

  has(slot: number): boolean {
    return this.fieldOffset(slot) !== 0;
  }

  int8(slot: number, fallback = 0): number {
    const offset = this.fieldOffset(slot);
    return offset ? this.bb.readInt8(this.position + offset) : fallback;
  }

  bool(slot: number): boolean {
    const offset = this.fieldOffset(slot);
    return offset ? this.bb.readUint8(this.position + offset) !== 0 : false;
  }

  uint8(slot: number, fallback = 0): number {
    const offset = this.fieldOffset(slot);
    return offset ? this.bb.readUint8(this.position + offset) : fallback;
  }

  int32(slot: number, fallback = 0): number {
    const offset = this.fieldOffset(slot);
    return offset ? this.bb.readInt32(this.position + offset) : fallback;
  }

  uint32(slot: number, fallback = 0): number {
    const offset = this.fieldOffset(slot);
    return offset ? this.bb.readUint32(this.position + offset) : fallback;
  }

  uint64(slot: number): bigint {
    const offset = this.fieldOffset(slot);
    return offset ? this.bb.readUint64(this.position + offset) : 0n;
  }

  string(slot: number): string | undefined {
    const offset = this.fieldOffset(slot);
    return offset ? (this.bb.__string(this.position + offset) as string) : undefined;
  }

  table(slot: number): FlatTable | undefined {
    const offset = this.fieldOffset(slot);
    return offset ? new FlatTable(this.bb, this.bb.__indirect(this.position + offset)) : undefined;
  }

  /** Absolute position of a vector's first element and its length; length 0 when absent. */
  vector(slot: number): { start: number; length: number } {
    const offset = this.fieldOffset(slot);
    if (!offset) return { start: 0, length: 0 };
    return { start: this.bb.__vector(this.position + offset), length: this.bb.__vector_len(this.position + offset) };
  }

  tables(slot: number): FlatTable[] {
    const { start, length } = this.vector(slot);
    return Array.from({ length }, (_, i) => new FlatTable(this.bb, this.bb.__indirect(start + 4 * i)));
  }

  int32s(slot: number): number[] {
    const { start, length } = this.vector(slot);
    return Array.from({ length }, (_, i) => this.bb.readInt32(start + 4 * i));
  }

  bytes(slot: number): Uint8Array {
    const { start, length } = this.vector(slot);
    return this.bb.bytes().subarray(start, start + length);
  }
}

function rootTable(bytes: Uint8Array): FlatTable {
  const bb = new ByteBuffer(bytes);
  if (bytes.length < 8 || !bb.__has_identifier(TFLITE_FILE_IDENTIFIER)) {
    throw new Error(`not a TFLite model: file identifier is not ${TFLITE_FILE_IDENTIFIER}`);
  }
  return new FlatTable(bb, bb.readInt32(bb.position()) + bb.position());
}

export function builtinOperatorName(code: number): string {
  return BUILTIN_OPERATOR_NAMES[code] ?? `BUILTIN_OPERATOR_${code}`;
}

/** Parses a `.tflite` file. The returned buffers are views into `bytes`. */
export function readTfliteModel(bytes: Uint8Array): TfliteModel {
  const root = rootTable(bytes);
  const operatorCodes = root.tables(ModelField.operatorCodes).map(readOperatorCode);
  return {
    version: root.uint32(ModelField.version),
    description: root.string(ModelField.description),
    operatorCodes,
    subgraphs: root.tables(ModelField.subgraphs).map((table) => readSubgraph(table, operatorCodes)),
    buffers: root.tables(ModelField.buffers).map((table) => readBuffer(table, bytes)),
  };
}

function readOperatorCode(table: FlatTable): TfliteOperatorCode {
  // Codes below 127 live in the deprecated int8 field, newer ones only in the int32 field.
  const builtinCode = Math.max(
    table.int8(OperatorCodeField.deprecatedBuiltinCode),
    table.int32(OperatorCodeField.builtinCode),
  );
  const name = builtinOperatorName(builtinCode);
  const customCode = table.string(OperatorCodeField.customCode);
  return {
    builtinCode,
    name: name === 'CUSTOM' ? `CUSTOM(${customCode ?? '?'})` : name,
    version: table.int32(OperatorCodeField.version, 1),
  };
}

function readBuffer(table: FlatTable, fileBytes: Uint8Array): Uint8Array {
  // Models over 2 GB keep tensor data after the flatbuffer, addressed by offset/size.
  const offset = table.uint64(BufferField.offset);
  if (offset > 1n) {
    const start = Number(offset);
    return fileBytes.subarray(start, start + Number(table.uint64(BufferField.size)));
  }
  return table.bytes(BufferField.data);
}

function readSubgraph(table: FlatTable, operatorCodes: TfliteOperatorCode[]): TfliteSubgraph {
  return {
    name: table.string(SubGraphField.name),
    tensors: table.tables(SubGraphField.tensors).map(readTensor),
    inputs: table.int32s(SubGraphField.inputs),
    outputs: table.int32s(SubGraphField.outputs),
    operators: table.tables(SubGraphField.operators).map((op) => readOperator(op, operatorCodes)),
  };
}

function readTensor(table: FlatTable, index: number): TfliteTensor {
  const typeCode = table.int8(TensorField.type);
  const quantization = table.table(TensorField.quantization);
  return {
    index,
    name: table.string(TensorField.name) ?? `tensor_${index}`,
    shape: table.int32s(TensorField.shape),
    shapeSignature: table.int32s(TensorField.shapeSignature),
    type: TENSOR_TYPE_NAMES[typeCode] ?? `UNKNOWN(${typeCode})`,
    bufferIndex: table.uint32(TensorField.buffer),
    quantized: quantization !== undefined && quantization.vector(QuantizationField.scale).length > 0,
  };
}

function readOperator(table: FlatTable, operatorCodes: TfliteOperatorCode[]): TfliteOperator {
  const opcodeIndex = table.uint32(OperatorField.opcodeIndex);
  const code = operatorCodes[opcodeIndex];
  if (!code) throw new Error(`operator refers to missing operator code ${opcodeIndex}`);
  return {
    opName: code.name,
    inputs: table.int32s(OperatorField.inputs),
    outputs: table.int32s(OperatorField.outputs),
    options: readOptions(code.name, table),
  };
}

/** Decodes the builtin options of the operators the converter knows; others get `none`. */
function readOptions(opName: string, operator: FlatTable): OperatorOptions {
  const optionsType = operator.uint8(OperatorField.builtinOptionsType);
  const table = operator.table(OperatorField.builtinOptions);
  const expectType = (expected: number): FlatTable | undefined => {
    if (table && optionsType !== expected) {
      throw new Error(`${opName}: unexpected builtin options type ${optionsType} (expected ${expected})`);
    }
    return table;
  };
  const orDefaults = (t: FlatTable | undefined): FlatTable => t ?? FlatTable.absent();

  switch (opName) {
    case 'CONV_2D': {
      const t = orDefaults(expectType(BuiltinOptionsType.Conv2DOptions));
      const f = Conv2DOptionsField;
      return {
        kind: 'conv2d',
        padding: padding(t.int8(f.padding)),
        strideH: t.int32(f.strideH),
        strideW: t.int32(f.strideW),
        dilationH: t.int32(f.dilationH, 1),
        dilationW: t.int32(f.dilationW, 1),
        activation: activation(t.int8(f.fusedActivation)),
      };
    }
    case 'DEPTHWISE_CONV_2D': {
      const t = orDefaults(expectType(BuiltinOptionsType.DepthwiseConv2DOptions));
      const f = DepthwiseConv2DOptionsField;
      return {
        kind: 'depthwiseConv2d',
        padding: padding(t.int8(f.padding)),
        strideH: t.int32(f.strideH),
        strideW: t.int32(f.strideW),
        depthMultiplier: t.int32(f.depthMultiplier),
        dilationH: t.int32(f.dilationH, 1),
        dilationW: t.int32(f.dilationW, 1),
        activation: activation(t.int8(f.fusedActivation)),
      };
    }
    case 'MAX_POOL_2D':
    case 'AVERAGE_POOL_2D': {
      const t = orDefaults(expectType(BuiltinOptionsType.Pool2DOptions));
      const f = Pool2DOptionsField;
      return {
        kind: 'pool2d',
        padding: padding(t.int8(f.padding)),
        strideH: t.int32(f.strideH),
        strideW: t.int32(f.strideW),
        filterH: t.int32(f.filterHeight),
        filterW: t.int32(f.filterWidth),
        activation: activation(t.int8(f.fusedActivation)),
      };
    }
    case 'FULLY_CONNECTED': {
      const t = orDefaults(expectType(BuiltinOptionsType.FullyConnectedOptions));
      const f = FullyConnectedOptionsField;
      return {
        kind: 'fullyConnected',
        activation: activation(t.int8(f.fusedActivation)),
        weightsFormat: t.int8(f.weightsFormat),
        keepNumDims: t.bool(f.keepNumDims),
      };
    }
    case 'ADD':
    case 'SUB':
    case 'MUL':
    case 'DIV': {
      const tag = {
        ADD: BuiltinOptionsType.AddOptions,
        SUB: BuiltinOptionsType.SubOptions,
        MUL: BuiltinOptionsType.MulOptions,
        DIV: BuiltinOptionsType.DivOptions,
      }[opName];
      const t = orDefaults(expectType(tag));
      return { kind: 'arithmetic', activation: activation(t.int8(ArithmeticOptionsField.fusedActivation)) };
    }
    case 'SUM':
    case 'MEAN':
    case 'REDUCE_MAX':
    case 'REDUCE_MIN':
    case 'REDUCE_PROD': {
      const t = orDefaults(expectType(BuiltinOptionsType.ReducerOptions));
      return { kind: 'reducer', keepDims: t.bool(ReducerOptionsField.keepDims) };
    }
    case 'RESHAPE': {
      const t = expectType(BuiltinOptionsType.ReshapeOptions);
      const hasShape = t !== undefined && t.has(ReshapeOptionsField.newShape);
      return { kind: 'reshape', newShape: hasShape ? t.int32s(ReshapeOptionsField.newShape) : undefined };
    }
    default:
      return { kind: 'none' };
  }
}

function padding(code: number): PaddingName {
  const name = PADDING_NAMES[code];
  if (!name) throw new Error(`unknown padding ${code}`);
  return name;
}

function activation(code: number): ActivationName {
  const name = ACTIVATION_NAMES[code];
  if (!name) throw new Error(`unknown fused activation ${code}`);
  return name;
}

/** Raw bytes of a tensor's constant data; empty for activations (non-constant tensors). */
export function constantBytes(model: TfliteModel, tensor: TfliteTensor): Uint8Array {
  return model.buffers[tensor.bufferIndex] ?? new Uint8Array(0);
}

export function isConstant(model: TfliteModel, tensor: TfliteTensor): boolean {
  return constantBytes(model, tensor).length > 0;
}

/**
 * Copies a constant tensor into an aligned typed array. TFLite stores data little-endian, as
 * every platform Node runs on is, so the bytes are reinterpreted without swapping.
 */
export function readFloat32Constant(model: TfliteModel, tensor: TfliteTensor): Float32Array {
  return new Float32Array(copyConstant(model, tensor, 'FLOAT32', 4));
}

export function readInt32Constant(model: TfliteModel, tensor: TfliteTensor): Int32Array {
  return new Int32Array(copyConstant(model, tensor, 'INT32', 4));
}

function copyConstant(model: TfliteModel, tensor: TfliteTensor, type: TensorTypeName, bytesPerElement: number): ArrayBuffer {
  if (tensor.type !== type) throw new Error(`tensor ${tensor.name}: expected ${type}, found ${tensor.type}`);
  if (tensor.quantized) throw new Error(`tensor ${tensor.name}: quantized tensors are not supported`);
  const bytes = constantBytes(model, tensor);
  const elements = tensor.shape.reduce((product, dim) => product * dim, 1);
  if (bytes.length !== elements * bytesPerElement) {
    throw new Error(`tensor ${tensor.name}: ${bytes.length} bytes of data for shape [${tensor.shape.join(',')}]`);
  }
  return bytes.slice().buffer;
}

/**
 * Returns a copy of a TFLite file in which the named tensors of the first subgraph have new
 * static shapes of the same rank. A TFLite runtime recomputes intermediate shapes when it
 * allocates tensors, so patching the input (and, for runtimes that size output buffers from
 * the file, the outputs) lets a reference runtime run a model at an input size other than the
 * one it was exported with: P-Net is exported for a single image size.
 */
export function withTensorShapes(bytes: Uint8Array, shapes: Readonly<Record<string, readonly number[]>>): Uint8Array {
  const copy = new Uint8Array(bytes);
  const subgraph = rootTable(copy).tables(ModelField.subgraphs)[0];
  if (!subgraph) throw new Error('model has no subgraph');
  const view = new DataView(copy.buffer, copy.byteOffset, copy.byteLength);
  const tensors = subgraph.tables(SubGraphField.tensors);
  for (const [name, shape] of Object.entries(shapes)) {
    const tensor = tensors.find((candidate) => candidate.string(TensorField.name) === name);
    if (!tensor) throw new Error(`no tensor named ${name}`);
    const { start, length } = tensor.vector(TensorField.shape);
    if (length !== shape.length) throw new Error(`${name} has rank ${length}, new shape has rank ${shape.length}`);
    shape.forEach((dim, i) => view.setInt32(start + 4 * i, dim, true));
  }
  return copy;
}
