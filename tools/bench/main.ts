/**
 * `npm run bench [suite...] [--quick] [suite options]`: runs the selected benchmark suites (all
 * known ones when none is named) one after another in this process, prints each suite's tables
 * on stdout (progress on stderr), saves bench-results/<suite>.json and, at the end,
 * bench-results/summary.json with every suite's outcome and the machine's load around it.
 *
 * The suites of other areas (clustering, load) are picked up when their files exist; a suite
 * that fails is reported in the summary and the others still run.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../support/paths';
import { formatTable } from './stats';
import type { BenchOutcome, BenchSuite } from './suite';

/** Known suites in run order: name → compiled module (relative to this file). */
const SUITE_MODULES: ReadonlyArray<{ name: string; module: string }> = [
  { name: 'models', module: './models' },
  { name: 'pyramid', module: './pyramid' },
  { name: 'ingest', module: './ingest' },
  { name: 'peer', module: './peer' },
  { name: 'clustering', module: './clustering' },
  { name: 'load', module: './load' },
  { name: 'login-flood', module: './login-flood' },
  { name: 'decode-memory', module: './decode-memory' },
  { name: 'e2e', module: './e2e' },
];

const USAGE = `usage: npm run bench -- [${SUITE_MODULES.map((suite) => suite.name).join('|')} ...] [--quick] [suite options]`;

export const RESULTS_DIR = join(repoRoot, 'bench-results');

/** The machine's state, recorded with every result: other work on the cores skews timings. */
export function machineState(): Record<string, unknown> {
  const [load1, load5, load15] = loadavg();
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
    freeMemoryGiB: Number((freemem() / 2 ** 30).toFixed(1)),
    loadAverage: { '1m': round2(load1), '5m': round2(load5), '15m': round2(load15) },
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

interface SuiteRecord {
  suite: string;
  status: 'ok' | 'failed' | 'missing';
  seconds?: number;
  error?: string;
  loadBefore?: unknown;
  loadAfter?: unknown;
  tables?: BenchOutcome['tables'];
}

async function main(argv: string[]): Promise<void> {
  // Suite names come first; everything from the first option on is for the suites.
  const firstOption = argv.findIndex((arg) => arg.startsWith('-'));
  const suiteNames = firstOption === -1 ? argv : argv.slice(0, firstOption);
  const options = firstOption === -1 ? [] : argv.slice(firstOption);
  const unknown = suiteNames.filter((name) => !SUITE_MODULES.some((suite) => suite.name === name));
  if (unknown.length > 0) throw new Error(`unknown suite(s): ${unknown.join(', ')}`);
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return;
  }
  const quick = options.includes('--quick');
  const toRun = suiteNames.length > 0 ? SUITE_MODULES.filter((suite) => suiteNames.includes(suite.name)) : SUITE_MODULES;

  await mkdir(RESULTS_DIR, { recursive: true });
  const records: SuiteRecord[] = [];
  for (const { name, module } of toRun) {
    const suite = loadSuite(name, module);
    if (!suite) {
      records.push({ suite: name, status: 'missing' });
      if (suiteNames.includes(name)) console.error(`bench: suite "${name}" is not available (${module}.ts not built)`);
      continue;
    }
    console.log(`\n== ${suite.name}: ${suite.description}`);
    const loadBefore = machineState().loadAverage;
    const started = performance.now();
    try {
      const outcome = await suite.run({ argv: options, quick, progress: (message) => console.error(`[${suite.name}] ${message}`) });
      const seconds = (performance.now() - started) / 1000;
      for (const table of outcome.tables) printTable(table);
      const loadAfter = machineState().loadAverage;
      const file = join(RESULTS_DIR, `${suite.name}.json`);
      const json = { suite: suite.name, date: new Date().toISOString(), seconds: round2(seconds), quick, machine: machineState(), loadBefore, result: outcome.json };
      await writeFile(file, `${JSON.stringify(json, null, 2)}\n`);
      console.log(`(${seconds.toFixed(1)} s; load average before ${JSON.stringify(loadBefore)}, after ${JSON.stringify(loadAfter)}; saved ${file})`);
      records.push({ suite: suite.name, status: 'ok', seconds: round2(seconds), loadBefore, loadAfter, tables: outcome.tables });
    } catch (error) {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      console.error(`bench: suite "${suite.name}" failed: ${message}`);
      records.push({ suite: suite.name, status: 'failed', error: message, loadBefore });
      process.exitCode = 1;
    }
  }

  const summaryRows = [['suite', 'status', 'seconds', 'load avg before → after (1 min)']];
  for (const record of records) {
    summaryRows.push([
      record.suite,
      record.status,
      record.seconds === undefined ? '' : record.seconds.toFixed(1),
      record.loadBefore ? `${loadOf(record.loadBefore)} → ${record.loadAfter ? loadOf(record.loadAfter) : '?'}` : '',
    ]);
  }
  console.log(`\n== summary (${cpus().length} CPU cores, ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version})`);
  console.log(formatTable(summaryRows));
  const summaryFile = join(RESULTS_DIR, 'summary.json');
  await writeFile(summaryFile, `${JSON.stringify({ date: new Date().toISOString(), quick, machine: machineState(), suites: records }, null, 2)}\n`);
  console.log(`saved ${summaryFile}`);
}

/** The suite exported by a compiled module, or undefined when the module was not built. */
function loadSuite(name: string, module: string): BenchSuite | undefined {
  if (!existsSync(join(__dirname, `${module}.js`))) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional suites, resolved at run time
  const exports = require(module) as Record<string, unknown>;
  const suite = Object.values(exports).find(
    (value): value is BenchSuite =>
      typeof value === 'object' && value !== null && (value as BenchSuite).name === name && typeof (value as BenchSuite).run === 'function',
  );
  if (!suite) throw new Error(`${module} exports no BenchSuite named "${name}"`);
  return suite;
}

function printTable(table: BenchOutcome['tables'][number]): void {
  console.log(`\n${table.title}`);
  console.log(formatTable(table.rows));
  for (const note of table.notes ?? []) console.log(`  ${note}`);
}

function loadOf(load: unknown): string {
  return String((load as Record<string, number>)['1m']);
}

function round2(value: number): number {
  return Number(value.toFixed(2));
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    console.error(USAGE);
    process.exitCode = 1;
  });
}
