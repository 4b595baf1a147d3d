export { LoggingModule } from './logging.module';
export { bootstrapHttp, bootstrapBackground } from './bootstrap';
