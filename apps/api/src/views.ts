import type { ClusteringRunView, FaceView, PersonView, PhotoFace, PhotoSummary } from '@facecloud/contract';
import type { ClusteringRun, FaceRecord, PersonRecord, Photo } from '@facecloud/storage';

/**
 * Answers of the API built from what the services return, typed by the contract. The links
 * to a face's and a photo's images are spelled here only.
 */

export const faceThumbnailUrl = (faceId: string) => `/faces/${faceId}/thumbnail`;
const photoUrl = (photoId: string) => `/photos/${photoId}/original`;
const photoPreviewUrl = (photoId: string) => `/photos/${photoId}/preview`;

export function toPersonView(person: PersonRecord): PersonView {
  return {
    id: person.id,
    name: person.name,
    hidden: person.hidden,
    faceCount: person.faceCount,
    photoCount: person.photoCount,
    coverFaceId: person.coverFaceId,
    coverThumbnailUrl: person.coverFaceId ? faceThumbnailUrl(person.coverFaceId) : null,
    createdAt: person.createdAt.toISOString(),
  };
}

export function toFaceView(face: FaceRecord): FaceView {
  return {
    id: face.id,
    personId: face.personId,
    personName: face.personName,
    photoId: face.photoId,
    box: face.box,
    quality: face.quality,
    kind: face.kind,
    assignedBy: face.assignedBy,
    thumbnailUrl: faceThumbnailUrl(face.id),
    photoUrl: photoUrl(face.photoId),
    photoPreviewUrl: photoPreviewUrl(face.photoId),
  };
}

/** A face on its photo, with what drawing it needs. */
export const toPhotoFace = (face: FaceRecord): PhotoFace => ({ ...toFaceView(face), landmarks: face.landmarks, score: face.detectionScore });

export function toPhotoSummary(photo: Photo): PhotoSummary {
  return {
    id: photo.id,
    status: photo.status,
    failureReason: photo.failureReason,
    fileName: photo.originalName,
    contentType: photo.contentType,
    byteSize: photo.byteSize,
    width: photo.width,
    height: photo.height,
    faceCount: photo.faceCount,
    uploadedAt: photo.uploadedAt.toISOString(),
    processedAt: photo.processedAt?.toISOString() ?? null,
  };
}

export function toClusteringRunView(run: ClusteringRun): ClusteringRunView {
  return {
    id: run.id,
    status: run.status,
    requestedBy: run.requestedBy,
    queuedAt: run.queuedAt.toISOString(),
    startedAt: run.status === 'queued' ? null : run.startedAt.toISOString(),
    finishedAt: run.finishedAt?.toISOString() ?? null,
    faceCount: run.faceCount,
    personCount: run.personCount,
    noiseCount: run.noiseCount,
    error: run.error,
  };
}
