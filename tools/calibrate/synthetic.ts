import sharp from 'sharp';
import { seededRandom } from '@facecloud/clustering';

/**
 * Generated non-face pictures for the trash set: textures, text and diagrams drawn as SVG and
 * rendered with sharp (librsvg). Deterministic for a given seed, so calibration is repeatable.
 */

export type SyntheticCategory = 'texture' | 'text' | 'diagram';

export interface SyntheticImage {
  name: string;
  category: SyntheticCategory;
  /** PNG bytes. */
  png: Buffer;
}

const WIDTH = 400;
const HEIGHT = 300;
const WORDS = (
  'the of and to in is that for it as with was on be by this are from at or an have not which but all were ' +
  'total revenue quarter figure table results model input output value error index report page chapter data'
).split(' ');
const FONTS = ['DejaVu Sans', 'DejaVu Serif', 'DejaVu Sans Mono', 'sans-serif', 'serif'];


/** `countPerCategory` images of each category. */
export async function generateNonFaces(countPerCategory: number, seed: number): Promise<SyntheticImage[]> {
  const random = seededRandom(seed);
  const drawers: Record<SyntheticCategory, (random: () => number) => string> = { texture, text, diagram };
  const images: SyntheticImage[] = [];
  for (let i = 0; i < countPerCategory; i++) {
    for (const category of Object.keys(drawers) as SyntheticCategory[]) {
      const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}">${drawers[category](random)}</svg>`;
      const png = await sharp(Buffer.from(svg)).flatten({ background: '#ffffff' }).png().toBuffer();
      images.push({ name: `${category}-${String(i).padStart(2, '0')}`, category, png });
    }
  }
  return images;
}

function texture(random: () => number): string {
  const kinds = [stripes, checkerboard, bubbles, rings, speckles];
  return kinds[Math.floor(random() * kinds.length)](random);
}

function stripes(random: () => number): string {
  const period = 6 + random() * 40;
  const angle = random() * 180;
  const [a, b] = [colour(random), colour(random)];
  const bands = Array.from({ length: Math.ceil(1000 / period) }, (_, i) =>
    i % 2 ? '' : `<rect x="${i * period - 500}" y="-500" width="${period}" height="1000" fill="${b}"/>`,
  ).join('');
  return `<rect width="100%" height="100%" fill="${a}"/><g transform="translate(${WIDTH / 2} ${HEIGHT / 2}) rotate(${angle})">${bands}</g>`;
}

function checkerboard(random: () => number): string {
  const cell = 8 + random() * 40;
  const [a, b] = [colour(random), colour(random)];
  const cells: string[] = [];
  for (let y = 0; y * cell < HEIGHT; y++) {
    for (let x = 0; x * cell < WIDTH; x++) {
      if ((x + y) % 2) cells.push(`<rect x="${x * cell}" y="${y * cell}" width="${cell}" height="${cell}" fill="${b}"/>`);
    }
  }
  return `<rect width="100%" height="100%" fill="${a}"/>${cells.join('')}`;
}

function bubbles(random: () => number): string {
  const circles = Array.from({ length: 20 + Math.floor(random() * 120) }, () => {
    const r = 3 + random() * 40;
    return `<circle cx="${random() * WIDTH}" cy="${random() * HEIGHT}" r="${r}" fill="${colour(random)}" fill-opacity="${0.4 + random() * 0.6}"/>`;
  });
  return `<rect width="100%" height="100%" fill="${colour(random)}"/>${circles.join('')}`;
}

function rings(random: () => number): string {
  const [cx, cy] = [random() * WIDTH, random() * HEIGHT];
  const step = 4 + random() * 14;
  const stroke = colour(random);
  const circles = Array.from({ length: Math.ceil(500 / step) }, (_, i) =>
    `<circle cx="${cx}" cy="${cy}" r="${(i + 1) * step}" fill="none" stroke="${stroke}" stroke-width="${1 + random() * step * 0.5}"/>`,
  );
  return `<rect width="100%" height="100%" fill="${colour(random)}"/>${circles.join('')}`;
}

function speckles(random: () => number): string {
  const dots = Array.from({ length: 600 }, () => {
    const size = 1 + random() * 6;
    return `<rect x="${random() * WIDTH}" y="${random() * HEIGHT}" width="${size}" height="${size}" fill="${grey(random)}"/>`;
  });
  return `<rect width="100%" height="100%" fill="${grey(random)}"/>${dots.join('')}`;
}

function text(random: () => number): string {
  const size = 10 + random() * 26;
  const font = FONTS[Math.floor(random() * FONTS.length)];
  const ink = random() < 0.7 ? '#111' : colour(random);
  const lines: string[] = [];
  for (let y = size * 1.3; y < HEIGHT; y += size * (1.2 + random() * 0.5)) {
    const words = Array.from({ length: 3 + Math.floor(random() * 8) }, () => WORDS[Math.floor(random() * WORDS.length)]);
    lines.push(`<text x="${8 + random() * 20}" y="${y}" font-family="${font}" font-size="${size}" fill="${ink}">${words.join(' ')}</text>`);
  }
  const paper = random() < 0.7 ? '#ffffff' : lightColour(random);
  return `<rect width="100%" height="100%" fill="${paper}"/>${lines.join('')}`;
}

function diagram(random: () => number): string {
  const kinds = [barChart, lineChart, pieChart, flowchart];
  return `<rect width="100%" height="100%" fill="#ffffff"/>${kinds[Math.floor(random() * kinds.length)](random)}`;
}

function axes(): string {
  return `<path d="M40 20 V260 H380" stroke="#000" stroke-width="2" fill="none"/>` +
    Array.from({ length: 5 }, (_, i) => `<text x="8" y="${260 - i * 55}" font-family="DejaVu Sans" font-size="11">${i * 25}</text>`).join('');
}

function barChart(random: () => number): string {
  const count = 3 + Math.floor(random() * 9);
  const width = 320 / count;
  const bars = Array.from({ length: count }, (_, i) => {
    const height = 20 + random() * 220;
    return `<rect x="${45 + i * width}" y="${260 - height}" width="${width * 0.7}" height="${height}" fill="${colour(random)}"/>`;
  });
  return axes() + bars.join('');
}

function lineChart(random: () => number): string {
  const series = Array.from({ length: 1 + Math.floor(random() * 3) }, () => {
    let y = 60 + random() * 180;
    const points = Array.from({ length: 12 }, (_, i) => {
      y = Math.min(255, Math.max(25, y + (random() - 0.5) * 60));
      return `${45 + i * 30},${y.toFixed(1)}`;
    });
    return `<polyline points="${points.join(' ')}" fill="none" stroke="${colour(random)}" stroke-width="${1 + random() * 3}"/>`;
  });
  return axes() + series.join('');
}

function pieChart(random: () => number): string {
  const [cx, cy, r] = [200, 150, 70 + random() * 60];
  const shares = Array.from({ length: 2 + Math.floor(random() * 6) }, () => 0.2 + random());
  const total = shares.reduce((sum, share) => sum + share, 0);
  let angle = -Math.PI / 2;
  return shares
    .map((share) => {
      const next = angle + (share / total) * 2 * Math.PI;
      const large = next - angle > Math.PI ? 1 : 0;
      const [x1, y1, x2, y2] = [cx + r * Math.cos(angle), cy + r * Math.sin(angle), cx + r * Math.cos(next), cy + r * Math.sin(next)];
      const path = `M${cx},${cy} L${x1},${y1} A${r},${r} 0 ${large} 1 ${x2},${y2} Z`;
      angle = next;
      return `<path d="${path}" fill="${colour(random)}" stroke="#fff" stroke-width="2"/>`;
    })
    .join('');
}

function flowchart(random: () => number): string {
  const boxes = Array.from({ length: 3 + Math.floor(random() * 4) }, (_, i) => ({
    x: 20 + (i % 3) * 130 + random() * 20,
    y: 30 + Math.floor(i / 3) * 130 + random() * 30,
  }));
  const shapes = boxes.map(
    (box) =>
      `<rect x="${box.x}" y="${box.y}" width="100" height="50" rx="${random() * 15}" ` +
      `fill="${lightColour(random)}" stroke="#333" stroke-width="2"/>` +
      `<text x="${box.x + 10}" y="${box.y + 30}" font-family="DejaVu Sans" font-size="13">${WORDS[Math.floor(random() * WORDS.length)]}</text>`,
  );
  const arrows = boxes.slice(1).map(
    (box, i) => `<line x1="${boxes[i].x + 100}" y1="${boxes[i].y + 25}" x2="${box.x}" y2="${box.y + 25}" stroke="#333" stroke-width="2"/>`,
  );
  return shapes.join('') + arrows.join('');
}

function colour(random: () => number): string {
  return `rgb(${Math.floor(random() * 256)},${Math.floor(random() * 256)},${Math.floor(random() * 256)})`;
}

function lightColour(random: () => number): string {
  return `rgb(${180 + Math.floor(random() * 76)},${180 + Math.floor(random() * 76)},${180 + Math.floor(random() * 76)})`;
}

function grey(random: () => number): string {
  const level = Math.floor(random() * 256);
  return `rgb(${level},${level},${level})`;
}
