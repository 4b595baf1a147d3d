import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openOnnxSessions } from './onnx-session';
import { modelsDir } from '../../../tools/support/paths';

const model = join(modelsDir, 'rnet.onnx');

/**
 * 'auto' must always give a working pipeline: CUDA where its provider loads, otherwise CPU
 * with the reason logged; an explicit 'cuda' must fail loudly rather than run on CPU.
 */
test('execution provider: auto falls back to CPU with a logged reason; cuda fails loudly without CUDA', async () => {
  const warnings: string[] = [];
  const auto = await openOnnxSessions([model], { provider: 'auto', logger: { warn: (message) => warnings.push(message) } });
  await Promise.all(auto.sessions.map((session) => session.release()));

  let cuda: Awaited<ReturnType<typeof openOnnxSessions>> | Error;
  try {
    cuda = await openOnnxSessions([model], { provider: 'cuda' });
    await Promise.all(cuda.sessions.map((session) => session.release()));
  } catch (error) {
    cuda = error as Error;
  }

  if (auto.executionProvider === 'cpu') {
    // No usable CUDA here (the common case on CI machines).
    assert.ok(cuda instanceof Error, 'an explicit cuda request must not silently run on CPU');
    assert.match(cuda.message, /CUDA execution provider requested but unavailable/);
  } else {
    assert.equal(auto.executionProvider, 'cuda');
    assert.ok(!(cuda instanceof Error) && cuda.executionProvider === 'cuda');
  }
  // A warning is logged only when falling back, and at most once per process.
  assert.ok(warnings.length <= 1);
  if (auto.executionProvider === 'cpu' && warnings.length === 1) assert.match(warnings[0], /CUDA unavailable.*using CPU/);

  const cpu = await openOnnxSessions([model], { provider: 'cpu' });
  assert.equal(cpu.executionProvider, 'cpu');
  await Promise.all(cpu.sessions.map((session) => session.release()));
});
