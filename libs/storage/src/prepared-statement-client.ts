import { createHash } from 'node:crypto';
import { Client, type QueryConfig } from 'pg';

/**
 * A `pg.Client` that sends every statement with parameters as a named prepared statement, so
 * each connection parses and plans it once instead of on every call. On embedded PGlite the
 * planning was most of a small statement's cost: the token lookup every request makes took
 * 0.9–2.4 ms of CPU unnamed and 0.2–0.5 ms named. node-postgres only prepares statements
 * that carry a name, and naming each query by hand at ~100 call sites would be easy to forget.
 *
 * Statements without parameters (migrations, scripts of several statements, which the
 * extended protocol cannot prepare) go as they are. Names are a hash of the text, so a
 * statement built with variable text becomes a new prepared statement per distinct text:
 * callers keep variable parts in parameters, as they must for safety anyway.
 */
export class PreparedStatementClient extends Client {
  // pg's query() has many overloads (text or config, values or callback, submittables);
  // only two shapes are rewritten, everything else passes through unchanged.
  override query(...args: unknown[]): never {
    const [first, second] = args;
    if (typeof first === 'string' && Array.isArray(second)) {
      args = [{ name: statementName(first), text: first, values: second } satisfies QueryConfig, ...args.slice(2)];
    } else if (isUnnamedConfigWithValues(first)) {
      args = [{ ...first, name: statementName(first.text) }, ...args.slice(1)];
    }
    return (super.query as (...args: unknown[]) => never)(...args);
  }
}

function isUnnamedConfigWithValues(value: unknown): value is QueryConfig {
  if (typeof value !== 'object' || value === null) return false;
  const config = value as Partial<QueryConfig> & { submit?: unknown };
  return typeof config.text === 'string' && !config.name && Array.isArray(config.values) && typeof config.submit !== 'function';
}

const names = new Map<string, string>();

/** A stable name per statement text (PostgreSQL allows 63 bytes). */
export function statementName(text: string): string {
  let name = names.get(text);
  if (!name) {
    name = `fc_${createHash('sha1').update(text).digest('hex')}`;
    names.set(text, name);
  }
  return name;
}
