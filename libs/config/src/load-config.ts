import { configSchema, type AppConfig } from './config.schema';

export class ConfigError extends Error {}

/**
 * Parses settings from the environment (or any record, for tests). A bad value stops
 * start-up with one message listing every problem, rather than failing later at use.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  const known = Object.fromEntries(
    Object.keys(configSchema.shape)
      .filter((key) => env[key] !== undefined)
      .map((key) => [key, env[key]]),
  );
  const parsed = configSchema.safeParse(known);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = issue.path.join('.');
      const given = key in known ? ` (given "${known[key]}")` : '';
      return `  ${key}${given}: ${issue.message}`;
    });
    throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
  }
  return parsed.data;
}
