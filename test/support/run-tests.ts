/**
 * Test orchestrator run by `npm test` (scripts/test.sh) after the build:
 *
 *   node dist/test/support/run-tests.js [filter...]
 *
 * Starts one throwaway PostgreSQL cluster for the run (unless TEST_DATABASE_URL
 * points at a server already), runs the compiled test files (`*.test.js` under
 * dist/; only those whose path contains one of the filters, if any) one file
 * at a time with node's test runner, then always stops and deletes the cluster.
 * Test files get TEST_DATABASE_URL (superuser URL) and MOCKKAFKA_BIN.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { constants } from 'node:os';
import { join, relative, sep } from 'node:path';
import { mockKafkaBinary } from '../../tools/support/mock-kafka';
import { repoRoot } from '../../tools/support/paths';
import { checkExternalServer, startPostgresCluster } from '../../tools/support/postgres-cluster';

const distDir = join(repoRoot, 'dist');

function log(message: string): void {
  console.log(`[test] ${message}`);
}

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

function walk(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, out);
    else if (entry.isFile() && entry.name.endsWith('.test.js')) out.push(path);
  }
  return out;
}

/**
 * Compiled test files matching the filters (substring of the path, compiled
 * or source form). Files whose .ts source is gone are stale build output and
 * are skipped: the incremental build never deletes them. test/faults/ runs only
 * when a filter names it (`faults`).
 */
function findTestFiles(filters: string[]): string[] {
  if (!existsSync(distDir)) throw new Error(`${distDir} does not exist: build first (npm run build)`);
  const files: string[] = [];
  for (const file of walk(distDir).sort()) {
    const rel = relative(distDir, file).split(sep).join('/');
    const source = rel.replace(/\.js$/, '.ts');
    if (!existsSync(join(repoRoot, source))) continue;
    // The long fault-injection runs (test/faults) only run when asked for: `npm run test:faults`.
    if (source.startsWith('test/faults/') && !filters.some((f) => f.includes('faults'))) continue;
    if (filters.length === 0 || filters.some((f) => rel.includes(f) || source.includes(f))) files.push(file);
  }
  return files;
}

interface Database {
  url: string;
  stop(): Promise<void>;
}

async function provideDatabase(): Promise<Database> {
  const started = Date.now();
  const external = process.env.TEST_DATABASE_URL;
  if (external) {
    const server = await checkExternalServer(external);
    log(`using TEST_DATABASE_URL: PostgreSQL ${server.version}, pgvector ${server.pgvectorVersion}`);
    return { url: external, stop: async () => undefined };
  }
  const cluster = await startPostgresCluster();
  log(
    `started PostgreSQL ${cluster.version} (pgvector ${cluster.pgvectorVersion}) on 127.0.0.1:${cluster.port} ` +
      `in ${seconds(started)}`,
  );
  return cluster;
}

/** Runs node's test runner on the files; resolves with its exit code (128+n if killed by signal n). */
function runNodeTest(files: string[], env: NodeJS.ProcessEnv, abort: AbortSignal): Promise<number> {
  const args = ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files];
  const child = spawn(process.execPath, args, { stdio: 'inherit', env, cwd: repoRoot });
  const forward = (): void => {
    child.kill('SIGTERM');
  };
  abort.addEventListener('abort', forward, { once: true });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      abort.removeEventListener('abort', forward);
      resolve(code ?? 128 + (signal ? constants.signals[signal] : 1));
    });
  });
}

/** Exit code for a signal that interrupted the run (0: none). */
let signalCode = 0;

async function main(filters: string[]): Promise<number> {
  const files = findTestFiles(filters);
  if (files.length === 0) {
    console.error(`[test] no test files match ${filters.map((f) => JSON.stringify(f)).join(' ') || '(any)'}`);
    return 1;
  }
  log(`${files.length} test file(s): ${files.map((f) => relative(distDir, f)).join(', ')}`);

  // Ctrl-C / SIGTERM: stop the test runner, then fall through to the cleanup below.
  const abort = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    signalCode ||= 128 + constants.signals[signal];
    abort.abort();
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal).on('SIGHUP', onSignal);

  const database = await provideDatabase();
  try {
    if (abort.signal.aborted) return signalCode;
    const mockKafka = mockKafkaBinary();
    if (!existsSync(mockKafka)) log(`warning: ${mockKafka} not found, tests that need Kafka will fail`);
    const env = {
      ...process.env,
      TEST_DATABASE_URL: database.url,
      MOCKKAFKA_BIN: mockKafka,
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --enable-source-maps`.trim(),
    };
    const code = await runNodeTest(files, env, abort.signal);
    return signalCode || code;
  } finally {
    await database.stop();
  }
}

const started = Date.now();
main(process.argv.slice(2))
  .catch((error: unknown) => {
    console.error(`[test] ${error instanceof Error ? error.message : String(error)}`);
    return signalCode || 1;
  })
  .then((code) => {
    log(`finished in ${seconds(started)}, exit code ${code}`);
    process.exitCode = code;
  });
