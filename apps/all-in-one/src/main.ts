import 'reflect-metadata';
import { bootstrapHttp } from '@facecloud/platform';
import { AllInOneModule } from './all-in-one.module';

void bootstrapHttp(AllInOneModule);
