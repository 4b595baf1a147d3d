/**
 * A throwaway PostgreSQL cluster for one test or benchmark run: initdb into a
 * temporary directory, start on a free loopback port, stop and delete it
 * afterwards. Started by the test runner (test/support/run-tests.ts) and by the
 * benchmarks; each test file or benchmark then makes its own scratch database
 * on it (scratch-database.ts).
 */
import { execFile, execFileSync } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';

const execFileAsync = promisify(execFile);

/** Prefix of the temporary directories, so that leftovers of killed runs can be found. */
const DIR_PREFIX = 'facecloud-test-pg-';
/** File in the cluster directory naming the process that owns the cluster. */
const OWNER_FILE = 'owner.pid';

export interface PostgresCluster {
  /** Superuser URL of the cluster's `postgres` database. */
  readonly url: string;
  readonly port: number;
  /** Server version, e.g. "15.20". */
  readonly version: string;
  /** Version of the pgvector extension available to it. */
  readonly pgvectorVersion: string;
  /** Stops the server and deletes its files; safe to call more than once. */
  stop(): Promise<void>;
  /**
   * Stops the server as a crash would (immediate shutdown: every connection is cut), keeping
   * its files; `startServer()` brings it back on the same port. For fault tests.
   */
  stopServer(): Promise<void>;
  startServer(): Promise<void>;
}

/** Settings for a disposable cluster: local only. */
const SERVER_SETTINGS = ["listen_addresses = '127.0.0.1'", 'max_connections = 200'];
/**
 * Durability traded for speed, unless the cluster is `durable`: with these, a commit is
 * acknowledged before it reaches the disk, so a crash (stopServer) loses the last ones.
 */
const FAST_SETTINGS = ['fsync = off', 'synchronous_commit = off', 'full_page_writes = off'];

export interface PostgresClusterOptions {
  /**
   * Commits survive a crash, as on a production server (default false: faster). Tests that
   * crash the server (stopServer) need it: otherwise they see commits the server had
   * acknowledged vanish, which no correctly configured server does.
   */
  durable?: boolean;
}

/**
 * Directory holding initdb/pg_ctl: $PG_BINDIR, else Debian's
 * /usr/lib/postgresql/<highest>/bin, else the directory of `initdb` on PATH.
 */
export function findPostgresBinDir(): string {
  const candidates: string[] = [];
  if (process.env.PG_BINDIR) candidates.push(process.env.PG_BINDIR);
  const debianRoot = '/usr/lib/postgresql';
  if (existsSync(debianRoot)) {
    const majors = readdirSync(debianRoot).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    candidates.push(...majors.map((v) => join(debianRoot, v, 'bin')));
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    // initdb on PATH may be a symlink (e.g. in /usr/local/bin): use its real directory.
    if (existsSync(join(dir, 'initdb'))) candidates.push(dirname(realpathSync(join(dir, 'initdb'))));
  }
  const found = candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')));
  if (!found) {
    throw new Error(
      'PostgreSQL server binaries (initdb, pg_ctl) not found: install the PostgreSQL server with pgvector, ' +
        'set PG_BINDIR to their directory, or set TEST_DATABASE_URL to an existing server.',
    );
  }
  return found;
}

/** initdb/postgres refuse to run as root: then they run as the `postgres` user. */
interface RunAs {
  prefix: string[];
  uid?: number;
  gid?: number;
}

function runAsForCurrentUser(): RunAs {
  if (process.getuid?.() !== 0) return { prefix: [] };
  const id = (flag: string): number => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { prefix: ['runuser', '-u', 'postgres', '--'], uid: id('-u'), gid: id('-g') };
}

async function run(runAs: RunAs, cwd: string, command: string, args: string[]): Promise<string> {
  const [file, ...rest] = [...runAs.prefix, command, ...args];
  try {
    const { stdout } = await execFileAsync(file, rest, { cwd, encoding: 'utf8' });
    return stdout;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${command} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`.trim());
  }
}

/** A port that was free a moment ago (postgres start is retried if it is taken meanwhile). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Kills the postmaster of a data directory (SIGQUIT = immediate shutdown), if it runs. */
function killPostmaster(dataDir: string): void {
  try {
    const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    // A stale pid file may name a recycled pid: on Linux, make sure it is a postgres.
    const comm = `/proc/${pid}/comm`;
    if (pid > 0 && (!existsSync('/proc/self') || readFileSync(comm, 'utf8').trim() === 'postgres')) process.kill(pid, 'SIGQUIT');
  } catch {
    // No pid file, or the process is gone already.
  }
}

/** Removes clusters left behind by test runs that were killed (SIGKILL gives no chance to clean up). */
export function removeStaleClusters(): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(DIR_PREFIX)) continue;
    const dir = join(tmpdir(), name);
    try {
      const owner = Number(readFileSync(join(dir, OWNER_FILE), 'utf8'));
      if (isAlive(owner)) continue;
      killPostmaster(join(dir, 'data'));
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // Being created right now, or another user's: not ours to clean.
    }
  }
}

async function queryServer(url: string): Promise<{ version: string; pgvectorVersion: string }> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
    try {
      await client.query('CREATE EXTENSION IF NOT EXISTS vector');
    } catch (error) {
      throw new Error(
        `pgvector is not installed for this PostgreSQL server (${(error as Error).message}). ` +
          'On Debian run `sudo bash scripts/setup-machine.sh`; elsewhere install pgvector for this server.',
      );
    }
    const ext = await client.query<{ extversion: string }>("SELECT extversion FROM pg_extension WHERE extname = 'vector'");
    await client.query('DROP EXTENSION vector'); // leave the admin database as initdb made it
    return { version: rows[0].server_version.split(' ')[0], pgvectorVersion: ext.rows[0].extversion };
  } finally {
    await client.end();
  }
}

/** Starts postgres on a free port, retrying when another process grabbed the port first. */
async function startServer(runAs: RunAs, binDir: string, dir: string, fixedPort?: number): Promise<number> {
  const logFile = join(dir, 'postgres.log');
  for (let attempt = 1; ; attempt++) {
    const port = fixedPort ?? (await freePort());
    try {
      await run(runAs, dir, join(binDir, 'pg_ctl'), ['-D', join(dir, 'data'), '-l', logFile, '-w', '-t', '30', '-o', `-p ${port}`, 'start']);
      return port;
    } catch (error) {
      const log = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
      if (attempt < 3 && /could not bind|already in use/i.test(log)) continue;
      throw new Error(`${(error as Error).message}\n--- postgres.log ---\n${log}`);
    }
  }
}

/** Creates and starts a cluster; on any failure, removes what it created. */
export async function startPostgresCluster(options: PostgresClusterOptions = {}): Promise<PostgresCluster> {
  removeStaleClusters();
  const binDir = findPostgresBinDir();
  const runAs = runAsForCurrentUser();
  const dir = mkdtempSync(join(tmpdir(), DIR_PREFIX));
  writeFileSync(join(dir, OWNER_FILE), String(process.pid));
  if (runAs.uid !== undefined && runAs.gid !== undefined) chownSync(dir, runAs.uid, runAs.gid);
  const dataDir = join(dir, 'data');

  const shutdown = async (): Promise<void> => {
    try {
      if (existsSync(join(dataDir, 'postmaster.pid'))) {
        await run(runAs, dir, join(binDir, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
      }
    } catch {
      killPostmaster(dataDir);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopping ??= shutdown());

  try {
    if (runAs.prefix.length > 0) {
      await run(runAs, dir, 'test', ['-w', dir]).catch(() => {
        throw new Error(`the postgres user cannot write to ${dir}: set TMPDIR to a directory it can reach, e.g. /tmp`);
      });
    }
    await run(runAs, dir, join(binDir, 'initdb'), [
      '-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync',
    ]);
    // Sockets in our own directory: the default one may not exist or be writable.
    const settings = [...SERVER_SETTINGS, ...(options.durable ? [] : FAST_SETTINGS), `unix_socket_directories = '${dir}'`, ''];
    appendFileSync(join(dataDir, 'postgresql.conf'), settings.join('\n'));
    const port = await startServer(runAs, binDir, dir);
    const url = `postgresql://postgres@127.0.0.1:${port}/postgres`;
    const { version, pgvectorVersion } = await queryServer(url);
    const stopServer = (): Promise<void> =>
      run(runAs, dir, join(binDir, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', 'stop']).then(() => undefined);
    const startAgain = (): Promise<void> => startServer(runAs, binDir, dir, port).then(() => undefined);
    return { url, port, version, pgvectorVersion, stop, stopServer, startServer: startAgain };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Checks an externally provided server (TEST_DATABASE_URL) without changing
 * it: reachable, and pgvector available for CREATE EXTENSION.
 */
export async function checkExternalServer(url: string): Promise<{ version: string; pgvectorVersion: string }> {
  const client = new Client({ connectionString: url });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`cannot connect to TEST_DATABASE_URL: ${(error as Error).message}`);
  }
  try {
    const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
    const ext = await client.query<{ default_version: string }>(
      "SELECT default_version FROM pg_available_extensions WHERE name = 'vector'",
    );
    if (ext.rows.length === 0) throw new Error('the server at TEST_DATABASE_URL has no pgvector extension available');
    return { version: rows[0].server_version.split(' ')[0], pgvectorVersion: ext.rows[0].default_version };
  } finally {
    await client.end();
  }
}
