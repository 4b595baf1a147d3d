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
