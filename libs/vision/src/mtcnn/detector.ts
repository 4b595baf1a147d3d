import { join } from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';
import { assertRgbImage, type Box, type Point, type RgbImage } from '../image';
import {
  closeOnnxSessions,
  openOnnxSessions,
  type ExecutionProvider,
  type OnnxRuntimeOptions,
} from '../onnx-session';
import { clipBox } from './boxes';
import type { Candidate } from './candidate';
import { compareByScore } from './nms';
import { finalizeCandidates } from './onet';
import { resolveMtcnnOptions, type MtcnnOptions } from './options';
import { proposeCandidatesPacked } from './packed-pnet';
import { proposeCandidates } from './pnet';
import { buildPyramid, pyramidScales, type PyramidLevel } from './pyramid';
import { refineCandidates } from './rnet';
import { timeStage, type StageTimer } from '../stage-timer';

export const MTCNN_MODEL_FILES = { pnet: 'pnet.onnx', rnet: 'rnet.onnx', onet: 'onet.onnx' } as const;

export interface FaceDetection {
  /** Clipped to the image. */
  box: Box;
  /** O-Net face probability. */
  score: number;
  /** Left eye, right eye, nose, left mouth corner, right mouth corner (left/right as seen in the image). */
  landmarks: Point[];
}

/**
 * MTCNN face detector (P-Net → R-Net → O-Net). Coordinates in and out are the pixels of the image
 * passed in. Faces come back sorted by score, highest first (ties: left to right).
 */
export class MtcnnDetector {
  private constructor(
    private readonly pnet: InferenceSession,
    private readonly rnet: InferenceSession,
    private readonly onet: InferenceSession,
    readonly executionProvider: ExecutionProvider,
    readonly options: Readonly<MtcnnOptions>,
  ) {}

  static async create(modelsDir: string, runtime: OnnxRuntimeOptions, opts?: Partial<MtcnnOptions>): Promise<MtcnnDetector> {
    const options = resolveMtcnnOptions(opts);
    const { sessions, executionProvider } = await openOnnxSessions(
      [MTCNN_MODEL_FILES.pnet, MTCNN_MODEL_FILES.rnet, MTCNN_MODEL_FILES.onet].map((file) => join(modelsDir, file)),
      runtime,
    );
    const [pnet, rnet, onet] = sessions;
    return new MtcnnDetector(pnet, rnet, onet, executionProvider, options);
  }

  /** Faces in one image; the same as detectMany([image])[0]. */
  async detect(image: RgbImage): Promise<FaceDetection[]> {
    const [faces] = await this.detectMany([image]);
    return faces;
  }

  /**
   * Faces in each of several images (e.g. a micro-batch of photos): P-Net per pyramid level or
   * per canvas of packed levels (options.pyramid), then one R-Net and one O-Net run over the
   * candidate boxes of all the images. Returns one list per image, in order, each as detect()
   * gives it. `timer`, if given, is told the time of each stage (pyramid, pnet, rnet, onet).
   */
  async detectMany(images: readonly RgbImage[], timer?: StageTimer): Promise<FaceDetection[][]> {
    images.forEach(assertRgbImage);
    const { minFaceSize, scaleFactor, thresholds, maxFaces } = this.options;
    const pyramids = await timeStage(timer, 'pyramid', () =>
      Promise.all(images.map((image) => buildPyramid(image, pyramidScales(image.width, image.height, minFaceSize, scaleFactor)))),
    );
    const cropSources = images.map((image, index) => cropLevels(image, pyramids[index]));

    const proposals = await timeStage(timer, 'pnet', () => this.propose(pyramids));
    const refined = await timeStage(timer, 'rnet', () => refineCandidates(this.rnet, cropSources, proposals, thresholds[1]));
    const faces = await timeStage(timer, 'onet', () => finalizeCandidates(this.onet, cropSources, refined, thresholds[2]));

    return faces.map((photoFaces, index) => toDetections(photoFaces, images[index], maxFaces));
  }

  async close(): Promise<void> {
    await closeOnnxSessions([this.pnet, this.rnet, this.onet]);
  }

  /** Stage 1 for every photo; an image smaller than minFaceSize has no levels and no proposals. */
  private async propose(pyramids: readonly PyramidLevel[][]): Promise<Candidate[][]> {
    const threshold = this.options.thresholds[0];
    if (this.options.pyramid === 'packed') return proposeCandidatesPacked(this.pnet, pyramids, threshold);
    const proposals: Candidate[][] = [];
    for (const levels of pyramids) proposals.push(await proposeCandidates(this.pnet, levels, threshold));
    return proposals;
  }
}

function toDetections(faces: readonly Candidate[], image: RgbImage, maxFaces: number): FaceDetection[] {
  return faces
    .map((face) => ({ box: clipBox(face.box, image.width, image.height), score: face.score, landmarks: face.landmarks ?? [] }))
    .sort(compareByScore)
    .slice(0, maxFaces);
}

/**
 * Images R-Net and O-Net crops are resampled from: the pyramid plus the working image itself,
 * largest scale first (see pickLevelForCrop).
 */
function cropLevels(image: RgbImage, pyramid: readonly PyramidLevel[]): PyramidLevel[] {
  const levels = pyramid.filter((level) => level.image !== image);
  levels.push({ image, scaleX: 1, scaleY: 1 });
  return levels.sort((a, b) => b.scaleX - a.scaleX);
}
