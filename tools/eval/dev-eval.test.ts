import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { skipWithoutModels, visionModelsDir } from '../../libs/vision/src/test-fixtures';
import { datasetsDir, skipWithoutDatasets } from '../support/paths';
import { runEvaluation } from './evaluate';
import { formatSummary } from './summary';

/*
 * The evaluation on the dev set, with floors a little below what the pipeline measured when the
 * quality filters were calibrated (see libs/vision/artifacts): a regression in detection,
 * embedding, the filters or clustering shows up here. The filter numbers are in-sample (the
 * filters were calibrated on this set); their held-out AUCs are in the artifacts.
 */

test('dev set evaluation', { skip: skipWithoutDatasets || skipWithoutModels }, async (t) => {
  const { report } = await runEvaluation({
    datasetDir: join(datasetsDir, 'dev'),
    modelsDir: visionModelsDir,
    runtime: { provider: 'cpu' },
    flipAugment: true,
    incremental: true,
  });
  t.diagnostic(formatSummary(report));
  const { detection, verification, filters, clustering } = report;

  assert.ok(detection.people.withoutFace <= 3, `people/ photos without a face: ${detection.people.withoutFace}`);
  assert.ok(detection.noface.facesAfterTrashFilter <= detection.noface.faces);
  assert.equal(detection.noface.facesAfterTrashFilter, 0, 'no face survives the trash filter on noface/');
  assert.ok(detection.labelledKinds.people.face >= 0.97 * detection.people.photos, 'labelled faces are kept as faces');
  assert.equal(detection.labelledKinds.blurry.face, 0, 'no blurry/ face passes as a sharp face');

  for (const [setting, result] of Object.entries(verification)) {
    assert.ok(result.accuracy.accuracy > 0.995, `${setting}: accuracy ${result.accuracy.accuracy}`);
    assert.ok(result.tarAtFar1e3.tar > 0.97, `${setting}: TAR@FAR=1e-3 ${result.tarAtFar1e3.tar}`);
  }
  assert.ok(filters.blur.auc !== null && filters.blur.auc > 0.99, `blur AUC ${filters.blur.auc}`);
  assert.ok(filters.trashHardNegatives.auc !== null && filters.trashHardNegatives.auc > 0.99, `trash AUC ${filters.trashHardNegatives.auc}`);

  const full = clustering.libraries.at(-1)!;
  // HDBSCAN, the method before average linkage, had BCubed F1 0.968 on the dev set's labelled faces alone.
  assert.ok(full.after.bcubed.f1 >= 0.968, `BCubed F1 ${full.after.bcubed.f1}`);
  assert.ok(full.after.pairwise.f1 > 0.95, `pairwise F1 ${full.after.pairwise.f1}`);
  assert.ok(full.after.mixedPersonsShare <= 0.03, `persons mixing identities ${full.after.mixedPersonsShare}`);
  assert.ok(full.after.leftOutShare <= 0.03, `faces left out ${full.after.leftOutShare}`);
  assert.ok(Math.abs(full.after.persons - full.after.identities) <= 8, `${full.after.persons} persons for ${full.after.identities} identities`);
  assert.ok(full.after.bcubed.f1 >= full.before.bcubed.f1, `average linkage ${full.after.bcubed.f1} vs HDBSCAN ${full.before.bcubed.f1}`);

  // Uploads in a random order with incremental assignment between scheduled runs: a final full
  // run makes the same persons as a run from scratch, and moves few faces.
  const incremental = clustering.incremental!;
  assert.ok(incremental.fullRuns >= 2, `${incremental.fullRuns} scheduled runs`);
  assert.ok(incremental.assignedBetweenRuns > 0);
  assert.deepEqual(incremental.afterFinalRun.bcubed, full.after.bcubed);
  assert.ok(incremental.changedShare <= 0.05, `the final run moved ${incremental.changedShare} of the faces`);
});
