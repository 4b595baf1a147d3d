import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConcurrencyGate, GateFullError } from './concurrency-gate';

test('runs at most `concurrency` tasks at once, queues `maxWaiting` in order, refuses the rest without running them', async () => {
  const gate = new ConcurrencyGate(2, 3);
  let inFlight = 0;
  let mostInFlight = 0;
  const started: number[] = [];
  const task = (index: number) => async () => {
    started.push(index);
    inFlight++;
    mostInFlight = Math.max(mostInFlight, inFlight);
    await sleep(10);
    inFlight--;
    return index;
  };
  const outcomes = await Promise.allSettled(Array.from({ length: 8 }, (_, index) => gate.run(task(index))));
  assert.deepEqual(
    outcomes.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : (outcome.reason as Error).name)),
    [0, 1, 2, 3, 4, 'GateFullError', 'GateFullError', 'GateFullError'],
  );
  assert.equal(mostInFlight, 2);
  assert.deepEqual(started, [0, 1, 2, 3, 4], 'waiting tasks start in arrival order; refused ones never start');
  assert.deepEqual([gate.active, gate.queued], [0, 0]);
});

test('a failing task frees its turn; with no queue, a busy gate refuses at once', async () => {
  const gate = new ConcurrencyGate(1, 0);
  const failing = gate.run(async () => {
    await sleep(5);
    throw new Error('scrypt failed');
  });
  await assert.rejects(gate.run(async () => 'second'), (error: unknown) => error instanceof GateFullError);
  await assert.rejects(failing, /scrypt failed/);
  assert.equal(await gate.run(async () => 'after'), 'after');
  assert.throws(() => new ConcurrencyGate(0, 1), RangeError);
});
