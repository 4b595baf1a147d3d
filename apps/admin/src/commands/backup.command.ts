import { cp, mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { loadConfig, type AppConfig } from '@facecloud/config';
import { blobDirFromConfig, embeddedDirFromConfig, openDatabaseFromConfig, restoreEmbeddedDatabase } from '@facecloud/storage';
import { UsageError, parseCommandArgs, type AdminCommand } from '../command';
import { ServiceClient } from '../service-client';

/** What a backup folder holds; `restore` checks it. */
interface BackupManifest {
  format: 'facecloud-embedded-backup';
  version: 1;
  createdAt: string;
  /** PGlite's data directory as a gzipped tar (Database.backup). */
  database: string;
  /** The originals, laid out as in the blob store. */
  blobs: string;
  blobCount: number;
  /** "service": taken by the running service; "folder": the data folder was free. */
  takenBy: 'service' | 'folder';
}

const MANIFEST = 'backup.json';

function embeddedOnly(config: AppConfig, what: string): void {
  if (config.DATABASE_URL) {
    throw new UsageError(
      `${what} is for the embedded database (DATABASE_URL is set): back up PostgreSQL with pg_dump and BLOB_DIR with your file backup`,
    );
  }
}

async function isMissingOrEmpty(folder: string): Promise<boolean> {
  try {
    return (await readdir(folder)).length === 0;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw error;
  }
}

/** Copies the blob store's files (not its temporary uploads, kept in dot-folders); returns how many. */
async function copyBlobs(from: string, to: string): Promise<number> {
  if (await isMissingOrEmpty(from)) {
    await mkdir(to, { recursive: true });
    return 0;
  }
  // Blobs are written once and never changed (content-addressed), so a copy beside a running
  // service is a set of whole files.
  await cp(from, to, { recursive: true, force: false, filter: (source) => !basename(source).startsWith('.') || source === from });
  let count = 0;
  for (const entry of await readdir(to, { recursive: true, withFileTypes: true })) if (entry.isFile()) count++;
  return count;
}

export const backupCommand: AdminCommand = {
  name: 'backup',
  synopsis: '<new folder>',
  summary:
    'copy the embedded library (database and originals) into a new folder, consistent also while the\n' +
    'service runs (it takes the copy itself); restore it with: restore <folder>',
  async run(argv) {
    const { positionals } = parseCommandArgs(argv, {}, true);
    if (positionals.length !== 1) throw new UsageError('give the folder to write the backup into');
    const config = loadConfig();
    embeddedOnly(config, 'backup');
    const target = resolve(positionals[0]);
    if (!(await isMissingOrEmpty(target))) throw new UsageError(`${target} is not empty: back up into a new folder`);
    const startedAt = performance.now();

    const service = ServiceClient.forRunningService(config);
    let dump: Buffer;
    if (service) {
      dump = await service.bytes('/backup');
    } else {
      // Not migrated: the copy is of the folder as it is.
      const database = await openDatabaseFromConfig(config);
      try {
        dump = Buffer.from(await (await database.backup!()).arrayBuffer());
      } finally {
        await database.close();
      }
    }
    await mkdir(target, { recursive: true });
    await writeFile(join(target, 'database.tar.gz'), dump);
    // After the database: every photo in it has its original on disk already (an upload stores
    // the bytes before it commits the photo), so the copy below holds all of them.
    const blobCount = await copyBlobs(blobDirFromConfig(config), join(target, 'blobs'));
    const manifest: BackupManifest = {
      format: 'facecloud-embedded-backup',
      version: 1,
      createdAt: new Date().toISOString(),
      database: 'database.tar.gz',
      blobs: 'blobs',
      blobCount,
      takenBy: service ? 'service' : 'folder',
    };
    await writeFile(join(target, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    const megabytes = (dump.length / 1024 / 1024).toFixed(1);
    console.log(
      `backed up the database (${megabytes} MiB${service ? `, taken by ${service.description}` : ''}) and ${blobCount} original(s) ` +
        `to ${target} in ${((performance.now() - startedAt) / 1000).toFixed(1)} s`,
    );
    return 0;
  },
};

export const restoreCommand: AdminCommand = {
  name: 'restore',
  synopsis: '<backup folder>',
  summary:
    'recreate the embedded library from a backup into DATA_DIR, which must hold no database yet\n' +
    '(move the current one away first); no service may run on it meanwhile',
  async run(argv) {
    const { positionals } = parseCommandArgs(argv, {}, true);
    if (positionals.length !== 1) throw new UsageError('give the backup folder to restore');
    const config = loadConfig();
    embeddedOnly(config, 'restore');
    const source = resolve(positionals[0]);
    let manifest: BackupManifest;
    try {
      manifest = JSON.parse(await readFile(join(source, MANIFEST), 'utf8')) as BackupManifest;
    } catch {
      throw new UsageError(`${source} is not a backup folder (no readable ${MANIFEST})`);
    }
    if (manifest.format !== 'facecloud-embedded-backup' || manifest.version !== 1) {
      throw new UsageError(`${source}: unknown backup format ${manifest.format} ${manifest.version}`);
    }
    const databaseDir = resolve(embeddedDirFromConfig(config));
    if (!(await isMissingOrEmpty(databaseDir))) {
      throw new UsageError(`${databaseDir} holds a database already: restore only into a new DATA_DIR (or move that folder away first)`);
    }
    const startedAt = performance.now();
    const dump = await readFile(join(source, manifest.database));
    let blobCount = 0;
    // The originals go back while the folder is still locked: no service starts on half a library.
    await restoreEmbeddedDatabase(databaseDir, new Blob([dump]), async () => {
      blobCount = await copyBlobs(join(source, manifest.blobs), blobDirFromConfig(config));
    });
    const size = (await stat(join(source, manifest.database))).size;
    console.log(
      `restored the database (${(size / 1024 / 1024).toFixed(1)} MiB, backed up ${manifest.createdAt}) and ${blobCount} original(s) ` +
        `into ${resolve(config.DATA_DIR)} in ${((performance.now() - startedAt) / 1000).toFixed(1)} s`,
    );
    return 0;
  },
};
