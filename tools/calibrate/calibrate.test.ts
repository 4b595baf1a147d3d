import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import { alignmentTransform, applyAffine, ARCFACE_TEMPLATE_112 } from '@facecloud/vision';
import { gridRegions } from './regions';
import { seededRandom } from '@facecloud/clustering';
import { generateNonFaces } from './synthetic';

test('gridRegions: squares inside the image, template landmarks, at most the number asked for', () => {
  const regions = gridRegions(640, 480, seededRandom(1), 30);
  assert.equal(regions.length, 30);
  for (const { box, landmarks } of regions) {
    assert.ok(box.x1 >= 0 && box.y1 >= 0 && box.x2 <= 640 && box.y2 <= 480, JSON.stringify(box));
    assert.ok(Math.abs(box.x2 - box.x1 - (box.y2 - box.y1)) < 1e-9 && box.x2 - box.x1 >= 24);
    // Aligning the region maps its landmarks exactly onto the template: the crop is the region.
    const transform = alignmentTransform(landmarks);
    landmarks.forEach((point, i) => {
      const mapped = applyAffine(transform, point);
      assert.ok(Math.abs(mapped.x - (ARCFACE_TEMPLATE_112[i].x + 0.5)) < 1e-6 && Math.abs(mapped.y - (ARCFACE_TEMPLATE_112[i].y + 0.5)) < 1e-6);
    });
  }
  assert.deepEqual(gridRegions(640, 480, seededRandom(1), 30), regions, 'deterministic for a seed');
  assert.deepEqual(gridRegions(20, 20, seededRandom(1), 30), [], 'nothing smaller than 24 px');
});

test('generateNonFaces: every category, deterministic, real pictures', async () => {
  const images = await generateNonFaces(2, 7);
  assert.deepEqual(
    images.map((image) => image.name),
    ['texture-00', 'text-00', 'diagram-00', 'texture-01', 'text-01', 'diagram-01'],
  );
  const again = await generateNonFaces(2, 7);
  assert.ok(images.every((image, i) => image.png.equals(again[i].png)));
  for (const image of images) {
    const { format, width, height } = await sharp(image.png).metadata();
    assert.deepEqual([format, width, height], ['png', 400, 300]);
    const { channels } = await sharp(image.png).stats();
    assert.ok(channels.some((channel) => channel.stdev > 10), `${image.name} is not blank`);
  }
});
