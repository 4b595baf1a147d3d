/**
 * Login flood benchmark: how long one user's uploads take while others flood POST /auth/login
 * with unknown user names, each of which costs a scrypt run on the thread pool that sharp and
 * file I/O share. The real api process on the embedded database, over loopback, three ways
 * side by side:
 *
 *   quiet       uploads alone
 *   unbounded   the flood with password checks unbounded (as before they were gated)
 *   bounded     the flood with the default gate (AUTH_PASSWORD_CHECK_CONCURRENCY and _QUEUE)
 *
 * The flood comes from a distinct client address per request (X-Forwarded-For from a trusted
 * loopback proxy), so the per-address login limit does not stop it and the gate alone is
 * measured. Uploads are sequential, each a distinct JPEG (the fixture photo with a unique
 * comment), and are timed one by one.
 *
 *   npm run bench -- login-flood [--quick] [--uploads <n>] [--flood-clients <n>]
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { startService } from '../support/service-process';
import { asUser, provisionUsers } from '../support/api-users';
import { fixturesDir } from '../support/paths';
import { withComment } from './load';
import { percentile } from './stats';
import type { BenchContext, BenchOutcome, BenchSuite } from './suite';

const UPLOADER = 'flood-bench-uploader';

interface Scenario {
  name: 'quiet' | 'unbounded' | 'bounded';
  flood: boolean;
  env: Record<string, string>;
}

const SCENARIOS: Scenario[] = [
  { name: 'quiet', flood: false, env: {} },
  { name: 'unbounded', flood: true, env: { AUTH_PASSWORD_CHECK_CONCURRENCY: '64', AUTH_PASSWORD_CHECK_QUEUE: '10000' } },
  { name: 'bounded', flood: true, env: {} },
];

interface ScenarioFigures {
  scenario: Scenario['name'];
  uploadMs: number[];
  loginAnswers: Record<string, number>;
  loginsPerSecond: number;
}

function parseSettings(context: BenchContext): { uploads: number; floodClients: number } {
  const { values } = parseArgs({
    args: context.argv,
    strict: false,
    options: { uploads: { type: 'string' }, 'flood-clients': { type: 'string' } },
  });
  const positive = (raw: unknown, fallback: number, name: string) => {
    if (typeof raw !== 'string') return fallback;
    const parsed = Number(raw);
    if (!Number.isInteger(parsed) || parsed <= 0) throw new Error(`--${name} must be a positive integer, got ${raw}`);
    return parsed;
  };
  return {
    uploads: positive(values.uploads, context.quick ? 10 : 40, 'uploads'),
    floodClients: positive(values['flood-clients'], context.quick ? 8 : 32, 'flood-clients'),
  };
}

async function runScenario(
  scenario: Scenario,
  settings: { uploads: number; floodClients: number },
  photo: Buffer,
  context: BenchContext,
): Promise<ScenarioFigures> {
  const dataDir = await mkdtemp(join(tmpdir(), 'facecloud-login-flood-'));
  const env = {
    DATA_DIR: dataDir,
    DATABASE_URL: '',
    KAFKA_BROKERS: '',
    TRUST_PROXY: 'loopback',
    AUTH_CREATE_FIRST_USER: 'false',
    ...scenario.env,
  };
  // The embedded database allows one process: users first, then the api.
  await provisionUsers(env, [UPLOADER]);
  const api = await startService('api', env);
  const loginAnswers: Record<string, number> = {};
  let logins = 0;
  let flooding = scenario.flood;
  const floodStarted = performance.now();
  const floodClient = async (client: number) => {
    for (let n = 0; flooding; n++) {
      const response = await fetch(`${api.baseUrl}/auth/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': `10.${client}.${(n >> 8) & 255}.${n & 255}` },
        body: JSON.stringify({ username: `nobody-${client}-${n}`, password: 'guess' }),
      }).catch(() => undefined);
      await response?.arrayBuffer();
      const key = response ? String(response.status) : 'error';
      loginAnswers[key] = (loginAnswers[key] ?? 0) + 1;
      logins++;
    }
  };
  const flood = scenario.flood ? Array.from({ length: settings.floodClients }, (_, client) => floodClient(client)) : [];
  try {
    if (scenario.flood) await new Promise((resolve) => setTimeout(resolve, 1000)); // let the flood fill the pool
    const uploadMs: number[] = [];
    for (let n = 0; n < settings.uploads; n++) {
      const form = new FormData();
      const bytes = withComment(photo, `login-flood ${scenario.name} ${n}`);
      form.append('photos', new Blob([bytes], { type: 'image/jpeg' }), `upload-${n}.jpg`);
      const started = performance.now();
      const response = await fetch(`${api.baseUrl}/photos`, { method: 'POST', body: form, headers: asUser(UPLOADER) });
      await response.arrayBuffer();
      uploadMs.push(performance.now() - started);
      if (response.status !== 202) throw new Error(`upload ${n} answered ${response.status}`);
    }
    flooding = false;
    await Promise.all(flood);
    const seconds = (performance.now() - floodStarted) / 1000;
    context.progress(`${scenario.name}: ${settings.uploads} uploads, median ${percentile(uploadMs, 0.5).toFixed(0)} ms`);
    return { scenario: scenario.name, uploadMs, loginAnswers, loginsPerSecond: scenario.flood ? logins / seconds : 0 };
  } finally {
    flooding = false;
    await Promise.all(flood);
    await api.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function run(context: BenchContext): Promise<BenchOutcome> {
  const settings = parseSettings(context);
  const photo = await sharp(await readFile(join(fixturesDir, 'photos', 'person-a-1.jpg')))
    .resize(1024, 1024, { fit: 'inside' })
    .jpeg({ quality: 85 })
    .toBuffer();
  const figures: ScenarioFigures[] = [];
  for (const scenario of SCENARIOS) figures.push(await runScenario(scenario, settings, photo, context));
  const quietMedian = percentile(figures[0].uploadMs, 0.5);
  const rows = [['scenario', 'uploads', 'median ms', 'p90 ms', 'max ms', 'median / quiet', 'logins/s', 'login answers']];
  for (const figure of figures) {
    const median = percentile(figure.uploadMs, 0.5);
    rows.push([
      figure.scenario,
      String(figure.uploadMs.length),
      median.toFixed(0),
      percentile(figure.uploadMs, 0.9).toFixed(0),
      Math.max(...figure.uploadMs).toFixed(0),
      (median / quietMedian).toFixed(2),
      figure.loginsPerSecond.toFixed(0),
      Object.entries(figure.loginAnswers).map(([status, count]) => `${status}×${count}`).join(' ') || '—',
    ]);
  }
  return {
    tables: [
      {
        title: `One user's uploads (1024 px JPEG, sequential) while ${settings.floodClients} clients flood logins with unknown names`,
        rows,
        notes: [
          'unbounded: AUTH_PASSWORD_CHECK_CONCURRENCY=64, queue 10000 (every login hashes at once); bounded: the defaults',
          'each flood request comes from its own address, so only the gate limits it; 401 = checked, 503 = refused by the gate',
        ],
      },
    ],
    json: { settings, scenarios: figures },
  };
}

export const loginFloodSuite: BenchSuite = {
  name: 'login-flood',
  description: "another user's upload latency during a flood of logins with unknown names, password checks bounded or not",
  run,
};
