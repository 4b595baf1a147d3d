import { rebuildIndexes } from '@facecloud/storage';
import { parseCommandArgs, withDatabase, type AdminCommand } from '../command';

export const reindexCommand: AdminCommand = {
  name: 'reindex',
  synopsis: '',
  summary: 'rebuild the indexes of the photo and face tables (pgvector HNSW included) and refresh statistics',
  async run(argv) {
    parseCommandArgs(argv, {});
    const startedAt = performance.now();
    const tables = await withDatabase((database) => rebuildIndexes(database.pool));
    console.log(`rebuilt the indexes of ${tables.join(', ')} in ${((performance.now() - startedAt) / 1000).toFixed(1)} s`);
    return 0;
  },
};
