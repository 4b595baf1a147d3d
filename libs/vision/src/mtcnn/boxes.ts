import type { Box } from '../image';
import type { BoxRegression } from './candidate';

export function boxWidth(box: Box): number {
  return box.x2 - box.x1;
}

export function boxHeight(box: Box): number {
  return box.y2 - box.y1;
}

export function boxArea(box: Box): number {
  return Math.max(0, boxWidth(box)) * Math.max(0, boxHeight(box));
}

/** Moves each edge by its predicted offset, scaled by the box size (MTCNN's bbreg). */
export function applyRegression(box: Box, regression: BoxRegression): Box {
  const width = boxWidth(box);
  const height = boxHeight(box);
  return {
    x1: box.x1 + regression.dx1 * width,
    y1: box.y1 + regression.dy1 * height,
    x2: box.x2 + regression.dx2 * width,
    y2: box.y2 + regression.dy2 * height,
  };
}

/** The square with the same centre and the longer side (R-Net and O-Net take square crops). */
export function squareBox(box: Box): Box {
  const side = Math.max(boxWidth(box), boxHeight(box));
  const centerX = (box.x1 + box.x2) / 2;
  const centerY = (box.y1 + box.y2) / 2;
  return { x1: centerX - side / 2, y1: centerY - side / 2, x2: centerX + side / 2, y2: centerY + side / 2 };
}

export function clipBox(box: Box, width: number, height: number): Box {
  return {
    x1: clamp(box.x1, 0, width),
    y1: clamp(box.y1, 0, height),
    x2: clamp(box.x2, 0, width),
    y2: clamp(box.y2, 0, height),
  };
}

export function scaleBox(box: Box, scaleX: number, scaleY: number): Box {
  return { x1: box.x1 * scaleX, y1: box.y1 * scaleY, x2: box.x2 * scaleX, y2: box.y2 * scaleY };
}

function clamp(value: number, min: number, max: number): number {
  return value < min ? min : value > max ? max : value;
}
