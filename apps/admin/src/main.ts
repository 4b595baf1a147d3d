import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { loadConfig } from '@facecloud/config';
import { FaceClusteringService } from '@facecloud/clustering';
import {
  ClusteringRunRepository,
  FaceRepository,
  IngestJobRepository,
  PersonRepository,
  openDatabaseFromConfig,
  runMigrations,
  type Database,
} from '@facecloud/storage';

const USAGE = `usage: npm run admin -- <command> [options]

commands:
  reprocess [--owner ID]   queue every photo again; workers redo those an older pipeline
                           (e.g. another embedder) produced, and failed ones, and skip the rest
  cluster [--owner ID]     re-cluster one owner's faces now (default: every changed library)
  help                     this text

Uses the same settings as the services (DATABASE_URL, DATA_DIR, ...). With the embedded
database, stop the service first: PGlite allows one process at a time.`;

async function reprocess(database: Database, ownerId: string | undefined): Promise<void> {
  const queued = await new IngestJobRepository().enqueueAll(database.pool, ownerId);
  console.log(`queued ${queued} photo(s)${ownerId ? ` of ${ownerId}` : ''} for reprocessing`);
}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { owner: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const [command = 'help'] = positionals;
  if (values.help || command === 'help') {
    console.log(USAGE);
    return 0;
  }
  if (!['reprocess', 'cluster'].includes(command)) {
    console.error(`unknown command "${command}"\n\n${USAGE}`);
    return 2;
  }
  const config = loadConfig();
  const database = await openDatabaseFromConfig(config);
  try {
    await runMigrations(database.pool);
    if (command === 'reprocess') await reprocess(database, values.owner);
    else {
      const clustering = new FaceClusteringService(database, config, new FaceRepository(), new PersonRepository(), new ClusteringRunRepository());
      if (values.owner) console.log(JSON.stringify(await clustering.clusterOwner(values.owner)));
      else console.log(`re-clustered ${await clustering.clusterChangedOwners()} changed librar(ies)`);
    }
    return 0;
  } finally {
    await database.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  },
);
