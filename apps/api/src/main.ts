import 'reflect-metadata';
import { bootstrapHttp } from '@facecloud/platform';
import { ApiModule } from './api.module';

/** HTTP API only: uploads, photos, people. Processing runs in worker processes. */
void bootstrapHttp(ApiModule);
