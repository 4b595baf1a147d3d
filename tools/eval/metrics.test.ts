import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  bcubedScores,
  bestAccuracy,
  bestBalancedAccuracy,
  chooseThreshold,
  pairwiseScores,
  rocAuc,
  rocCurve,
  sampleRoc,
  tarAtFar,
  youden,
  type PrecisionRecall,
} from './metrics';

function assertScores(actual: PrecisionRecall, precision: number, recall: number): void {
  assert.ok(Math.abs(actual.precision - precision) < 1e-12, `precision ${actual.precision}, expected ${precision}`);
  assert.ok(Math.abs(actual.recall - recall) < 1e-12, `recall ${actual.recall}, expected ${recall}`);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  assert.ok(Math.abs(actual.f1 - f1) < 1e-12, `f1 ${actual.f1}, expected ${f1}`);
}

test('pairwise and BCubed are 1 for the true partition, whatever the cluster ids', () => {
  assertScores(pairwiseScores([7, 7, 3, 3, 5], ['a', 'a', 'b', 'b', 'c']), 1, 1);
  assertScores(bcubedScores([7, 7, 3, 3, 5], ['a', 'a', 'b', 'b', 'c']), 1, 1);
});

test('pairwise and BCubed on a partition that splits one class and merges another', () => {
  // Classes a a a b; clusters {0 1} {2 3}.
  // Pairwise: clustered pairs (0,1) (2,3), true pairs (0,1) (0,2) (1,2): P = 1/2, R = 1/3.
  assertScores(pairwiseScores([0, 0, 1, 1], ['a', 'a', 'a', 'b']), 1 / 2, 1 / 3);
  // BCubed: per item precision 1, 1, 1/2, 1/2 and recall 2/3, 2/3, 1/3, 1.
  assertScores(bcubedScores([0, 0, 1, 1], ['a', 'a', 'a', 'b']), 3 / 4, 2 / 3);
});

test('all-singleton and all-in-one clusterings', () => {
  const classes = ['a', 'a', 'b', 'c'];
  assertScores(pairwiseScores([0, 1, 2, 3], classes), 1, 0);
  assertScores(bcubedScores([0, 1, 2, 3], classes), 1, (1 / 2 + 1 / 2 + 1 + 1) / 4);
  assertScores(pairwiseScores([0, 0, 0, 0], classes), 1 / 6, 1);
  assertScores(bcubedScores([0, 0, 0, 0], classes), (2 / 4 + 2 / 4 + 1 / 4 + 1 / 4) / 4, 1);
  assert.throws(() => pairwiseScores([0], ['a', 'b']), RangeError);
});

test('rocAuc counts ties as half and is 0.5 for indistinguishable scores', () => {
  assert.equal(rocAuc([3, 4], [1, 2]), 1);
  assert.equal(rocAuc([1, 2], [3, 4]), 0);
  assert.equal(rocAuc([1, 1], [1, 1]), 0.5);
  assert.equal(rocAuc([2, 3], [1, 2]), (1 + 1 + 0.5 + 1) / 4);
  assert.ok(Number.isNaN(rocAuc([], [1])));
});

test('rocCurve and sampleRoc', () => {
  const curve = rocCurve([0.9, 0.8, 0.4], [0.7, 0.3, 0.2, 0.1]);
  assert.deepEqual(curve[0], { threshold: 0.9, tpr: 1 / 3, fpr: 0 });
  assert.deepEqual(curve[curve.length - 1], { threshold: 0.1, tpr: 1, fpr: 1 });
  assert.deepEqual(
    sampleRoc(curve, { fprs: [0, 0.25], tprs: [1] }).map((p) => [p.threshold, p.tpr, p.fpr]),
    [
      [0.8, 2 / 3, 0],
      [0.4, 1, 0.25],
    ],
  );
});

test('chooseThreshold puts the cut halfway between neighbouring scores and honours maxFpr', () => {
  const choice = chooseThreshold([0.9, 0.8, 0.4], [0.7, 0.3, 0.2, 0.1], youden);
  assert.deepEqual(choice, { threshold: (0.4 + 0.3) / 2, tpr: 1, fpr: 0.25 });
  const strict = chooseThreshold([0.9, 0.8, 0.4], [0.7, 0.3, 0.2, 0.1], youden, 0);
  assert.deepEqual(strict, { threshold: (0.8 + 0.7) / 2, tpr: 2 / 3, fpr: 0 });
});

test('verification accuracy and TAR at FAR', () => {
  const same = [0.9, 0.8, 0.35];
  const different = [0.5, 0.3, 0.2, 0.1, 0, -0.1];
  const plain = bestAccuracy(same, different);
  assert.equal(plain.accuracy, 8 / 9);
  const balanced = bestBalancedAccuracy(same, different);
  assert.ok(Math.abs(balanced.accuracy - (1 + 5 / 6) / 2) < 1e-12);
  assert.ok(balanced.threshold > 0.3 && balanced.threshold < 0.35);
  // 6 different pairs: FAR 1e-3 allows none, so the threshold is the highest different score.
  assert.deepEqual(tarAtFar(same, different, 1e-3), { tar: 2 / 3, far: 0, threshold: 0.5 });
  // FAR 0.2 allows one false accept.
  assert.deepEqual(tarAtFar(same, different, 0.2), { tar: 1, far: 1 / 6, threshold: 0.3 });
});
