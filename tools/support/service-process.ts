/**
 * The compiled apps run as their own processes, as users run them: for system tests (e2e,
 * faults, ops, security, browser) and for the benchmarks that measure a whole server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { repoRoot } from './paths';

export type AppName = 'all-in-one' | 'api' | 'worker' | 'clusterer';

export interface RunningService {
  /** Set for HTTP processes (api, all-in-one). */
  baseUrl?: string;
  /** The process id, for reading its CPU time and memory from /proc (benchmarks, memory tests). */
  pid: number;
  /** Every log line so far, for assertions and for failure messages. */
  logs: string[];
  /** Graceful: SIGTERM, then wait for the process to finish its work and exit. */
  stop(): Promise<void>;
  /** A crash: SIGKILL, no chance to finish or commit anything. */
  kill(): Promise<void>;
}

/** Log line each process prints once it is ready. */
const readyPattern: Record<AppName, RegExp> = {
  'all-in-one': /listening on (http:\/\/[\d.]+:\d+)/,
  api: /listening on (http:\/\/[\d.]+:\d+)/,
  worker: /consuming ingest jobs/,
  clusterer: /clustering changed libraries/,
};

const running = new Set<ChildProcess>();
process.on('exit', () => running.forEach((child) => child.kill('SIGKILL')));

/**
 * Runs a compiled app as its own process, as a user would, with `env` on top of ours.
 * Resolves once the process logs that it is ready.
 */
export async function startService(app: AppName, env: Record<string, string>, timeoutMs = 60_000): Promise<RunningService> {
  const child = spawn(process.execPath, [resolve(repoRoot, `dist/apps/${app}/src/main.js`)], {
    cwd: repoRoot,
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const logs: string[] = [];
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  exited.then(() => running.delete(child));

  const baseUrl = await new Promise<string | undefined>((ready, fail) => {
    const timer = setTimeout(() => fail(new Error(`${app} not ready after ${timeoutMs} ms:\n${logs.join('\n')}`)), timeoutMs);
    const onLine = (line: string) => {
      logs.push(line);
      const match = readyPattern[app].exec(line);
      if (match) {
        clearTimeout(timer);
        ready(match[1]);
      }
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', onLine);
    exited.then((code) => {
      clearTimeout(timer);
      fail(new Error(`${app} exited with ${code} before it was ready:\n${logs.join('\n')}`));
    });
  });

  return {
    baseUrl,
    pid: child.pid!,
    logs,
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/**
 * Waits until a consumer group of worker processes has settled with every one of `partitions`
 * held by one of them, as their logs say ("holding partitions [...]"); throws after `timeoutMs`
 * with what each one holds and `context()` (e.g. the processes' logs).
 */
export async function waitForPartitionsHeld(
  workers: readonly RunningService[],
  partitions: number,
  timeoutMs: number,
  context: () => string = () => '',
): Promise<void> {
  const held = (worker: RunningService) => {
    const lines = worker.logs.filter((line) => line.includes('holding partitions'));
    const match = /holding partitions \[([\d, ]*)\]/.exec(lines[lines.length - 1] ?? '');
    return match ? match[1].split(',').filter((item) => item.trim() !== '').map(Number) : [];
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const assignments = workers.map(held);
    if (assignments.every((list) => list.length > 0) && new Set(assignments.flat()).size === partitions) return;
    if (Date.now() > deadline) throw new Error(`the ${partitions} partitions are not shared: ${JSON.stringify(assignments)}\n${context()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
