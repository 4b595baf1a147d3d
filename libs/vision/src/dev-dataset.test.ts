import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { skipWithoutDatasets } from '../../../tools/support/paths';
import { FaceAnalyzer, type PhotoAnalysis } from './face-analyzer';
import { cosineSimilarity } from './vector';
import { percentile } from '../../../tools/bench/stats';
import { labelledFace } from '../../../tools/eval/labelled-face';
import { bestBalancedAccuracy, mean } from '../../../tools/eval/metrics';
import {
  devDatasetDir,
  readDevManifest,
  skipWithoutModels,
  TEST_DECODE_OPTIONS,
  visionModelsDir,
  type ManifestEntry,
} from './test-fixtures';

/*
 * Quality checks on the real photos of the dev set. Every photo is analysed once (≈ 10–15 s on
 * two CPU cores); the subtests assert on that single pass and print the measured numbers.
 */

interface AnalysedPhoto {
  entry: ManifestEntry;
  analysis: PhotoAnalysis;
  milliseconds: number;
}

const skip = skipWithoutDatasets || skipWithoutModels;

test('dev dataset: detection and embedding quality', { skip }, async (t) => {
  const analyzer = await FaceAnalyzer.create({ modelsDir: visionModelsDir, runtime: { provider: 'cpu' }, decode: TEST_DECODE_OPTIONS });
  const photos: AnalysedPhoto[] = [];
  try {
    for (const entry of readDevManifest()) {
      const bytes = readFileSync(join(devDatasetDir, entry.path));
      const started = performance.now();
      const analysis = await analyzer.analyze(bytes);
      photos.push({ entry, analysis, milliseconds: performance.now() - started });
    }
  } finally {
    await analyzer.close();
  }
  const milliseconds = photos.map((photo) => photo.milliseconds).sort((a, b) => a - b);
  t.diagnostic(
    `${photos.length} photos on CPU: median ${percentile(milliseconds, 0.5).toFixed(0)} ms, ` +
      `p90 ${percentile(milliseconds, 0.9).toFixed(0)} ms, max ${milliseconds[milliseconds.length - 1].toFixed(0)} ms per photo`,
  );

  const people = photos.filter((photo) => photo.entry.kind === 'people');

  await t.test('a face is found on nearly every people/ photo', (t) => {
    const groups: [string, AnalysedPhoto[], number][] = [
      ['ordinary photos', people.filter((photo) => !photo.entry.hardCase), 0.95],
      ['tight 150 px grey TV crops', people.filter((photo) => photo.entry.hardCase === 'tv-crop'), 0.75],
      ['150 px "John" face chips', people.filter((photo) => photo.entry.hardCase === 'face-chip'), 0.75],
    ];
    for (const [label, subset, minimumRate] of groups) {
      const found = subset.filter((photo) => photo.analysis.faces.length > 0).length;
      const rate = found / subset.length;
      t.diagnostic(`${label}: face found on ${found}/${subset.length} (${(rate * 100).toFixed(1)} %)`);
      assert.ok(rate >= minimumRate, `${label}: ${rate}`);
    }
  });

  await t.test('few or no faces on noface/ photos', (t) => {
    const noface = photos.filter((photo) => photo.entry.kind === 'noface');
    const falsePositives = noface.filter((photo) => photo.analysis.faces.length > 0);
    t.diagnostic(`noface: ${falsePositives.length}/${noface.length} photos with a detection ${falsePositives.map((photo) => photo.entry.path).join(' ')}`);
    assert.ok(falsePositives.length <= 2);
  });

  await t.test('group photos give several faces', (t) => {
    const groups = photos.filter((photo) => photo.entry.kind === 'groups');
    const counts = groups.map((photo) => photo.analysis.faces.length);
    t.diagnostic(`groups: faces per photo ${counts.join(', ')}`);
    assert.ok(counts.every((count) => count >= 2), 'every group photo has at least 2 faces');
    assert.ok(counts.reduce((sum, count) => sum + count, 0) >= 50);
  });

  await t.test('same identity is much closer than different identities', (t) => {
    const labelled = people.flatMap((photo) => {
      const face = labelledFace(photo.analysis);
      return face ? [{ identity: photo.entry.identity, embedding: face.embedding }] : [];
    });
    const same: number[] = [];
    const different: number[] = [];
    for (let i = 0; i < labelled.length; i++) {
      for (let j = i + 1; j < labelled.length; j++) {
        const similarity = cosineSimilarity(labelled[i].embedding, labelled[j].embedding);
        (labelled[i].identity === labelled[j].identity ? same : different).push(similarity);
      }
    }
    const { accuracy, threshold } = bestBalancedAccuracy(same, different);
    t.diagnostic(
      `${labelled.length} labelled faces: mean cosine same ${mean(same).toFixed(3)} (${same.length} pairs), ` +
        `different ${mean(different).toFixed(3)} (${different.length} pairs); ` +
        `best balanced verification accuracy ${(accuracy * 100).toFixed(1)} % at cosine ${threshold.toFixed(3)}`,
    );
    assert.ok(mean(same) - mean(different) > 0.5);
    assert.ok(accuracy > 0.95);
  });
});
