import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  BLUR_ARTIFACT_FILE,
  loadBlurArtifact,
  loadTrashArtifact,
  parseBlurArtifact,
  parseTrashArtifact,
  TRASH_ARTIFACT_FILE,
  trashCentroidOf,
} from './artifacts';

test('the bundled artifacts are calibrated, versioned and consistent', async () => {
  const blur = await loadBlurArtifact();
  assert.equal(blur.version, 1);
  assert.ok(blur.threshold > 0 && blur.auc > 0.5 && blur.counts.sharpFaces > 0);
  const trash = await loadTrashArtifact();
  assert.equal(trash.embedderModel, 'mobilefacenet-192');
  assert.equal(trash.centroid.length, 192);
  assert.ok(trash.threshold > -1 && trash.threshold < 1);
  assert.ok(trash.auc.heldOut > 0.5 && trash.auc.calibration > 0.5);
  const centroid = trashCentroidOf(trash);
  assert.ok(Math.abs(Math.hypot(...centroid) - 1) < 1e-6);
});

test('artifacts are read from another folder when asked, and checked', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'facecloud-artifacts-'));
  try {
    const blur = { ...(await loadBlurArtifact()), threshold: 42 };
    await writeFile(join(dir, BLUR_ARTIFACT_FILE), JSON.stringify(blur));
    assert.equal((await loadBlurArtifact(dir)).threshold, 42);
    await assert.rejects(loadTrashArtifact(dir), new RegExp(TRASH_ARTIFACT_FILE));
  } finally {
    await rm(dir, { recursive: true });
  }
});

test('malformed artifacts are refused with the reason', () => {
  assert.throws(() => parseBlurArtifact([]), /not a JSON object/);
  assert.throws(() => parseBlurArtifact({ kind: 'facecloud.trash-sphere', version: 1, threshold: 3 }), /kind/);
  assert.throws(() => parseBlurArtifact({ kind: 'facecloud.blur-threshold', version: 2, threshold: 3 }), /version 2/);
  assert.throws(() => parseBlurArtifact({ kind: 'facecloud.blur-threshold', version: 1, threshold: -1 }), /threshold/);
  const trash = { kind: 'facecloud.trash-sphere', version: 1, embedderModel: 'm', threshold: 0.3, centroid: [0.6, 0.8] };
  assert.equal(parseTrashArtifact(trash).threshold, 0.3);
  assert.throws(() => parseTrashArtifact({ ...trash, centroid: [1, 1] }), /unit length/);
  assert.throws(() => parseTrashArtifact({ ...trash, centroid: [] }), /centroid/);
  assert.throws(() => parseTrashArtifact({ ...trash, threshold: 2 }), /threshold/);
});
