import { readFileSync } from 'node:fs';

/**
 * Whether this CPU has int8 dot-product instructions: AVX-512 VNNI or AVX-VNNI on x86-64,
 * the dot-product extension on arm64. The int8 MobileFaceNet runs onnxruntime's u8s8
 * kernels; without VNNI, x86-64 CPUs compute them with a saturating 16-bit multiply-add
 * (onnxruntime documents the saturation for u8s8 on AVX2 and AVX-512 without VNNI), which can
 * change the embeddings, and the int8 model is not the faster one there anyway. Read from
 * /proc/cpuinfo; false where that is missing (not Linux), so such hosts keep the float model.
 */
export function cpuHasInt8DotProduct(cpuinfo: string | undefined = readCpuinfo()): boolean {
  if (cpuinfo === undefined) return false;
  const flags = new Set((/^(?:flags|Features)\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? '').split(/\s+/));
  return flags.has('avx512_vnni') || flags.has('avx_vnni') || flags.has('asimddp');
}

function readCpuinfo(): string | undefined {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return undefined;
  }
}
