import 'reflect-metadata';
import { ConfigError } from '@facecloud/config';
import { DataFolderInUseError } from '@facecloud/storage';
import { UsageError } from './command';
import { adminCommands } from './commands';

function usage(): string {
  const lines = adminCommands.map((command) =>
    [`  ${command.name} ${command.synopsis}`.trimEnd(), ...command.summary.split('\n').map((line) => `      ${line}`)].join('\n'),
  );
  return `usage: npm run admin -- <command> [options]   (also: npm run import -- …, npm run export -- …)

commands:
${lines.join('\n')}
  help
      this text

Uses the same settings as the services (DATABASE_URL, BLOB_DIR, DATA_DIR, KAFKA_BROKERS, ...).
With the embedded database only one process may open the data folder: while the service runs,
user, token and backup go through it; the other commands say so and exit 1 (stop it first).`;
}

async function main(argv: string[]): Promise<number> {
  // Command output goes to stdout; the services' logs (stderr) only when something is wrong.
  process.env.LOG_LEVEL ??= 'warn';
  const [name = 'help', ...rest] = argv;
  if (name === 'help' || name === '--help' || name === '-h') {
    console.log(usage());
    return 0;
  }
  const command = adminCommands.find((candidate) => candidate.name === name);
  if (!command) {
    console.error(`unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(`usage: npm run admin -- ${command.name} ${command.synopsis}\n\n${command.summary}`);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${command.name}: ${error.message}\nusage: npm run admin -- ${command.name} ${command.synopsis}`);
      return 2;
    }
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 2;
    }
    if (error instanceof DataFolderInUseError) {
      console.error(`${command.name}: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  },
);
