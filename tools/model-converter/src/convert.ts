/**
 * TFLite → ONNX (opset 13) for the float32 operator subset used by the MTCNN and MobileFaceNet
 * models. Each TFLite operator becomes one or a few ONNX nodes; `fuse.ts` then folds the
 * decomposed PReLU and softmax patterns back into single nodes, and `lower-prelu.ts` turns 4-D
 * PReLU into the depthwise form that onnxruntime runs fastest.
 *
 * Layout: the model boundary stays NHWC as in the TFLite file, while 4-D activations inside
 * the graph are NCHW because that is what ONNX Conv and MaxPool take.
 */
import {
  CONV_FILTER_TO_ONNX,
  DEPTHWISE_FILTER_TO_ONNX,
  NCHW_TO_NHWC,
  NHWC_TO_NCHW,
  nhwcAxisToNchw,
  transpose,
} from './layout';
import { fusePatterns, type FusionReport } from './fuse';
import { lowerPreluToDepthwise } from './lower-prelu';
import { GraphBuilder, attr, type AttributeValue, type OnnxDim, type OnnxGraph, type OnnxModel, type OnnxValueInfo } from './onnx-graph';
import { encodeOnnxModel } from './onnx-serialize';
import {
  isConstant,
  type ArithmeticOptions,
  type OperatorOptions,
  readFloat32Constant,
  readInt32Constant,
  readTfliteModel,
  type Conv2DOptions,
  type DepthwiseConv2DOptions,
  type FullyConnectedOptions,
  type Pool2DOptions,
  type ReducerOptions,
  type ReshapeOptions,
  type TfliteModel,
  type TfliteOperator,
  type TfliteSubgraph,
  type TfliteTensor,
} from './tflite-reader';
import type { ActivationName, PaddingName } from './tflite-schema';

export const OPSET_VERSION = 13;

export interface ConvertOptions {
  /** Make axis 0 of every graph input and output symbolic (`batch`). Default true. */
  dynamicBatch?: boolean;
  /**
   * Also make axes 1 and 2 of 4-D graph inputs and outputs symbolic, for fully convolutional
   * models such as P-Net. Default false.
   */
  dynamicSpatial?: boolean;
  /** Fold decomposed PReLU and softmax back into PRelu and Softmax nodes. Default true. */
  fuse?: boolean;
  /**
   * Rewrite PRelu on 4-D activations as depthwise 1×1 convolutions (see lower-prelu.ts), after
   * fusion. Default true.
   */
  lowerPrelu?: boolean;
  /** Name of the ONNX graph. */
  graphName?: string;
  /** Key/value pairs stored in the model's metadata. */
  metadata?: Record<string, string>;
}

export interface ConversionResult {
  model: OnnxModel;
  fusion: FusionReport;
  /** PRelu nodes rewritten as depthwise convolutions. */
  loweredPrelu: number;
}

/** The operators this converter supports, by TFLite name. */
export const SUPPORTED_OPERATORS = [
  'CONV_2D', 'DEPTHWISE_CONV_2D', 'MAX_POOL_2D', 'FULLY_CONNECTED', 'RESHAPE',
  'ADD', 'SUB', 'MUL', 'DIV', 'RELU', 'NEG', 'ABS', 'EXP', 'REDUCE_MAX', 'SUM',
] as const;

export class UnsupportedOperatorError extends Error {
  constructor(readonly opName: string, outputName: string) {
    super(
      `unsupported TFLite operator ${opName} (producing ${outputName}); ` +
        `supported: ${SUPPORTED_OPERATORS.join(', ')}`,
    );
    this.name = 'UnsupportedOperatorError';
  }
}

/** Converts a `.tflite` file to the bytes of an `.onnx` file. */
export function convertTfliteFile(bytes: Uint8Array, options: ConvertOptions = {}): Uint8Array {
  return encodeOnnxModel(convertTflite(readTfliteModel(bytes), options).model);
}

export function convertTflite(model: TfliteModel, options: ConvertOptions = {}): ConversionResult {
  if (model.subgraphs.length !== 1) {
    throw new Error(`expected a single subgraph, found ${model.subgraphs.length}`);
  }
  const graph = new GraphConverter(model, model.subgraphs[0]!, {
    dynamicBatch: options.dynamicBatch ?? true,
    dynamicSpatial: options.dynamicSpatial ?? false,
  }).convert(options.graphName ?? 'main');
  const fusion = options.fuse === false ? { prelu: 0, softmax: 0 } : fusePatterns(graph);
  const loweredPrelu = options.lowerPrelu === false ? 0 : lowerPreluToDepthwise(graph);
  return { model: { graph, opsetVersion: OPSET_VERSION, metadata: options.metadata ?? {} }, fusion, loweredPrelu };
}

/** Where a TFLite tensor lives in the ONNX graph, and in which axis order. */
interface Value {
  name: string;
  /** `NCHW` for 4-D activations; `TFLITE` (same order as the TFLite tensor) otherwise. */
  layout: 'NCHW' | 'TFLITE';
}

interface ConvOperands {
  opName: string;
  inputIndex: number;
  /** Name of the filter initializer, already in ONNX layout. */
  weights: string;
  /** -1 when the operator has no bias. */
  biasIndex: number;
  /** The TFLite filter shape: [*, kh, kw, *]. */
  filterShape: number[];
  group: number;
}

interface ShapeOptions {
  dynamicBatch: boolean;
  dynamicSpatial: boolean;
}

class GraphConverter {
  private readonly builder = new GraphBuilder();
  private readonly values = new Map<number, Value>();
  private readonly tensors: TfliteTensor[];

  constructor(
    private readonly model: TfliteModel,
    private readonly subgraph: TfliteSubgraph,
    private readonly shapeOptions: ShapeOptions,
  ) {
    this.tensors = subgraph.tensors;
  }

  convert(graphName: string): OnnxGraph {
    // Boundary names are claimed first so that they stay exactly as in the TFLite file.
    for (const index of [...this.subgraph.inputs, ...this.subgraph.outputs]) {
      this.builder.reserve(this.tensor(index).name);
    }
    const inputs = this.subgraph.inputs.map((index) => this.addGraphInput(index));
    for (const operator of this.subgraph.operators) this.lowerOperator(operator);
    const outputs = this.subgraph.outputs.map((index) => this.addGraphOutput(index));
    return { name: graphName, nodes: this.builder.nodes, initializers: this.builder.initializers, inputs, outputs };
  }

  private tensor(index: number): TfliteTensor {
    const tensor = this.tensors[index];
    if (!tensor) throw new Error(`missing tensor ${index}`);
    return tensor;
  }

  private value(index: number): Value {
    const value = this.values.get(index);
    if (!value) {
      const tensor = this.tensor(index);
      const what = isConstant(this.model, tensor) ? 'a constant where an activation is expected' : 'not yet computed';
      throw new Error(`tensor ${tensor.name} is ${what}`);
    }
    return value;
  }

  /** Symbolic or fixed dimensions of a graph input or output. */
  private boundaryDims(tensor: TfliteTensor, spatialPrefix: string): OnnxDim[] {
    const { dynamicBatch, dynamicSpatial } = this.shapeOptions;
    return tensor.shape.map((dim, axis) => {
      if (axis === 0 && dynamicBatch) return 'batch';
      if (tensor.shape.length === 4 && dynamicSpatial && axis === 1) return `${spatialPrefix}height`;
      if (tensor.shape.length === 4 && dynamicSpatial && axis === 2) return `${spatialPrefix}width`;
      return dim;
    });
  }

  private addGraphInput(index: number): OnnxValueInfo {
    const tensor = this.tensor(index);
    if (tensor.type !== 'FLOAT32' || tensor.quantized) {
      throw new Error(`input ${tensor.name}: only float32 inputs are supported, found ${tensor.type}`);
    }
    if (tensor.shape.length === 4) {
      const nchw = this.builder.uniqueName(`${tensor.name}/nchw`);
      this.builder.addNode('Transpose', [tensor.name], nchw, { perm: attr.ints(NHWC_TO_NCHW) });
      this.values.set(index, { name: nchw, layout: 'NCHW' });
    } else {
      this.values.set(index, { name: tensor.name, layout: 'TFLITE' });
    }
    return { name: tensor.name, dims: this.boundaryDims(tensor, '') };
  }

  private addGraphOutput(index: number): OnnxValueInfo {
    const tensor = this.tensor(index);
    const value = this.value(index);
    if (value.layout === 'NCHW') {
      this.builder.addNode('Transpose', [value.name], tensor.name, { perm: attr.ints(NCHW_TO_NHWC) });
    } else if (value.name !== tensor.name) {
      this.builder.addNode('Identity', [value.name], tensor.name);
    }
    return { name: tensor.name, dims: this.boundaryDims(tensor, 'out_') };
  }

  /**
   * ONNX name for an operator's output tensor: the TFLite name, except for 4-D graph outputs,
   * whose TFLite name is kept for the NHWC copy made at the boundary.
   */
  private outputName(index: number): string {
    const tensor = this.tensor(index);
    const isGraphOutput = this.subgraph.outputs.includes(index);
    if (!isGraphOutput) return this.builder.uniqueName(tensor.name);
    return tensor.shape.length === 4 ? this.builder.uniqueName(`${tensor.name}/nchw`) : tensor.name;
  }

  private lowerOperator(operator: TfliteOperator): void {
    const outputIndex = operator.outputs[0];
    if (outputIndex === undefined || operator.outputs.length !== 1) {
      throw new Error(`${operator.opName}: expected exactly one output`);
    }
    let value: Value;
    switch (operator.opName) {
      case 'CONV_2D':
        value = this.lowerConv(operator, optionsOf(operator, 'conv2d'), outputIndex);
        break;
      case 'DEPTHWISE_CONV_2D':
        value = this.lowerDepthwiseConv(operator, optionsOf(operator, 'depthwiseConv2d'), outputIndex);
        break;
      case 'MAX_POOL_2D':
        value = this.lowerMaxPool(operator, optionsOf(operator, 'pool2d'), outputIndex);
        break;
      case 'FULLY_CONNECTED':
        value = this.lowerFullyConnected(operator, optionsOf(operator, 'fullyConnected'), outputIndex);
        break;
      case 'RESHAPE':
        value = this.lowerReshape(operator, optionsOf(operator, 'reshape'), outputIndex);
        break;
      case 'ADD':
      case 'SUB':
      case 'MUL':
      case 'DIV':
        value = this.lowerBinary(operator, optionsOf(operator, 'arithmetic'), outputIndex);
        break;
      case 'RELU':
      case 'NEG':
      case 'ABS':
      case 'EXP':
        value = this.lowerUnary(operator, outputIndex);
        break;
      case 'REDUCE_MAX':
      case 'SUM':
        value = this.lowerReduce(operator, optionsOf(operator, 'reducer'), outputIndex);
        break;
      default:
        throw new UnsupportedOperatorError(operator.opName, this.tensor(outputIndex).name);
    }
    this.values.set(outputIndex, value);
  }

  // --- operators -------------------------------------------------------------------------

  private lowerConv(operator: TfliteOperator, options: Conv2DOptions, outputIndex: number): Value {
    const [inputIndex, filterIndex, biasIndex] = this.operands(operator, 2);
    const filter = this.tensor(filterIndex);
    const inputChannels = this.tensor(inputIndex).shape[3];
    if (filter.shape.length !== 4 || filter.shape[3] !== inputChannels) {
      throw new Error(`CONV_2D ${filter.name}: filter [${filter.shape}] does not match ${inputChannels} input channels`);
    }
    const weights = this.layoutConstant(filter, CONV_FILTER_TO_ONNX);
    return this.emitConv({ opName: operator.opName, inputIndex, weights, biasIndex, filterShape: filter.shape, group: 1 }, options, outputIndex);
  }

  private lowerDepthwiseConv(operator: TfliteOperator, options: DepthwiseConv2DOptions, outputIndex: number): Value {
    const [inputIndex, filterIndex, biasIndex] = this.operands(operator, 2);
    const filter = this.tensor(filterIndex);
    const inputChannels = this.tensor(inputIndex).shape[3] ?? 0;
    const outputChannels = filter.shape[3] ?? 0;
    // A depthwise conv is a grouped conv with one group per input channel.
    if (filter.shape.length !== 4 || filter.shape[0] !== 1 || inputChannels <= 0 || outputChannels % inputChannels) {
      throw new Error(`DEPTHWISE_CONV_2D ${filter.name}: filter [${filter.shape}] does not fit ${inputChannels} channels`);
    }
    const weights = this.layoutConstant(filter, DEPTHWISE_FILTER_TO_ONNX);
    return this.emitConv(
      { opName: operator.opName, inputIndex, weights, biasIndex, filterShape: filter.shape, group: inputChannels },
      options,
      outputIndex,
    );
  }

  private emitConv(conv: ConvOperands, options: Conv2DOptions | DepthwiseConv2DOptions, outputIndex: number): Value {
    const { filterShape, group } = conv;
    const inputs = [this.activation(conv.inputIndex, 'NCHW', conv.opName), conv.weights];
    if (conv.biasIndex >= 0) inputs.push(this.plainConstant(this.tensor(conv.biasIndex)));
    const attributes: Record<string, AttributeValue> = {
      kernel_shape: attr.ints([filterShape[1]!, filterShape[2]!]),
      strides: attr.ints([options.strideH, options.strideW]),
      dilations: attr.ints([options.dilationH, options.dilationW]),
      auto_pad: autoPad(options.padding),
    };
    if (group !== 1) attributes['group'] = attr.int(group);
    return this.emitWithActivation('Conv', inputs, attributes, options.activation, outputIndex, 'NCHW');
  }

  private lowerMaxPool(operator: TfliteOperator, options: Pool2DOptions, outputIndex: number): Value {
    const [inputIndex] = this.operands(operator, 1);
    const input = this.activation(inputIndex, 'NCHW', operator.opName);
    const attributes = {
      kernel_shape: attr.ints([options.filterH, options.filterW]),
      strides: attr.ints([options.strideH, options.strideW]),
      auto_pad: autoPad(options.padding),
    };
    return this.emitWithActivation('MaxPool', [input], attributes, options.activation, outputIndex, 'NCHW');
  }

  private lowerFullyConnected(operator: TfliteOperator, options: FullyConnectedOptions, outputIndex: number): Value {
    const [inputIndex, weightsIndex, biasIndex] = this.operands(operator, 2);
    const weightsTensor = this.tensor(weightsIndex);
    const inputTensor = this.tensor(inputIndex);
    if (options.weightsFormat !== 0) throw new Error(`FULLY_CONNECTED ${weightsTensor.name}: packed weights are not supported`);
    if (options.keepNumDims && inputTensor.shape.length > 2) {
      throw new Error(`FULLY_CONNECTED ${weightsTensor.name}: keep_num_dims is not supported`);
    }
    // TFLite flattens everything but the batch axis, in NHWC order, to match the weights.
    const features = inputTensor.shape.slice(1).reduce((product, dim) => product * dim, 1);
    if (weightsTensor.shape.length !== 2 || weightsTensor.shape[1] !== features) {
      throw new Error(`FULLY_CONNECTED ${weightsTensor.name}: weights [${weightsTensor.shape}] do not fit input [${inputTensor.shape}]`);
    }
    let input = this.activation(inputIndex, 'TFLITE', operator.opName);
    if (inputTensor.shape.length !== 2) {
      input = this.builder.addNode('Flatten', [input], this.builder.uniqueName(`${input}/flat`), { axis: attr.int(1) });
    }
    const inputs = [input, this.plainConstant(weightsTensor)];
    if (biasIndex >= 0) inputs.push(this.plainConstant(this.tensor(biasIndex)));
    // Gemm computes input × weightsᵀ + bias; TFLite weights are [outputs, features].
    return this.emitWithActivation('Gemm', inputs, { transB: attr.int(1) }, options.activation, outputIndex, 'TFLITE');
  }

  private lowerReshape(operator: TfliteOperator, options: ReshapeOptions, outputIndex: number): Value {
    const [inputIndex, shapeIndex] = this.operands(operator, 1);
    const inputTensor = this.tensor(inputIndex);
    const givenShape = options.newShape ?? (shapeIndex >= 0 ? readInt32Constant(this.model, this.tensor(shapeIndex)) : undefined);
    if (!givenShape) throw new Error(`RESHAPE ${inputTensor.name}: no target shape`);
    const targetShape = [...givenShape];
    if (this.shapeOptions.dynamicSpatial) {
      throw new Error(`RESHAPE ${inputTensor.name}: not supported with dynamic spatial dimensions`);
    }
    // With a dynamic batch, 0 tells ONNX Reshape to copy the batch size from the input.
    if (this.shapeOptions.dynamicBatch && targetShape[0] === inputTensor.shape[0]) targetShape[0] = 0;
    const input = this.activation(inputIndex, 'TFLITE', operator.opName);
    const shape = this.builder.addInt64Initializer(`${this.tensor(outputIndex).name}/shape`, targetShape);
    const outputName = this.outputName(outputIndex);
    if (targetShape.length !== 4) {
      this.builder.addNode('Reshape', [input, shape], outputName);
      return { name: outputName, layout: 'TFLITE' };
    }
    const nhwc = this.builder.addNode('Reshape', [input, shape], this.builder.uniqueName(`${outputName}/nhwc`));
    this.builder.addNode('Transpose', [nhwc], outputName, { perm: attr.ints(NHWC_TO_NCHW) });
    return { name: outputName, layout: 'NCHW' };
  }

  private lowerBinary(operator: TfliteOperator, options: ArithmeticOptions, outputIndex: number): Value {
    const [leftIndex, rightIndex] = this.operands(operator, 2);
    const onnxOp = { ADD: 'Add', SUB: 'Sub', MUL: 'Mul', DIV: 'Div' }[operator.opName as 'ADD' | 'SUB' | 'MUL' | 'DIV'];
    const left = this.tensor(leftIndex);
    const right = this.tensor(rightIndex);
    const leftConstant = isConstant(this.model, left);
    const rightConstant = isConstant(this.model, right);
    if (leftConstant && rightConstant) throw new Error(`${operator.opName} ${left.name}: both operands are constant`);

    let layout: Value['layout'];
    let inputs: string[];
    if (leftConstant || rightConstant) {
      const [constantTensor, activationIndex] = leftConstant ? [left, rightIndex] : [right, leftIndex];
      const activation = this.value(activationIndex);
      const constant = this.broadcastConstant(constantTensor, activation.layout);
      layout = activation.layout;
      inputs = leftConstant ? [constant, activation.name] : [activation.name, constant];
    } else {
      const leftValue = this.value(leftIndex);
      const rightValue = this.value(rightIndex);
      // Every 4-D activation is NCHW, so a layout mismatch means a rank mismatch whose
      // broadcasting would differ between the two layouts.
      if (leftValue.layout !== rightValue.layout) {
        throw new Error(`${operator.opName} ${left.name}, ${right.name}: broadcasting across ranks is not supported`);
      }
      layout = leftValue.layout;
      inputs = [leftValue.name, rightValue.name];
    }
    return this.emitWithActivation(onnxOp, inputs, {}, options.activation, outputIndex, layout);
  }

  private lowerUnary(operator: TfliteOperator, outputIndex: number): Value {
    const [inputIndex] = this.operands(operator, 1);
    const onnxOp = { RELU: 'Relu', NEG: 'Neg', ABS: 'Abs', EXP: 'Exp' }[operator.opName as 'RELU' | 'NEG' | 'ABS' | 'EXP'];
    const input = this.value(inputIndex);
    const output = this.builder.addNode(onnxOp, [input.name], this.outputName(outputIndex));
    return { name: output, layout: input.layout };
  }

  private lowerReduce(operator: TfliteOperator, options: ReducerOptions, outputIndex: number): Value {
    const [inputIndex, axesIndex] = this.operands(operator, 2);
    const input = this.value(inputIndex);
    const rank = this.tensor(inputIndex).shape.length;
    const tfliteAxes = [...readInt32Constant(this.model, this.tensor(axesIndex))].map((axis) => (axis < 0 ? axis + rank : axis));
    const axes = input.layout === 'NCHW' ? tfliteAxes.map(nhwcAxisToNchw) : tfliteAxes;
    let layout = input.layout;
    if (!options.keepDims && input.layout === 'NCHW') {
      // Dropping axes leaves the rest in NCHW order; that is only the TFLite order when the
      // surviving axes keep their relative order in both layouts.
      const kept = [0, 1, 2, 3].filter((axis) => !tfliteAxes.includes(axis)).map(nhwcAxisToNchw);
      if (kept.some((axis, i) => i > 0 && axis < kept[i - 1]!)) {
        throw new Error(`${operator.opName} ${this.tensor(inputIndex).name}: this reduction without keep_dims is not supported`);
      }
      layout = 'TFLITE';
    }
    const keepdims = attr.int(options.keepDims ? 1 : 0);
    const outputName = this.outputName(outputIndex);
    if (operator.opName === 'SUM') {
      // Opset 13 moved ReduceSum's axes to an input; the other reductions keep the attribute.
      const axesName = this.builder.addInt64Initializer(`${outputName}/axes`, axes);
      this.builder.addNode('ReduceSum', [input.name, axesName], outputName, { keepdims });
    } else {
      this.builder.addNode('ReduceMax', [input.name], outputName, { axes: attr.ints(axes), keepdims });
    }
    return { name: outputName, layout };
  }

  // --- helpers ---------------------------------------------------------------------------

  /** Input tensor indices of an operator, checking that the first `required` are present. */
  private operands(operator: TfliteOperator, required: number): [number, number, number] {
    const [first = -1, second = -1, third = -1] = operator.inputs;
    if ([first, second, third].slice(0, required).some((index) => index < 0)) {
      throw new Error(`${operator.opName}: expected at least ${required} inputs`);
    }
    return [first, second, third];
  }

  /** ONNX name of an activation, transposed to the layout the consuming node needs. */
  private activation(index: number, layout: Value['layout'], opName: string): string {
    const value = this.value(index);
    if (value.layout === layout) return value.name;
    if (this.tensor(index).shape.length !== 4) {
      throw new Error(`${opName}: expected a 4-D input, got ${this.tensor(index).name} [${this.tensor(index).shape}]`);
    }
    const perm = layout === 'NCHW' ? NHWC_TO_NCHW : NCHW_TO_NHWC;
    const name = this.builder.uniqueName(`${value.name}/${layout === 'NCHW' ? 'nchw' : 'nhwc'}`);
    return this.builder.addNode('Transpose', [value.name], name, { perm: attr.ints(perm) });
  }

  /** Emits `opType` followed by the fused activation, the last node writing the output tensor. */
  private emitWithActivation(
    opType: string,
    inputs: string[],
    attributes: Record<string, AttributeValue>,
    activation: ActivationName,
    outputIndex: number,
    layout: Value['layout'],
  ): Value {
    const outputName = this.outputName(outputIndex);
    if (activation === 'NONE') {
      this.builder.addNode(opType, inputs, outputName, attributes);
      return { name: outputName, layout };
    }
    const preActivation = this.builder.addNode(opType, inputs, this.builder.uniqueName(`${outputName}/pre_activation`), attributes);
    switch (activation) {
      case 'RELU':
        this.builder.addNode('Relu', [preActivation], outputName);
        break;
      case 'RELU6':
      case 'RELU_N1_TO_1': {
        const [low, high] = activation === 'RELU6' ? [0, 6] : [-1, 1];
        const min = this.builder.addFloatInitializer(`${outputName}/min`, [], Float32Array.of(low));
        const max = this.builder.addFloatInitializer(`${outputName}/max`, [], Float32Array.of(high));
        this.builder.addNode('Clip', [preActivation, min, max], outputName);
        break;
      }
      default:
        throw new Error(`fused activation ${activation} is not supported (on ${this.tensor(outputIndex).name})`);
    }
    return { name: outputName, layout };
  }

  /** Adds a float constant unchanged. */
  private plainConstant(tensor: TfliteTensor): string {
    return this.builder.addFloatInitializer(tensor.name, tensor.shape, readFloat32Constant(this.model, tensor));
  }

  /** Adds a float constant with its axes permuted. */
  private layoutConstant(tensor: TfliteTensor, perm: readonly number[]): string {
    const permuted = transpose({ data: readFloat32Constant(this.model, tensor), shape: tensor.shape }, perm);
    return this.builder.addFloatInitializer(tensor.name, permuted.shape, permuted.data);
  }

  /**
   * Adds a constant operand of an elementwise operator so that it broadcasts against an
   * activation in `layout` as it did against the NHWC activation in TFLite: against NCHW it
   * is padded to rank 4 with leading 1s (numpy broadcasting) and then transposed, so a
   * per-channel [C] vector becomes [1, C, 1, 1].
   */
  private broadcastConstant(tensor: TfliteTensor, layout: Value['layout']): string {
    if (layout !== 'NCHW') return this.plainConstant(tensor);
    if (tensor.shape.length > 4) throw new Error(`constant ${tensor.name} has rank above 4`);
    const padded = [...new Array<number>(4 - tensor.shape.length).fill(1), ...tensor.shape];
    const permuted = transpose({ data: readFloat32Constant(this.model, tensor), shape: padded }, NHWC_TO_NCHW);
    return this.builder.addFloatInitializer(tensor.name, permuted.shape, permuted.data);
  }
}

/** The operator's decoded options, checked to be of the kind its lowering expects. */
function optionsOf<Kind extends OperatorOptions['kind']>(
  operator: TfliteOperator,
  kind: Kind,
): Extract<OperatorOptions, { kind: Kind }> {
  if (operator.options.kind !== kind) {
    throw new Error(`${operator.opName}: expected ${kind} options, found ${operator.options.kind}`);
  }
  return operator.options as Extract<OperatorOptions, { kind: Kind }>;
}

function autoPad(padding: PaddingName): AttributeValue {
  // TFLite SAME puts the odd padding pixel at the end, which is ONNX SAME_UPPER. auto_pad
  // (rather than explicit pads) keeps this right when the input size is dynamic.
  return attr.string(padding === 'SAME' ? 'SAME_UPPER' : 'VALID');
}
