import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatChecksums, parseChecksums } from './checksums';

test('SHA256SUMS round-trips in sha256sum format', () => {
  const entries = [
    { file: 'a.onnx', sha256: 'a'.repeat(64) },
    { file: 'b.onnx', sha256: '0123456789abcdef'.repeat(4) },
  ];
  const text = formatChecksums(entries);
  assert.equal(text, `${'a'.repeat(64)}  a.onnx\n${'0123456789abcdef'.repeat(4)}  b.onnx\n`);
  assert.deepEqual(parseChecksums(text), entries);
  assert.throws(() => parseChecksums('not a checksum line'), /malformed/);
});
