import 'reflect-metadata';
import { bootstrapBackground } from '@facecloud/platform';
import { ClustererModule } from './clusterer.module';

/** Periodic clustering of faces into persons. One instance is enough. */
void bootstrapBackground(ClustererModule);
