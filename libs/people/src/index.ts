export { PeopleModule } from './people.module';
export { PeopleService, type MergeView, type MoveTarget, type PersonListRequest } from './people.service';
export { planMerge, planUndo, type MergePlan, type MergeSnapshotEntry, type SnapshotFace, type UndoPlan } from './merge-plan';
export { PhotoPreviewService, type PhotoPreview } from './photo-preview.service';
export { toFaceView, toPersonView, faceThumbnailUrl, type FaceView, type PersonView } from './views';
export { encodeCursor, faceCursorParam, personCursorParam } from './cursors';
