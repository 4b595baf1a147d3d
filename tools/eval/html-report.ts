import sharp from 'sharp';
import type { EvalReport, FilterReport, GallerySection, VerificationReport } from './evaluate';
import { CLUSTERING_COLUMNS, clusteringRows, fixed, percent } from './summary';

/** Height of the pictures in the report (face thumbnails are 112 px; photos are shrunk to it). */
const PICTURE_HEIGHT = 112;

/** One self-contained HTML page: the numbers, then the errors with their pictures as data: URIs. */
export async function renderHtmlReport(report: EvalReport, gallery: readonly GallerySection[]): Promise<string> {
  const sections = await Promise.all(gallery.map(renderGallerySection));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Facecloud evaluation</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: left; }
th { background: #f3f3f3; }
figure { display: inline-block; margin: 4px; vertical-align: top; max-width: 360px; }
figcaption { font-size: 12px; color: #555; word-break: break-all; }
img { height: ${PICTURE_HEIGHT}px; margin-right: 2px; }
.note { color: #666; }
</style></head><body>
<h1>Facecloud evaluation</h1>
<p>${escape(report.dataset.dir)} · ${report.pipeline.embedder} on ${report.pipeline.executionProvider} · flip TTA
${report.pipeline.flipAugment ? 'on' : 'off'} · blur threshold ${fixed(report.pipeline.thresholds.blur, 2)} · trash threshold
${fixed(report.pipeline.thresholds.trash, 4)} · ${report.pipeline.seconds} s</p>
${renderNumbers(report)}
<h2>Errors</h2>
${sections.join('\n')}
</body></html>
`;
}

function renderNumbers(report: EvalReport): string {
  const { dataset, detection, verification, filters, clustering } = report;
  return [
    '<h2>Dataset</h2>',
    table(['people', 'identities', 'groups', 'noface', 'blurry', 'unreadable'], [
      [dataset.photos.people, dataset.identities, dataset.photos.groups, dataset.photos.noface, dataset.photos.blurry, dataset.unreadable.length],
    ]),
    '<h2>Detection</h2>',
    table(['photos', 'without a face', 'faces per photo 0 / 1 / 2 / 3+', 'mean'], [
      [
        `people/ ${detection.people.photos}`,
        detection.people.withoutFace,
        ['0', '1', '2', '3+'].map((key) => detection.people.facesPerPhoto[key as '0']).join(' / '),
        fixed(detection.people.meanFaces, 2),
      ],
      [`blurry/ ${detection.blurry.photos}`, detection.blurry.withoutFace, '', ''],
      [`groups/ ${detection.groups.photos}`, '', `${detection.groups.faces} faces`, ''],
    ]),
    table(['noface/', 'faces', 'photos with faces'], [
      ['before the trash filter', detection.noface.faces, `${detection.noface.photosWithFaces}/${detection.noface.photos}`],
      [
        'after the trash filter',
        detection.noface.facesAfterTrashFilter,
        `${detection.noface.photosWithFacesAfterTrashFilter}/${detection.noface.photos}`,
      ],
    ]),
    table(['labelled face kinds', 'face', 'blurry', 'trash'], [
      ['people/', detection.labelledKinds.people.face, detection.labelledKinds.people.blurry, detection.labelledKinds.people.trash],
      ['blurry/', detection.labelledKinds.blurry.face, detection.labelledKinds.blurry.blurry, detection.labelledKinds.blurry.trash],
    ]),
    '<h2>Verification</h2>',
    table(
      ['flip TTA', 'faces', 'same / different pairs', 'accuracy (threshold)', 'balanced accuracy (threshold)', 'TAR @ FAR 1e-3 (threshold)', 'AUC'],
      [verificationRow('on', verification.flipOn), verificationRow('off', verification.flipOff)],
    ),
    '<h2>Filters</h2>',
    table(
      ['filter', 'ROC AUC', 'threshold', 'caught', 'wrongly caught'],
      [
        filterRow('blur: blurry/ vs people/ faces', filters.blur),
        filterRow('trash: noface/ detections vs people/ faces', filters.trash),
        filterRow('trash: noface/ low-threshold detections vs people/ faces', filters.trashHardNegatives),
      ],
    ),
    `<p class="note">${escape(filters.note)}</p>`,
    '<h2>Clustering</h2>',
    '<p class="note">Persons as a clustering run of the service makes them: every face the pipeline kept as a face, labelled or not; scores over the labelled faces. Sub-libraries are whole identities drawn at random.</p>',
    table(CLUSTERING_COLUMNS, clusteringRows(clustering)),
  ].join('\n');
}

function verificationRow(label: string, v: VerificationReport): (string | number)[] {
  return [
    label,
    v.faces,
    `${v.samePairs} / ${v.differentPairs}`,
    `${percent(v.accuracy.accuracy, 2)} (${fixed(v.accuracy.threshold)})`,
    `${percent(v.balancedAccuracy.accuracy, 2)} (${fixed(v.balancedAccuracy.threshold)})`,
    `${percent(v.tarAtFar1e3.tar, 2)} (${fixed(v.tarAtFar1e3.threshold)})`,
    fixed(v.auc, 5),
  ];
}

function filterRow(label: string, f: FilterReport): (string | number)[] {
  return [label, fixed(f.auc, 4), fixed(f.threshold, 4), `${f.caught}/${f.positives}`, `${f.wronglyCaught}/${f.negatives}`];
}

function table(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = (tag: string, values: readonly (string | number)[]) => values.map((value) => `<${tag}>${escape(String(value))}</${tag}>`).join('');
  return `<table><tr>${cells('th', header)}</tr>${rows.map((row) => `<tr>${cells('td', row)}</tr>`).join('')}</table>`;
}

async function renderGallerySection(section: GallerySection): Promise<string> {
  const figures = await Promise.all(
    section.items.map(async (item) => {
      const images = await Promise.all(item.images.map(dataUri));
      return `<figure>${images.map((uri) => `<img src="${uri}" alt="">`).join('')}<figcaption>${escape(item.caption)}</figcaption></figure>`;
    }),
  );
  const body = figures.length ? figures.join('') : '<p class="note">none</p>';
  return `<h3>${escape(section.title)}</h3><p class="note">${escape(section.note)}</p>${body}`;
}

/** Any picture as a small JPEG data: URI, so the page needs no other files. */
async function dataUri(picture: Buffer): Promise<string> {
  const jpeg = await sharp(picture, { autoOrient: true })
    .resize({ height: PICTURE_HEIGHT, withoutEnlargement: true })
    .jpeg({ quality: 80 })
    .toBuffer();
  return `data:image/jpeg;base64,${jpeg.toString('base64')}`;
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
