/**
 * No Docker engine runs where the tests run, so the Dockerfile and compose files are checked
 * by reading them: structure, references between them, and that every setting they pass is
 * one the services accept.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { configSchema, loadConfig } from '@facecloud/config';
import { repoRoot } from '../../tools/support/paths';

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string; target?: string; args?: Record<string, string> };
  command?: string[] | string;
  entrypoint?: string[];
  environment?: Record<string, string | number>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  profiles?: string[];
  deploy?: { resources?: { reservations?: { devices?: Array<{ driver: string; count?: number; capabilities: string[] }> } } };
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

const dockerDir = resolve(repoRoot, 'docker');
const readCompose = (name: string): ComposeFile => parse(readFileSync(resolve(dockerDir, name), 'utf8'), { merge: true });
/** Compose's `${VAR:-default}` interpolation, with every variable unset. */
const interpolate = (value: string | number) => String(value).replace(/\$\{\w+:-([^}]*)\}/g, '$1');

const compose = readCompose('compose.yml');
const gpu = readCompose('compose.gpu.yml');
const appServices = ['api', 'worker', 'clusterer', 'admin'];

/** Stages of the Dockerfile in order, with the instructions of each. */
function dockerfileStages(): Array<{ name: string; from: string; lines: string[] }> {
  const text = readFileSync(resolve(dockerDir, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const stages: Array<{ name: string; from: string; lines: string[] }> = [];
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (!line || line.startsWith('#')) continue;
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) stages.push({ from: from[1], name: from[2] ?? `stage${stages.length}`, lines: [] });
    else stages.at(-1)?.lines.push(line);
  }
  return stages;
}

describe('docker compose files', () => {
  test('PostgreSQL is the official pgvector image, with its data on a volume and a health check', () => {
    const postgres = compose.services.postgres;
    assert.match(postgres.image ?? '', /^pgvector\/pgvector:pg\d+$/);
    assert.ok(postgres.volumes?.some((volume) => /^pgdata:\/var\/lib\/postgresql\/data$/.test(volume)));
    assert.ok(postgres.healthcheck?.test.join(' ').includes('pg_isready'));
  });

  test('Kafka is the official apache/kafka image in KRaft mode (no ZooKeeper), data on a volume', () => {
    const kafka = compose.services.kafka;
    assert.match(kafka.image ?? '', /^apache\/kafka:\d+\.\d+\.\d+$/);
    const env = kafka.environment ?? {};
    assert.deepEqual(String(env.KAFKA_PROCESS_ROLES).split(',').sort(), ['broker', 'controller']);
    assert.match(String(env.KAFKA_CONTROLLER_QUORUM_VOTERS), new RegExp(`^${env.KAFKA_NODE_ID}@kafka:\\d+$`));
    assert.ok(String(env.KAFKA_LISTENERS).includes('CONTROLLER://'), 'a controller listener');
    assert.equal(env.KAFKA_ZOOKEEPER_CONNECT, undefined);
    assert.ok(kafka.volumes?.some((volume) => volume === `kafkadata:${env.KAFKA_LOG_DIRS}`), 'log dirs on the kafkadata volume');
    assert.ok(kafka.healthcheck?.test.join(' ').includes('kafka-broker-api-versions'));
  });

  test('the topics created by kafka-init are the ones the services use', () => {
    const script = interpolate((compose.services['kafka-init'].command as string[]).join(' '));
    const env = compose.services.api.environment ?? {};
    for (const topic of [env.KAFKA_INGEST_TOPIC, env.KAFKA_DEAD_LETTER_TOPIC]) {
      assert.ok(script.includes(`--topic ${topic} `), `kafka-init creates ${topic}`);
    }
    assert.match(script, /--topic \S+ --partitions \d+/);
  });

  test('each app service runs a process of the image that exists in the sources', () => {
    for (const name of appServices) {
      const service = compose.services[name];
      assert.equal(service.build?.dockerfile, 'docker/Dockerfile', name);
      assert.ok(existsSync(resolve(dockerDir, service.build!.context, 'package.json')), `${name}: build context is the repository`);
      const argv = [...(service.entrypoint ?? []), ...(Array.isArray(service.command) ? service.command : [])];
      assert.equal(argv[0], 'node', name);
      const entry = /^dist\/(apps\/[\w-]+\/src\/main)\.js$/.exec(argv[1]);
      assert.ok(entry, `${name}: runs a compiled app entry point, got ${argv[1]}`);
      assert.ok(existsSync(resolve(repoRoot, `${entry[1]}.ts`)), `${name}: ${entry[1]}.ts exists`);
    }
    assert.deepEqual(
      ['api', 'worker', 'clusterer'].map((name) => (compose.services[name].command as string[])[1]),
      ['dist/apps/api/src/main.js', 'dist/apps/worker/src/main.js', 'dist/apps/clusterer/src/main.js'],
    );
  });

  test('every setting passed to the app services is a known setting with a valid value', () => {
    const known = new Set(Object.keys(configSchema.shape));
    for (const name of appServices) {
      const env = compose.services[name].environment ?? {};
      for (const key of Object.keys(env)) assert.ok(known.has(key), `${name}: ${key} is not a setting of libs/config`);
      const values = Object.fromEntries(Object.entries(env).map(([key, value]) => [key, interpolate(value)]));
      assert.doesNotThrow(() => loadConfig(values), `${name}: its settings pass validation`);
    }
  });

  test('all app services share the blob volume at BLOB_DIR and start after their dependencies are healthy', () => {
    for (const name of appServices) {
      const service = compose.services[name];
      assert.ok(service.volumes?.includes(`blobs:${service.environment?.BLOB_DIR}`), `${name}: blobs volume at BLOB_DIR`);
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        const target = compose.services[dependency];
        assert.ok(target, `${name} depends on unknown ${dependency}`);
        if (condition === 'service_healthy') assert.ok(target.healthcheck, `${name}: ${dependency} needs a health check`);
        else assert.equal(condition, 'service_completed_successfully');
      }
      assert.ok(service.depends_on?.postgres && service.depends_on['kafka-init'], `${name}: waits for the database and the topics`);
    }
    for (const volume of ['pgdata', 'kafkadata', 'blobs']) assert.ok(volume in (compose.volumes ?? {}), `volume ${volume} declared`);
  });

  test('health checks probe the readiness endpoint on the port each process serves it', () => {
    const probe = (name: string) => compose.services[name].healthcheck?.test.join(' ') ?? '';
    const api = compose.services.api.environment!;
    assert.ok(probe('api').includes(`http://127.0.0.1:${api.PORT}/health/ready`));
    for (const name of ['worker', 'clusterer']) {
      assert.ok(probe(name).includes(`http://127.0.0.1:${compose.services[name].environment!.METRICS_PORT}/health/ready`), name);
    }
  });

  test('the GPU override reserves NVIDIA GPUs for workers and builds them with the CUDA provider', () => {
    const worker = gpu.services.worker;
    const devices = worker.deploy?.resources?.reservations?.devices ?? [];
    assert.ok(devices.some((device) => device.driver === 'nvidia' && device.capabilities.includes('gpu')));
    assert.equal(worker.build?.args?.ONNXRUNTIME_NODE_INSTALL, 'cuda12');
    assert.equal(worker.environment?.ORT_PROVIDER, 'cuda');
    assert.doesNotThrow(() => loadConfig(Object.fromEntries(Object.entries(worker.environment ?? {}).map(([k, v]) => [k, String(v)]))));
    const stages = dockerfileStages().map((stage) => stage.name);
    assert.ok(stages.includes(worker.build!.target!), `target ${worker.build!.target} is a Dockerfile stage`);
    assert.deepEqual(Object.keys(gpu.services), ['worker'], 'only workers run the models');
  });
});

describe('Dockerfile', () => {
  const stages = dockerfileStages();

  test('multi-stage: a build stage, then CPU and CUDA runtimes; the default (last) is the CPU runtime', () => {
    assert.deepEqual(stages.map((stage) => stage.name), ['build', 'runtime-cuda', 'runtime']);
    assert.equal(compose.services.api.build?.target, 'runtime');
    for (const stage of stages.slice(1)) {
      assert.ok(stage.lines.some((line) => /^USER\s+(?!root)/.test(line)), `${stage.name} does not run as root`);
    }
  });

  test('every COPY source exists in the repository or is an earlier stage', () => {
    for (const [index, stage] of stages.entries()) {
      for (const line of stage.lines.filter((l) => l.startsWith('COPY '))) {
        const words = line.split(/\s+/).slice(1);
        const from = words.find((word) => word.startsWith('--from='))?.slice('--from='.length);
        const paths = words.filter((word) => !word.startsWith('--'));
        const sources = paths.slice(0, -1);
        if (from) {
          assert.ok(stages.slice(0, index).some((earlier) => earlier.name === from), `${line}: ${from} is an earlier stage`);
        } else {
          for (const source of sources) assert.ok(existsSync(resolve(repoRoot, source)), `${line}: ${source} exists`);
        }
      }
    }
  });

  test('the build runs scripts that exist and the CUDA provider install is selected by a build argument', () => {
    const build = stages[0].lines.join('\n');
    const scripts = JSON.parse(readFileSync(resolve(repoRoot, 'package.json'), 'utf8')).scripts as Record<string, string>;
    for (const [, script] of build.matchAll(/npm run (\S+)/g)) assert.ok(scripts[script], `npm run ${script} exists`);
    assert.match(build, /^ARG ONNXRUNTIME_NODE_INSTALL=skip$/m);
    assert.match(build, /ONNXRUNTIME_NODE_INSTALL=\$\{ONNXRUNTIME_NODE_INSTALL\} node node_modules\/onnxruntime-node\/script\/install\.js/);
    assert.ok(existsSync(resolve(repoRoot, 'node_modules/onnxruntime-node/script/install.js')));
  });

  test('each runtime starts a compiled entry point and ships models and migrations', () => {
    for (const stage of stages.slice(1)) {
      const cmd = stage.lines.find((line) => line.startsWith('CMD '));
      const entry = /"dist\/(apps\/[\w-]+\/src\/main)\.js"/.exec(cmd ?? '');
      assert.ok(entry && existsSync(resolve(repoRoot, `${entry[1]}.ts`)), `${stage.name}: ${cmd}`);
      for (const folder of ['models', 'migrations', 'dist', 'node_modules']) {
        assert.ok(stage.lines.some((line) => line.startsWith('COPY ') && line.endsWith(` ${folder}`)), `${stage.name} ships ${folder}`);
      }
    }
  });

  test('the build context leaves out local state and build output', () => {
    const ignored = readFileSync(resolve(dockerDir, 'Dockerfile.dockerignore'), 'utf8').split('\n');
    for (const path of ['node_modules', 'dist', 'data', '.git']) assert.ok(ignored.includes(path), `${path} ignored`);
  });
});
