/**
 * A Kafka-protocol broker for tests: spawns tools/kafka-mock's `mockkafka`
 * (librdkafka's mock cluster, built by scripts/build-kafka-mock.sh) and talks
 * to its stdin control channel. Each test file starts its own broker (< 10 ms).
 *
 * Mock specifics to keep in mind (see tools/kafka-mock/README.md):
 * - admin.createTopics is not supported: pass `topics` or call createTopic().
 * - Any metadata request for an unknown topic creates it with 4 partitions,
 *   whatever kafkajs' allowAutoTopicCreation says: create topics with the
 *   partition count you need before a client first touches them.
 * - The first consumer to join an empty group waits 3 s (fixed initial
 *   rebalance delay); use `mockKafkaConsumerTuning` for the other delays.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import type { Socket } from 'node:net';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { repoRoot } from './paths';

export interface MockKafkaOptions {
  /** Topics to create at start-up: name -> partition count. */
  topics?: Record<string, number>;
  /** Number of brokers (ids 1..N), default 1. */
  brokers?: number;
}

export interface MockKafka {
  /** Bootstrap addresses ("127.0.0.1:port"), one per broker. */
  readonly brokers: string[];
  createTopic(name: string, partitions: number): Promise<void>;
  /** Takes broker `id` (1..N; -1 = all) down: connections are closed and new ones refused. */
  brokerDown(id?: number): Promise<void>;
  brokerUp(id?: number): Promise<void>;
  /** Stops the broker and waits for the process to exit; safe to call more than once. */
  stop(): Promise<void>;
}

/**
 * kafkajs consumer settings for tests against the mock:
 * - maxWaitTimeInMs: the mock answers an empty fetch only after the full
 *   wait (kafkajs default 5 s) even when messages arrive meanwhile.
 * - sessionTimeout: when members join or leave a non-empty group the mock
 *   waits sessionTimeout - 1 s before completing the rebalance (default 30 s).
 */
export const mockKafkaConsumerTuning = {
  maxWaitTimeInMs: 100,
  sessionTimeout: 6000,
  heartbeatInterval: 500,
} as const;

/**
 * The settings a service process (api, worker) needs to use this broker: its address and
 * the consumer timings above (the mock holds empty fetches for the whole wait and delays
 * rebalances by the session timeout).
 */
export function mockKafkaServiceEnv(broker: Pick<MockKafka, 'brokers'>): Record<string, string> {
  return {
    KAFKA_BROKERS: broker.brokers.join(','),
    KAFKA_FETCH_MAX_WAIT_MS: String(mockKafkaConsumerTuning.maxWaitTimeInMs),
    KAFKA_SESSION_TIMEOUT_MS: String(mockKafkaConsumerTuning.sessionTimeout),
    KAFKA_HEARTBEAT_INTERVAL_MS: String(mockKafkaConsumerTuning.heartbeatInterval),
    KAFKA_REBALANCE_TIMEOUT_MS: String(mockKafkaConsumerTuning.sessionTimeout),
  };
}

const START_TIMEOUT_MS = 5000;
const COMMAND_TIMEOUT_MS = 5000;
const STOP_TIMEOUT_MS = 3000;

/** Path of the mockkafka binary: $MOCKKAFKA_BIN, default .cache/bin/mockkafka. */
export function mockKafkaBinary(): string {
  return process.env.MOCKKAFKA_BIN ?? resolve(repoRoot, '.cache/bin/mockkafka');
}

type MockProcess = ChildProcessByStdio<Writable, Readable, null>;

/**
 * Brokers still running, killed when the test process exits. (If it is killed
 * by a signal instead, each broker exits by itself on stdin end-of-file.)
 */
const running = new Set<MockProcess>();
let exitHookInstalled = false;
function track(proc: MockProcess): void {
  running.add(proc);
  proc.once('exit', () => running.delete(proc));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => running.forEach((p) => p.kill('SIGKILL')));
  }
}

/**
 * Line-based request/response over the mock's stdin/stdout. The process and
 * its pipes are unref'd while idle, so a test that forgets stop() does not
 * keep the test process alive (the exit hook then kills the broker).
 */
class ControlChannel {
  private readonly lines: string[] = [];
  private waiter?: (line: string | undefined) => void;
  private busy = 0;
  private queue: Promise<unknown> = Promise.resolve();
  exited = false;

  constructor(private readonly proc: MockProcess) {
    createInterface({ input: proc.stdout }).on('line', (line) => this.push(line));
    proc.once('exit', () => {
      this.exited = true;
      this.push(undefined);
    });
    this.setRef(false);
  }

  private push(line: string | undefined): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    if (waiter) waiter(line);
    else if (line !== undefined) this.lines.push(line);
  }

  private setRef(on: boolean): void {
    const handles: Array<{ ref(): unknown; unref(): unknown }> = [
      this.proc,
      this.proc.stdout as Socket,
      this.proc.stdin as Socket,
    ];
    for (const handle of handles) {
      if (on) handle.ref();
      else handle.unref();
    }
  }

  /** Runs `fn` with the process ref'd, so the event loop waits for it. */
  async hold<T>(fn: () => Promise<T>): Promise<T> {
    if (this.busy++ === 0) this.setRef(true);
    try {
      return await fn();
    } finally {
      if (--this.busy === 0) this.setRef(false);
    }
  }

  /** Next stdout line; rejects on timeout or when the process has exited. */
  nextLine(timeoutMs: number, what: string): Promise<string> {
    const queued = this.lines.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.exited) return Promise.reject(new Error(`mockkafka exited (while waiting for ${what})`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        this.proc.kill('SIGKILL'); // a broker that stopped answering is of no further use
        reject(new Error(`mockkafka: no answer within ${timeoutMs} ms (${what})`));
      }, timeoutMs);
      this.waiter = (line) => {
        clearTimeout(timer);
        if (line === undefined) reject(new Error(`mockkafka exited (while waiting for ${what})`));
        else resolve(line);
      };
    });
  }

  /** Sends one command and checks its "OK"; commands run one at a time. */
  command(line: string): Promise<void> {
    const result = this.queue.then(() =>
      this.hold(async () => {
        this.proc.stdin.write(`${line}\n`);
        const answer = await this.nextLine(COMMAND_TIMEOUT_MS, line);
        if (answer !== 'OK') throw new Error(`mockkafka ${line}: ${answer}`);
      }),
    );
    this.queue = result.catch(() => undefined);
    return result;
  }
}

function checkTopic(name: string, partitions: number): void {
  if (!/^[A-Za-z0-9._-]{1,249}$/.test(name)) throw new Error(`invalid topic name: ${JSON.stringify(name)}`);
  if (!Number.isInteger(partitions) || partitions < 1) throw new Error(`invalid partition count for ${name}: ${partitions}`);
}

/** Starts a mock Kafka cluster; resolves once it listens. */
export async function startMockKafka(options: MockKafkaOptions = {}): Promise<MockKafka> {
  const bin = mockKafkaBinary();
  if (!existsSync(bin)) {
    throw new Error(
      `mock Kafka broker not found at ${bin}: run \`npm test\` (which builds it), ` +
        '`bash scripts/build-kafka-mock.sh`, or set MOCKKAFKA_BIN',
    );
  }
  const args = ['-b', String(options.brokers ?? 1)];
  for (const [name, partitions] of Object.entries(options.topics ?? {})) {
    checkTopic(name, partitions);
    args.push('-t', `${name}:${partitions}`);
  }

  const proc: MockProcess = spawn(bin, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  track(proc);
  const channel = new ControlChannel(proc);
  const spawnError = new Promise<never>((_, reject) => proc.once('error', reject));
  // Writes after an unexpected exit fail with EPIPE; the pending command reports the exit.
  proc.stdin.on('error', () => undefined);

  const waitForExit = (ms: number): Promise<boolean> =>
    new Promise((done) => {
      if (channel.exited) return done(true);
      const timer = setTimeout(() => done(false), ms);
      proc.once('exit', () => {
        clearTimeout(timer);
        done(true);
      });
    });
  const stop = (): Promise<void> =>
    channel.hold(async () => {
      if (channel.exited || proc.pid === undefined) return; // gone, or never started
      proc.stdin.end(); // EOF: the mock exits
      if (await waitForExit(STOP_TIMEOUT_MS)) return;
      proc.kill('SIGKILL');
      if (!(await waitForExit(STOP_TIMEOUT_MS))) throw new Error(`mockkafka (pid ${proc.pid}) did not exit`);
    });

  try {
    const first = await channel.hold(() =>
      Promise.race([channel.nextLine(START_TIMEOUT_MS, 'start-up'), spawnError]),
    );
    if (!first.startsWith('BOOTSTRAP=')) throw new Error(`mockkafka failed to start: ${first}`);
    return {
      brokers: first.slice('BOOTSTRAP='.length).split(','),
      createTopic: (name, partitions) => {
        checkTopic(name, partitions);
        return channel.command(`topic ${name} ${partitions}`);
      },
      brokerDown: (id = -1) => channel.command(`down ${id}`),
      brokerUp: (id = -1) => channel.command(`up ${id}`),
      stop,
    };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}
