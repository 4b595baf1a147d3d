import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_MTCNN_OPTIONS, resolveMtcnnOptions } from './options';

test('resolveMtcnnOptions fills in defaults and ignores undefined overrides', () => {
  assert.deepEqual(resolveMtcnnOptions(), DEFAULT_MTCNN_OPTIONS);
  assert.deepEqual(resolveMtcnnOptions({ minFaceSize: 60, maxFaces: undefined }), { ...DEFAULT_MTCNN_OPTIONS, minFaceSize: 60 });
  assert.deepEqual(resolveMtcnnOptions({ thresholds: [0.5, 0.6, 0.9] }).thresholds, [0.5, 0.6, 0.9]);
  assert.equal(resolveMtcnnOptions({ pyramid: 'packed' }).pyramid, 'packed');
});

test('resolveMtcnnOptions rejects values the cascade cannot work with', () => {
  assert.throws(() => resolveMtcnnOptions({ minFaceSize: 8 }), RangeError);
  assert.throws(() => resolveMtcnnOptions({ scaleFactor: 1 }), RangeError);
  assert.throws(() => resolveMtcnnOptions({ thresholds: [0.6, 0.7, 1.5] }), RangeError);
  assert.throws(() => resolveMtcnnOptions({ maxFaces: 0 }), RangeError);
  assert.throws(() => resolveMtcnnOptions({ pyramid: 'tiled' as never }), RangeError);
});
