/** Encodes the in-memory graph of `onnx-graph.ts` as an ONNX protobuf file. */
import { onnx } from 'onnx-proto';
import type { AttributeValue, OnnxDim, OnnxInitializer, OnnxModel, OnnxValueInfo } from './onnx-graph';

/** IR version 7 is the first to allow opset 13; we ask no more of the runtime than that. */
const IR_VERSION = 7;
export const PRODUCER_NAME = 'facecloud-model-converter';
export const PRODUCER_VERSION = '1.0.0';

export function encodeOnnxModel(model: OnnxModel): Uint8Array {
  const { graph } = model;
  const proto = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    producerName: PRODUCER_NAME,
    producerVersion: PRODUCER_VERSION,
    opsetImport: [{ domain: '', version: model.opsetVersion }],
    metadataProps: Object.entries(model.metadata).map(([key, value]) => ({ key, value })),
    graph: {
      name: graph.name,
      node: graph.nodes.map((node) => ({
        name: node.name,
        opType: node.opType,
        input: node.inputs,
        output: node.outputs,
        attribute: Object.entries(node.attributes).map(([name, value]) => encodeAttribute(name, value)),
      })),
      initializer: graph.initializers.map(encodeInitializer),
      input: graph.inputs.map(encodeValueInfo),
      output: graph.outputs.map(encodeValueInfo),
    },
  });
  return onnx.ModelProto.encode(proto).finish();
}

function encodeAttribute(name: string, value: AttributeValue): onnx.IAttributeProto {
  const Type = onnx.AttributeProto.AttributeType;
  switch (value.type) {
    case 'int':
      return { name, type: Type.INT, i: value.value };
    case 'ints':
      return { name, type: Type.INTS, ints: value.value };
    case 'float':
      return { name, type: Type.FLOAT, f: value.value };
    case 'string':
      return { name, type: Type.STRING, s: new TextEncoder().encode(value.value) };
  }
}

function encodeInitializer(initializer: OnnxInitializer): onnx.ITensorProto {
  const { data } = initializer;
  return {
    name: initializer.name,
    dims: initializer.dims,
    dataType: tensorDataType(data),
    // raw_data is little-endian by definition, like the typed arrays on every platform Node runs on.
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

function tensorDataType(data: OnnxInitializer['data']): onnx.TensorProto.DataType {
  const { DataType } = onnx.TensorProto;
  if (data instanceof Float32Array) return DataType.FLOAT;
  if (data instanceof BigInt64Array) return DataType.INT64;
  if (data instanceof Int32Array) return DataType.INT32;
  if (data instanceof Int8Array) return DataType.INT8;
  return DataType.UINT8;
}

function encodeValueInfo(value: OnnxValueInfo): onnx.IValueInfoProto {
  return {
    name: value.name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: value.dims.map(encodeDim) },
      },
    },
  };
}

function encodeDim(dim: OnnxDim): onnx.TensorShapeProto.IDimension {
  return typeof dim === 'number' ? { dimValue: dim } : { dimParam: dim };
}

/** Graph input or output shapes of an encoded model, symbolic dimensions by name. */
export function readBoundaryShapes(bytes: Uint8Array): { inputs: OnnxValueInfo[]; outputs: OnnxValueInfo[] } {
  const graph = onnx.ModelProto.decode(bytes).graph;
  const toValueInfo = (value: onnx.IValueInfoProto): OnnxValueInfo => ({
    name: value.name ?? '',
    dims: (value.type?.tensorType?.shape?.dim ?? []).map((dim) =>
      dim.dimParam ? dim.dimParam : Number(dim.dimValue ?? 0),
    ),
  });
  return { inputs: (graph?.input ?? []).map(toValueInfo), outputs: (graph?.output ?? []).map(toValueInfo) };
}
