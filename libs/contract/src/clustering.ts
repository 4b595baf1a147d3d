import { z } from 'zod';

/** Answers of /clustering. */

export const clusteringRunStatus = z.enum(['queued', 'running', 'done', 'failed']);
export type ClusteringRunStatus = z.infer<typeof clusteringRunStatus>;
export const clusteringRunRequester = z.enum(['schedule', 'user', 'admin']);
export type ClusteringRunRequester = z.infer<typeof clusteringRunRequester>;

export const clusteringRunView = z.object({
  id: z.uuid(),
  status: clusteringRunStatus,
  requestedBy: clusteringRunRequester,
  queuedAt: z.iso.datetime(),
  startedAt: z.iso.datetime().nullable(),
  finishedAt: z.iso.datetime().nullable(),
  faceCount: z.number().int().nullable(),
  personCount: z.number().int().nullable(),
  noiseCount: z.number().int().nullable(),
  error: z.string().nullable(),
});
export type ClusteringRunView = z.infer<typeof clusteringRunView>;
