/**
 * Runs TFLite models in Node with `@litertjs/core`, the reference runtime for the equivalence
 * tests. That package targets browsers and web workers: it loads its Emscripten glue with
 * `importScripts`, which Node lacks, so we provide a minimal worker-like global scope.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runInThisContext } from 'node:vm';

type LiteRtModule = typeof import('@litertjs/core', { with: { 'resolution-mode': 'import' } });

export interface TensorData {
  data: Float32Array;
  shape: number[];
}

interface WorkerScope {
  self?: unknown;
  importScripts?: (url: string) => void;
  ModuleFactory?: unknown;
  /** Emscripten module settings, picked up by the loader. */
  Module?: { printErr: (text: string) => void };
}

let loading: Promise<LiteRtModule> | undefined;

/** Loads the LiteRT WASM runtime once per process. */
export function loadLiteRt(): Promise<LiteRtModule> {
  loading ??= (async () => {
    installWorkerScope();
    // Stays a real dynamic import under module=node16, as the package is ESM-only.
    const litert = await import('@litertjs/core');
    const wasmDir = join(dirname(require.resolve('@litertjs/core/package.json')), 'wasm');
    // Loading tries WebGPU first and warns, with a stack trace, when there is none; the WASM
    // CPU path is what we want, so keep that warning out of the test output.
    const warn = console.warn;
    console.warn = (...args: unknown[]) => {
      if (!String(args[0]).startsWith('Failed to create default WebGPU device')) warn(...args);
    };
    try {
      await litert.loadLiteRt(`${wasmDir}/`);
    } finally {
      console.warn = warn;
    }
    return litert;
  })();
  return loading;
}

function installWorkerScope(): void {
  const scope = globalThis as WorkerScope;
  scope.self ??= globalThis;
  // The runtime logs an INFO line per model compiled and warns that it found no NPU on every
  // load; pass everything else through.
  scope.Module = {
    printErr: (text) => {
      if (!text.startsWith('INFO:') && !text.includes('NPU accelerator could not be loaded')) console.error(text);
    },
  };
  scope.importScripts = (url: string) => {
    const file = url.startsWith('file:') ? fileURLToPath(url) : url;
    const source = readFileSync(file, 'utf8');
    // Evaluate the Emscripten glue as a function body so that its Node code path finds
    // `require` and `__dirname` (to locate its .wasm), and hand back the factory it defines.
    const wrapped = `(function (require, __dirname, __filename) { ${source}\nreturn ModuleFactory; })`;
    const factory = runInThisContext(wrapped, { filename: file }) as (
      req: NodeJS.Require,
      dir: string,
      filename: string,
    ) => unknown;
    scope.ModuleFactory = factory(require, dirname(file), file);
  };
}

/** Runs a TFLite model on float32 inputs; outputs come back in the model's output order. */
export async function runTflite(model: Uint8Array, inputs: readonly TensorData[]): Promise<TensorData[]> {
  const litert = await loadLiteRt();
  const compiled = await litert.loadAndCompile(model, { accelerator: 'wasm' });
  const tensors = inputs.map((input) => new litert.Tensor(input.data, input.shape));
  try {
    const outputs = await compiled.run(tensors);
    const result = outputs.map((output) => ({
      data: Float32Array.from(output.toTypedArray() as Float32Array),
      shape: Array.from(output.type.layout.dimensions),
    }));
    outputs.forEach((output) => output.delete());
    return result;
  } finally {
    tensors.forEach((tensor) => tensor.delete());
    compiled.delete();
  }
}

/** Output tensor names of a TFLite model as the runtime reports them, in output order. */
export async function tfliteOutputNames(model: Uint8Array): Promise<string[]> {
  const litert = await loadLiteRt();
  const compiled = await litert.loadAndCompile(model, { accelerator: 'wasm' });
  try {
    return compiled.getOutputDetails().map((detail) => detail.name);
  } finally {
    compiled.delete();
  }
}
