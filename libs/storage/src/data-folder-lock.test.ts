import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DataFolderInUseError, DataFolderLock } from './data-folder-lock';
import { embeddedLockPath, openDatabase } from './database';

/** Holds the lock in a child process until killed; resolves once it holds it. */
async function holdInChild(folder: string, lockPath: string) {
  const script = `const { DataFolderLock } = require(${JSON.stringify(join(__dirname, 'data-folder-lock.js'))});
    DataFolderLock.acquire(${JSON.stringify(folder)}, ${JSON.stringify(lockPath)}); console.log('held'); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = await once(createInterface({ input: child.stdout! }), 'line');
  assert.equal(line, 'held');
  return child;
}

describe('data folder lock (one process per embedded database folder)', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'facecloud-lock-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('a second opener, in this process or another, is refused with the holder named; a SIGKILLed holder blocks nobody', async () => {
    const folder = join(dir, 'a');
    const lockPath = `${folder}.lock`;
    const mine = DataFolderLock.acquire(folder, lockPath);
    assert.equal((await stat(lockPath)).mode & 0o777, 0o600, 'only the owner reads the lock file');
    assert.throws(() => DataFolderLock.acquire(folder, lockPath), (error: DataFolderInUseError) => {
      assert.ok(error instanceof DataFolderInUseError);
      assert.equal(error.holder?.pid, process.pid);
      assert.match(error.message, new RegExp(`in use by .*pid ${process.pid}.*one process at a time`));
      return true;
    });
    mine.release();

    const child = await holdInChild(folder, lockPath);
    assert.throws(() => DataFolderLock.acquire(folder, lockPath), (error: DataFolderInUseError) => error.holder?.pid === child.pid);
    child.kill('SIGKILL');
    await once(child, 'exit');
    assert.ok(DataFolderLock.readHolder(lockPath)?.pid === child.pid, 'the dead holder is still written in the file...');
    DataFolderLock.acquire(folder, lockPath).release(); // ...and blocks nothing: the kernel dropped its lock
  });

  test("a service's lock says so, and its operator secret stays out of the error", () => {
    const folder = join(dir, 'b');
    const lockPath = `${folder}.lock`;
    const service = DataFolderLock.acquire(folder, lockPath);
    try {
      service.setOperator({ url: 'http://127.0.0.1:1', secret: 'the-secret' });
      assert.equal(DataFolderLock.runningService(folder, lockPath)?.operator?.secret, 'the-secret');
      assert.throws(() => DataFolderLock.acquire(folder, lockPath), (error: DataFolderInUseError) => {
        assert.match(error.message, /^the service is running on this data folder .*; stop it or use the API/);
        assert.ok(!JSON.stringify(error).includes('the-secret') && !error.message.includes('the-secret'));
        return true;
      });
    } finally {
      service.release();
    }
    assert.equal(DataFolderLock.runningService(folder, lockPath), undefined, 'released: no service');
  });

  test('openDatabase takes the lock: the embedded folder opens once, and again after close', async () => {
    const folder = join(dir, 'pglite');
    const database = await openDatabase({ embeddedDir: folder, poolMax: 1 });
    try {
      await assert.rejects(openDatabase({ embeddedDir: folder, poolMax: 1 }), DataFolderInUseError);
      assert.equal(database.folderLock?.path, embeddedLockPath(folder));
    } finally {
      await database.close();
    }
    const again = await openDatabase({ embeddedDir: folder, poolMax: 1 });
    await again.close();
  });
});
