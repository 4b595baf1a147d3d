export { PeopleModule } from './people.module';
export {
  PeopleService,
  type MergeSnapshotEntry,
  type MergeView,
  type MoveTarget,
  type PersonListRequest,
  type SnapshotFace,
} from './people.service';
export { PhotoPreviewService, type PhotoPreview } from './photo-preview.service';
export { toFaceView, toPersonView, faceThumbnailUrl, type FaceView, type PersonView } from './views';
export { encodeCursor, faceCursorParam, personCursorParam } from './cursors';
