import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { provisionUsers } from '../../tools/support/api-users';
import { describeSlice, sliceUploadLimitBytes, sliceUsers } from './slice';
import { startService } from '../../tools/support/service-process';

/** The embedded default: one process, PGlite, the PostgreSQL-table job queue. */
describeSlice('slice, embedded (all-in-one, PGlite, in-database queue)', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'facecloud-embedded-'));
  // PGlite allows one process: the users are written before the service opens the database.
  await provisionUsers({ DATA_DIR: dataDir }, Object.values(sliceUsers));
  const service = await startService('all-in-one', {
    DATA_DIR: dataDir,
    DATABASE_URL: '',
    KAFKA_BROKERS: '',
    CLUSTER_INTERVAL_SECONDS: '3600',
    UPLOAD_MAX_FILE_BYTES: String(sliceUploadLimitBytes),
  });
  return {
    baseUrl: service.baseUrl!,
    expected: { database: 'pglite', queue: 'postgres', runsModels: true },
    logs: () => service.logs,
    teardown: async () => {
      await service.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
});
