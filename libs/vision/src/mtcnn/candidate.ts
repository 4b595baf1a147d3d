import type { Box, Point } from '../image';

/** Box corrections predicted by the networks, as fractions of the box width/height. */
export interface BoxRegression {
  dx1: number;
  dy1: number;
  dx2: number;
  dy2: number;
}

/** A face hypothesis moving through the cascade; coordinates are working-image pixels. */
export interface Candidate {
  box: Box;
  score: number;
  regression: BoxRegression;
  landmarks?: Point[];
}

/** The regression of row `index` in a network's [N, 4] (dx1, dy1, dx2, dy2) output. */
export function regressionAt(values: Float32Array, index: number): BoxRegression {
  return {
    dx1: values[index * 4],
    dy1: values[index * 4 + 1],
    dx2: values[index * 4 + 2],
    dy2: values[index * 4 + 3],
  };
}
