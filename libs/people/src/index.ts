export { PeopleModule } from './people.module';
export {
  PeopleService,
  type MergeSnapshotEntry,
  type MergeView,
  type MoveTarget,
  type PersonListRequest,
  type SnapshotFace,
} from './people.service';
export { FaceThumbnailService } from './face-thumbnail.service';
