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

/**
 * Parses pgvector's binary form (`vector_send(v)`, selected as bytea): the same layout as
 * toVectorParam. Reading 100k embeddings this way takes a fraction of parsing their text.
 */
export function vectorFromSend(bytes: Buffer): Float32Array {
  const dimension = bytes.readInt16BE(0);
  if (bytes.length !== 4 + 4 * dimension) throw new Error(`not a vector_send value: ${bytes.length} bytes for dimension ${dimension}`);
  const values = new Float32Array(dimension);
  for (let i = 0; i < dimension; i++) values[i] = bytes.readFloatBE(4 + 4 * i);
  return values;
}
