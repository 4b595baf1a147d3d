import type { EvalReport, FilterReport, VerificationReport } from './evaluate';
import type { LibraryScores } from './library-clustering';

/** The report as a few lines of text for the terminal. */
export function formatSummary(report: EvalReport): string {
  const { dataset, pipeline, detection, verification, filters, clustering } = report;
  const lines = [
    `dataset ${dataset.dir}: ${dataset.photos.people} people photos of ${dataset.identities} identities, ` +
      `${dataset.photos.groups} groups, ${dataset.photos.noface} noface, ${dataset.photos.blurry} blurry` +
      (dataset.unreadable.length ? `, ${dataset.unreadable.length} unreadable` : ''),
    `pipeline: ${pipeline.embedder} on ${pipeline.executionProvider}, flip TTA ${pipeline.flipAugment ? 'on' : 'off'}, ` +
      `blur threshold ${fixed(pipeline.thresholds.blur, 2)}, trash threshold ${fixed(pipeline.thresholds.trash, 4)}; ${pipeline.seconds} s`,
    '',
    'detection',
    `  people/: ${detection.people.photos - detection.people.withoutFace}/${detection.people.photos} photos with a face; ` +
      `faces per photo 0:${detection.people.facesPerPhoto['0']} 1:${detection.people.facesPerPhoto['1']} ` +
      `2:${detection.people.facesPerPhoto['2']} 3+:${detection.people.facesPerPhoto['3+']} (mean ${fixed(detection.people.meanFaces, 2)})`,
    `  blurry/: ${detection.blurry.photos - detection.blurry.withoutFace}/${detection.blurry.photos} photos with a face; ` +
      `groups/: ${detection.groups.faces} faces on ${detection.groups.photos} photos`,
    `  noface/: ${detection.noface.faces} faces on ${detection.noface.photosWithFaces}/${detection.noface.photos} photos before the ` +
      `trash filter, ${detection.noface.facesAfterTrashFilter} faces on ${detection.noface.photosWithFacesAfterTrashFilter} photos after`,
    `  labelled faces by kind: people/ ${kinds(detection.labelledKinds.people)}; blurry/ ${kinds(detection.labelledKinds.blurry)}`,
    `  labelled photos without a face: ${detection.labelledPhotosWithoutFace.join(' ') || 'none'}`,
    '',
    'verification (labelled people/ faces, all pairs)',
    verificationLine('flip TTA on ', verification.flipOn),
    verificationLine('flip TTA off', verification.flipOff),
    '',
    'filters',
    filterLine('blur  (blurry/ vs people/ faces)', filters.blur),
    filterLine('trash (noface/ detections vs people/ faces)', filters.trash),
    filterLine('trash (noface/ low-threshold detections vs people/ faces)', filters.trashHardNegatives),
    `  note: ${filters.note}`,
    '',
    'clustering: persons as a clustering run of the service makes them (every face kept as a face; scored over the labelled faces)',
    ...alignColumns([CLUSTERING_COLUMNS, ...clusteringRows(clustering)]).map((line) => `  ${line}`),
    `  impostor cosine (labelled faces of different identities): mean ${fixed(clustering.impostors.mean, 4)}, sd ${fixed(clustering.impostors.sd, 4)} over ${clustering.impostors.pairs} pairs`,
    ...(clustering.incremental ? incrementalLines(clustering.incremental) : []),
  ];
  return lines.join('\n');
}

export const CLUSTERING_COLUMNS = [
  'library',
  'photos',
  'faces',
  'identities',
  'strangers',
  'method',
  'persons',
  'pairwise P/R/F1',
  'BCubed P/R/F1',
  'people split',
  'strangers pulled in',
  'persons mixing',
  'left out',
];

/** One row per library and method (after, before), then the threshold curve on the full library. */
export function clusteringRows(clustering: EvalReport['clustering']): string[][] {
  const row = (scores: LibraryScores, method: string) => [
    scores.library,
    String(scores.photos),
    String(scores.faces),
    String(scores.identities),
    String(scores.strangers),
    method,
    String(scores.persons),
    [scores.pairwise.precision, scores.pairwise.recall, scores.pairwise.f1].map((x) => fixed(x)).join('/'),
    [scores.bcubed.precision, scores.bcubed.recall, scores.bcubed.f1].map((x) => fixed(x)).join('/'),
    String(scores.splitPeople),
    `${scores.strangersPulledIn} (${percent(scores.strangersPulledInShare)})`,
    `${scores.mixedPersons} (${percent(scores.mixedPersonsShare)})`,
    `${scores.leftOut} (${percent(scores.leftOutShare)})`,
  ];
  return [
    ...clustering.libraries.flatMap(({ after, before }) => [
      row(after, `average linkage, t ${fixed(after.threshold)}`),
      row(before, 'HDBSCAN (before)'),
    ]),
    ...clustering.thresholdCurve.map((scores) => row(scores, `average linkage, fixed t ${fixed(scores.threshold)}`)),
  ];
}

function incrementalLines(report: NonNullable<EvalReport['clustering']['incremental']>): string[] {
  const line = (scores: LibraryScores) =>
    `pairwise F1 ${fixed(scores.pairwise.f1)}, BCubed F1 ${fixed(scores.bcubed.f1)}, strangers pulled in ${percent(scores.strangersPulledInShare)}, ` +
    `persons mixing ${percent(scores.mixedPersonsShare)}, left out ${percent(scores.leftOutShare)}`;
  return [
    `  incremental: ${report.photos} photos uploaded in a random order, ${report.batchPhotos} per pass; ${report.fullRuns} scheduled full runs, ` +
      `${report.assignedBetweenRuns} faces assigned between runs; the final full run moved ${report.changedByFinalRun} of ${report.faces} faces (${percent(report.changedShare, 2)})`,
    `    before the final run: ${line(report.beforeFinalRun)}`,
    `    after it:             ${line(report.afterFinalRun)}`,
  ];
}

function alignColumns(rows: string[][]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  return rows.map((row) => row.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd());
}

function verificationLine(label: string, v: VerificationReport): string {
  return (
    `  ${label}: ${v.faces} faces, ${v.samePairs} same / ${v.differentPairs} different pairs; ` +
    `accuracy ${percent(v.accuracy.accuracy, 2)} at cosine ${fixed(v.accuracy.threshold)}, ` +
    `balanced ${percent(v.balancedAccuracy.accuracy, 2)} at ${fixed(v.balancedAccuracy.threshold)}; ` +
    `TAR ${percent(v.tarAtFar1e3.tar, 2)} @ FAR ${fixed(v.tarAtFar1e3.far, 5)} (target 1e-3, cosine > ${fixed(v.tarAtFar1e3.threshold)}); ` +
    `AUC ${fixed(v.auc, 5)}; mean cosine same ${fixed(v.meanSame)}, different ${fixed(v.meanDifferent)}`
  );
}

function filterLine(label: string, f: FilterReport): string {
  return (
    `  ${label}: ROC AUC ${f.auc === null ? 'n/a' : fixed(f.auc, 4)}; at threshold ${fixed(f.threshold, 4)} ` +
    `caught ${f.caught}/${f.positives}, wrongly caught ${f.wronglyCaught}/${f.negatives}`
  );
}

function kinds(counts: Record<string, number>): string {
  return Object.entries(counts).map(([kind, count]) => `${kind} ${count}`).join(', ');
}

export function fixed(value: number | null, digits = 3): string {
  return value === null || !Number.isFinite(value) ? 'n/a' : value.toFixed(digits);
}

export function percent(value: number, digits = 1): string {
  return Number.isFinite(value) ? `${(value * 100).toFixed(digits)} %` : 'n/a';
}
