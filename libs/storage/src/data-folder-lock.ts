import { closeSync, fchmodSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename } from 'node:path';
import { tryLock } from 'fs-native-extensions';

/**
 * Who holds an embedded data folder, as written into its lock file. Only for messages and for
 * the admin CLI to find the running service: the lock itself is the kernel's, not the contents.
 */
export interface DataFolderHolder {
  pid: number;
  host: string;
  /** The holding program, e.g. "all-in-one" or "admin token create". */
  program: string;
  since: string;
  /** Set by a service that takes operator requests (admin CLI → service), see apps/api's OperatorController. */
  operator?: { url: string; secret: string };
}

/** The folder is held by another process (or another opener in this one). */
export class DataFolderInUseError extends Error {
  /** The holder as recorded, less its operator secret (errors get logged). */
  readonly holder: Omit<DataFolderHolder, 'operator'> | undefined;
  /** Whether the holder is a service that takes operator requests. */
  readonly service: boolean;

  constructor(
    readonly folder: string,
    holder: DataFolderHolder | undefined,
  ) {
    const who = holder ? `${holder.program}, pid ${holder.pid} on ${holder.host}, since ${holder.since}` : 'another process';
    super(
      holder?.operator
        ? `the service is running on this data folder (${folder}: ${who}); stop it or use the API ` +
            `(the admin commands user, token and backup go through it)`
        : `the data folder ${folder} is in use by ${who}; stop it or wait until it is done: ` +
            'the embedded database allows one process at a time',
    );
    this.name = 'DataFolderInUseError';
    this.service = !!holder?.operator;
    this.holder = holder && { pid: holder.pid, host: holder.host, program: holder.program, since: holder.since };
  }
}

/** What this process is, for the lock file (the app or command name, not its full command line). */
function programName(): string {
  const script = process.argv[1] ?? '';
  const app = /apps[\\/]([\w-]+)[\\/]/.exec(script)?.[1];
  const command = app === 'admin' ? process.argv.slice(2, 4).filter((arg) => !arg.startsWith('-')).join(' ') : '';
  return [app ?? basename(script, '.js'), command].filter(Boolean).join(' ') || 'node';
}

/**
 * One writer per embedded data folder, as a database server has one postmaster per data
 * directory: PGlite has no lock of its own, and two processes writing one folder corrupt it
 * (a start-up that dies in `Aborted()`). Every opener of the folder (service, admin CLI,
 * import/export, migrate, tools, tests) goes through openDatabase, which takes this lock first.
 *
 * Why an OS lock (an open-file-description lock, fcntl F_OFD_SETLK on Linux, flock elsewhere,
 * from fs-native-extensions) and not a pid file: the kernel drops it whenever the holder dies,
 * kill -9 and OOM included, so a crash never leaves a stale lock that blocks the restart, and
 * there is no pid-reuse or host-name guesswork (a container's service is often pid 1 on every
 * start). It is held per open file, so a second opener inside the same process is refused too.
 * Like PostgreSQL's, it assumes a local file system (NFS locks are not to be trusted).
 */
export class DataFolderLock {
  private constructor(
    readonly path: string,
    readonly folder: string,
    private fd: number | undefined,
    private holder: DataFolderHolder,
  ) {}

  /** Takes the lock or throws DataFolderInUseError naming the holder; never waits. */
  static acquire(folder: string, lockPath: string): DataFolderLock {
    // 0600: the file may carry the running service's operator secret.
    const fd = openSync(lockPath, 'a+', 0o600);
    let locked = false;
    try {
      locked = tryLock(fd);
    } finally {
      if (!locked) closeSync(fd);
    }
    if (!locked) throw new DataFolderInUseError(folder, DataFolderLock.readHolder(lockPath));
    fchmodSync(fd, 0o600); // also when the file was there before
    const lock = new DataFolderLock(lockPath, folder, fd, {
      pid: process.pid,
      host: hostname(),
      program: programName(),
      since: new Date().toISOString(),
    });
    lock.write();
    return lock;
  }

  /** The holder recorded in a lock file, if any could be read (it says nothing about liveness). */
  static readHolder(lockPath: string): DataFolderHolder | undefined {
    try {
      const text = readFileSync(lockPath, 'utf8').trim();
      return text ? (JSON.parse(text) as DataFolderHolder) : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * The running service's operator endpoint, when the folder is held by one: the lock is tried
   * first, so a file left behind by a dead service is never taken for a live one.
   */
  static runningService(folder: string, lockPath: string): DataFolderHolder | undefined {
    try {
      DataFolderLock.acquire(folder, lockPath).release();
      return undefined;
    } catch (error) {
      if (error instanceof DataFolderInUseError) return DataFolderLock.readHolder(lockPath);
      throw error;
    }
  }

  /** Throws DataFolderInUseError when another process holds the folder now (a check before a long start-up). */
  static assertFree(folder: string, lockPath: string): void {
    DataFolderLock.acquire(folder, lockPath).release();
  }

  /** Records how the admin CLI reaches this (service) process. */
  setOperator(operator: DataFolderHolder['operator']): void {
    this.holder = { ...this.holder, operator };
    this.write();
  }

  release(): void {
    if (this.fd === undefined) return;
    // Empty the file first: after the close anyone may take the lock.
    ftruncateSync(this.fd, 0);
    closeSync(this.fd);
    this.fd = undefined;
  }

  private write(): void {
    if (this.fd === undefined) return;
    ftruncateSync(this.fd, 0);
    writeSync(this.fd, `${JSON.stringify(this.holder)}\n`, 0);
  }
}
