export { PeopleModule } from './people.module';
export { PeopleService, type MergeView, type MoveTarget, type PersonListRequest } from './people.service';
export { planMerge, planUndo, type MergePlan, type MergeSnapshotEntry, type SnapshotFace, type UndoPlan } from './merge-plan';
export { FaceThumbnailService } from './face-thumbnail.service';
