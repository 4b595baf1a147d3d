import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseVector, toVectorParam, vectorFromSend } from './vector';

test('binary vector parameter has the pgvector header and big-endian floats', () => {
  const buffer = toVectorParam(Float32Array.of(1.5, -2));
  assert.equal(buffer.length, 12);
  assert.equal(buffer.readInt16BE(0), 2);
  assert.equal(buffer.readInt16BE(2), 0);
  assert.equal(buffer.readFloatBE(4), 1.5);
  assert.equal(buffer.readFloatBE(8), -2);
});

test('text vectors parse back to floats', () => {
  assert.deepEqual(Array.from(parseVector('[0.5,-1,3e-2]')), [0.5, -1, Math.fround(0.03)]);
  assert.equal(parseVector('[]').length, 0);
  assert.throws(() => parseVector('0.5,1'));
});

test('vector_send bytes parse back to the floats that were bound', () => {
  const values = Float32Array.of(0.25, -1, 3e-7);
  assert.deepEqual(vectorFromSend(toVectorParam(values)), values);
  assert.throws(() => vectorFromSend(Buffer.from([0, 3, 0, 0, 1, 2])), /not a vector_send value/);
});
