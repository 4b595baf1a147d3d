/**
 * pgvector's binary wire format: int16 dimension, int16 unused, then float32 big-endian.
 * Sent as a Buffer, node-postgres binds it as a binary parameter, which PostgreSQL (and,
 * above all, PGlite's WASM build) parses many times faster than the text form.
 */
export function toVectorParam(values: Float32Array | readonly number[]): Buffer {
  const buffer = Buffer.allocUnsafe(4 + 4 * values.length);
  buffer.writeInt16BE(values.length, 0);
  buffer.writeInt16BE(0, 2);
  for (let i = 0; i < values.length; i++) buffer.writeFloatBE(values[i], 4 + 4 * i);
  return buffer;
}

/** Parses pgvector's text output, `[0.1,0.2,...]`. */
export function parseVector(text: string): Float32Array {
  if (!text.startsWith('[') || !text.endsWith(']')) throw new Error(`not a vector: ${text.slice(0, 40)}`);
  const body = text.slice(1, -1);
  if (body === '') return new Float32Array(0);
  return Float32Array.from(body.split(','), Number);
}
