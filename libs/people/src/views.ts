import type { FaceRecord, PersonRecord } from '@facecloud/storage';

/** A person as the API shows it. */
export interface PersonView {
  id: string;
  name: string | null;
  hidden: boolean;
  faceCount: number;
  photoCount: number;
  coverFaceId: string | null;
  coverThumbnailUrl: string | null;
  createdAt: Date;
}

/** A detection as the API shows it, with links to draw and fetch it. */
export interface FaceView {
  id: string;
  personId: string | null;
  personName: string | null;
  photoId: string;
  /** In the pixels of the EXIF-rotated original photo. */
  box: { x: number; y: number; width: number; height: number };
  quality: number;
  kind: FaceRecord['kind'];
  assignedBy: FaceRecord['assignedBy'];
  thumbnailUrl: string;
  photoUrl: string;
  photoPreviewUrl: string;
}

export const faceThumbnailUrl = (faceId: string) => `/faces/${faceId}/thumbnail`;

export function toPersonView(person: PersonRecord): PersonView {
  return {
    id: person.id,
    name: person.name,
    hidden: person.hidden,
    faceCount: person.faceCount,
    photoCount: person.photoCount,
    coverFaceId: person.coverFaceId,
    coverThumbnailUrl: person.coverFaceId ? faceThumbnailUrl(person.coverFaceId) : null,
    createdAt: person.createdAt,
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
    photoUrl: `/photos/${face.photoId}/original`,
    photoPreviewUrl: `/photos/${face.photoId}/preview`,
  };
}
