import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpuHasInt8DotProduct } from './cpu-int8';
import { resolvePrecision } from './face-analyzer';

const x64 = (flags: string) => `processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu sse2 ${flags}\n\nprocessor\t: 1\n`;

test('int8 dot-product instructions are read from the CPU flags', () => {
  assert.equal(cpuHasInt8DotProduct(x64('avx2 avx512f avx512_vnni')), true);
  assert.equal(cpuHasInt8DotProduct(x64('avx2 avx_vnni')), true);
  assert.equal(cpuHasInt8DotProduct('processor\t: 0\nFeatures\t: fp asimd asimddp\n'), true);
  assert.equal(cpuHasInt8DotProduct(x64('avx2 avx512f avx512bw')), false, 'AVX-512 without VNNI saturates u8s8');
  assert.equal(cpuHasInt8DotProduct(x64('avx2 fma')), false);
  assert.equal(cpuHasInt8DotProduct(''), false, 'unknown CPU: keep float');
});

test('auto picks int8 only on a CPU with int8 dot products; an explicit choice is kept', () => {
  assert.equal(resolvePrecision('auto', 'cpu', () => true), 'int8');
  assert.equal(resolvePrecision('auto', 'cpu', () => false), 'float32');
  assert.equal(resolvePrecision('auto', 'cuda', () => true), 'float32');
  assert.equal(resolvePrecision('int8', 'cpu', () => false), 'int8');
  assert.equal(resolvePrecision('float32', 'cpu', () => true), 'float32');
  assert.equal(resolvePrecision(undefined, 'cpu', () => true), 'float32');
});
