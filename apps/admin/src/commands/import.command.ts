import { loadConfig } from '@facecloud/config';
import { IngestModule, UploadModule } from '@facecloud/ingest';
import { OutboxRelayRunner, QueueModule } from '@facecloud/queue';
import { IngestWorker } from '../../../worker/src/ingest-worker';
import { UsageError, parseCommandArgs, userIdArg, withServices, type AdminCommand } from '../command';
import { formatSummary, importFolder } from '../import/folder-import';

export const importCommand: AdminCommand = {
  name: 'import',
  synopsis: '<folder> [--user ID] [--process] [--no-wait] [--timeout SECONDS]',
  summary:
    'upload every photo under the folder (recursively) into the user\'s library, with progress;\n' +
    'resumable: photos already in are skipped. Waits until they are processed unless --no-wait;\n' +
    '--process runs the pipeline in this process too (always so with the embedded database)',
  async run(argv) {
    const { values, positionals } = parseCommandArgs(
      argv,
      {
        user: { type: 'string' },
        process: { type: 'boolean', default: false },
        'no-wait': { type: 'boolean', default: false },
        timeout: { type: 'string' },
        'progress-interval': { type: 'string' },
      },
      true,
    );
    if (positionals.length !== 1) throw new UsageError('give exactly one folder to import');
    const userId = userIdArg(values.user);
    const timeoutSeconds = values.timeout === undefined ? undefined : Number(values.timeout);
    if (timeoutSeconds !== undefined && !(timeoutSeconds > 0)) throw new UsageError(`--timeout must be a positive number of seconds`);
    const intervalMs = Number(values['progress-interval'] ?? 1000);
    if (!(intervalMs >= 100)) throw new UsageError('--progress-interval must be at least 100 (ms)');

    // PGlite allows one process, so with the embedded database nobody else can process.
    const processHere = values.process || !loadConfig().DATABASE_URL;
    const imports = [QueueModule, UploadModule, ...(processHere ? [IngestModule] : [])];
    // The relay publishes the import's jobs with Kafka even when no API process runs; a job
    // published twice by two relays is processed once (workers are idempotent).
    const providers = [OutboxRelayRunner, ...(processHere ? [IngestWorker] : [])];
    const summary = await withServices(
      imports,
      (app) =>
        importFolder(app, {
          folder: positionals[0],
          userId,
          wait: !values['no-wait'],
          waitTimeoutMs: timeoutSeconds && timeoutSeconds * 1000,
          plainProgressIntervalMs: intervalMs,
        }),
      providers,
    );
    console.log(formatSummary(summary));
    return summary.processing?.timedOut ? 3 : 0;
  },
};
