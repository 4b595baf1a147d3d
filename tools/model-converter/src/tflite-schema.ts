/**
 * The parts of the TFLite flatbuffer schema (tensorflow/lite/schema/schema.fbs) that the
 * reader needs: field slots of the tables we read, and the enums we decode.
 *
 * Field slots are the 0-based declaration order of each table's fields in schema.fbs.
 */

/** Field slots per table. */
export const ModelField = { version: 0, operatorCodes: 1, subgraphs: 2, description: 3, buffers: 4 } as const;
export const OperatorCodeField = { deprecatedBuiltinCode: 0, customCode: 1, version: 2, builtinCode: 3 } as const;
export const SubGraphField = { tensors: 0, inputs: 1, outputs: 2, operators: 3, name: 4 } as const;
export const TensorField = { shape: 0, type: 1, buffer: 2, name: 3, quantization: 4, shapeSignature: 7 } as const;
export const QuantizationField = { min: 0, max: 1, scale: 2, zeroPoint: 3 } as const;
export const OperatorField = { opcodeIndex: 0, inputs: 1, outputs: 2, builtinOptionsType: 3, builtinOptions: 4 } as const;
export const BufferField = { data: 0, offset: 1, size: 2 } as const;

export const Conv2DOptionsField = {
  padding: 0, strideW: 1, strideH: 2, fusedActivation: 3, dilationW: 4, dilationH: 5,
} as const;
export const DepthwiseConv2DOptionsField = {
  padding: 0, strideW: 1, strideH: 2, depthMultiplier: 3, fusedActivation: 4, dilationW: 5, dilationH: 6,
} as const;
export const Pool2DOptionsField = {
  padding: 0, strideW: 1, strideH: 2, filterWidth: 3, filterHeight: 4, fusedActivation: 5,
} as const;
export const FullyConnectedOptionsField = { fusedActivation: 0, weightsFormat: 1, keepNumDims: 2 } as const;
/** AddOptions, SubOptions, MulOptions and DivOptions all start with the fused activation. */
export const ArithmeticOptionsField = { fusedActivation: 0 } as const;
export const ReducerOptionsField = { keepDims: 0 } as const;
export const ReshapeOptionsField = { newShape: 0 } as const;

/** `BuiltinOptions` union tags of the option tables we decode. */
export const BuiltinOptionsType = {
  Conv2DOptions: 1,
  DepthwiseConv2DOptions: 2,
  Pool2DOptions: 5,
  FullyConnectedOptions: 8,
  AddOptions: 11,
  ReshapeOptions: 17,
  MulOptions: 21,
  ReducerOptions: 27,
  SubOptions: 28,
  DivOptions: 29,
} as const;

/** `TensorType` enum, indexed by its value. */
export const TENSOR_TYPE_NAMES = [
  'FLOAT32', 'FLOAT16', 'INT32', 'UINT8', 'INT64', 'STRING', 'BOOL', 'INT16', 'COMPLEX64', 'INT8', 'FLOAT64',
] as const;
export type TensorTypeName = (typeof TENSOR_TYPE_NAMES)[number];

/** `ActivationFunctionType` enum, indexed by its value. */
export const ACTIVATION_NAMES = ['NONE', 'RELU', 'RELU_N1_TO_1', 'RELU6', 'TANH', 'SIGN_BIT'] as const;
export type ActivationName = (typeof ACTIVATION_NAMES)[number];

/** `Padding` enum, indexed by its value. */
export const PADDING_NAMES = ['SAME', 'VALID'] as const;
export type PaddingName = (typeof PADDING_NAMES)[number];

/**
 * `BuiltinOperator` enum, indexed by its value (0..126). Kept complete up to BATCH_MATMUL so
 * that an unsupported operator is reported by name rather than by number.
 */
export const BUILTIN_OPERATOR_NAMES: readonly string[] = [
  /*   0 */ 'ADD', 'AVERAGE_POOL_2D', 'CONCATENATION', 'CONV_2D', 'DEPTHWISE_CONV_2D',
  /*   5 */ 'DEPTH_TO_SPACE', 'DEQUANTIZE', 'EMBEDDING_LOOKUP', 'FLOOR', 'FULLY_CONNECTED',
  /*  10 */ 'HASHTABLE_LOOKUP', 'L2_NORMALIZATION', 'L2_POOL_2D', 'LOCAL_RESPONSE_NORMALIZATION', 'LOGISTIC',
  /*  15 */ 'LSH_PROJECTION', 'LSTM', 'MAX_POOL_2D', 'MUL', 'RELU',
  /*  20 */ 'RELU_N1_TO_1', 'RELU6', 'RESHAPE', 'RESIZE_BILINEAR', 'RNN',
  /*  25 */ 'SOFTMAX', 'SPACE_TO_DEPTH', 'SVDF', 'TANH', 'CONCAT_EMBEDDINGS',
  /*  30 */ 'SKIP_GRAM', 'CALL', 'CUSTOM', 'EMBEDDING_LOOKUP_SPARSE', 'PAD',
  /*  35 */ 'UNIDIRECTIONAL_SEQUENCE_RNN', 'GATHER', 'BATCH_TO_SPACE_ND', 'SPACE_TO_BATCH_ND', 'TRANSPOSE',
  /*  40 */ 'MEAN', 'SUB', 'DIV', 'SQUEEZE', 'UNIDIRECTIONAL_SEQUENCE_LSTM',
  /*  45 */ 'STRIDED_SLICE', 'BIDIRECTIONAL_SEQUENCE_RNN', 'EXP', 'TOPK_V2', 'SPLIT',
  /*  50 */ 'LOG_SOFTMAX', 'DELEGATE', 'BIDIRECTIONAL_SEQUENCE_LSTM', 'CAST', 'PRELU',
  /*  55 */ 'MAXIMUM', 'ARG_MAX', 'MINIMUM', 'LESS', 'NEG',
  /*  60 */ 'PADV2', 'GREATER', 'GREATER_EQUAL', 'LESS_EQUAL', 'SELECT',
  /*  65 */ 'SLICE', 'SIN', 'TRANSPOSE_CONV', 'SPARSE_TO_DENSE', 'TILE',
  /*  70 */ 'EXPAND_DIMS', 'EQUAL', 'NOT_EQUAL', 'LOG', 'SUM',
  /*  75 */ 'SQRT', 'RSQRT', 'SHAPE', 'POW', 'ARG_MIN',
  /*  80 */ 'FAKE_QUANT', 'REDUCE_PROD', 'REDUCE_MAX', 'PACK', 'LOGICAL_OR',
  /*  85 */ 'ONE_HOT', 'LOGICAL_AND', 'LOGICAL_NOT', 'UNPACK', 'REDUCE_MIN',
  /*  90 */ 'FLOOR_DIV', 'REDUCE_ANY', 'SQUARE', 'ZEROS_LIKE', 'FILL',
  /*  95 */ 'FLOOR_MOD', 'RANGE', 'RESIZE_NEAREST_NEIGHBOR', 'LEAKY_RELU', 'SQUARED_DIFFERENCE',
  /* 100 */ 'MIRROR_PAD', 'ABS', 'SPLIT_V', 'UNIQUE', 'CEIL',
  /* 105 */ 'REVERSE_V2', 'ADD_N', 'GATHER_ND', 'COS', 'WHERE',
  /* 110 */ 'RANK', 'ELU', 'REVERSE_SEQUENCE', 'MATRIX_DIAG', 'QUANTIZE',
  /* 115 */ 'MATRIX_SET_DIAG', 'ROUND', 'HARD_SWISH', 'IF', 'WHILE',
  /* 120 */ 'NON_MAX_SUPPRESSION_V4', 'NON_MAX_SUPPRESSION_V5', 'SCATTER_ND', 'SELECT_V2', 'DENSIFY',
  /* 125 */ 'SEGMENT_SUM', 'BATCH_MATMUL',
];

/** The 4-byte file identifier at offset 4 of every TFLite flatbuffer. */
export const TFLITE_FILE_IDENTIFIER = 'TFL3';
