import { resolve } from 'node:path';
import type { AppConfig } from '@facecloud/config';
import { DataFolderLock, embeddedDirFromConfig, embeddedLockPath, type DataFolderHolder } from '@facecloud/storage';

/** Header the service's OperatorGuard reads (apps/api/src/operator). */
const OPERATOR_SECRET_HEADER = 'x-facecloud-operator';

/** An answer of the service other than 2xx: status and its message. */
export class ServiceError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The admin CLI's way into a running embedded service: with the embedded database only the
 * service may open the data folder, so commands that must work while it runs (users, tokens,
 * backup) ask it over HTTP, on loopback, with the operator secret it wrote into the folder's
 * lock file. Undefined when no service holds the folder (the command opens it itself) or in
 * PostgreSQL mode (any number of processes may open the database).
 */
export class ServiceClient {
  private constructor(private readonly holder: DataFolderHolder & { operator: NonNullable<DataFolderHolder['operator']> }) {}

  static forRunningService(config: AppConfig): ServiceClient | undefined {
    if (config.DATABASE_URL) return undefined;
    const dir = resolve(embeddedDirFromConfig(config));
    const holder = DataFolderLock.runningService(dir, embeddedLockPath(dir));
    return holder?.operator ? new ServiceClient({ ...holder, operator: holder.operator }) : undefined;
  }

  /** Who answers, for messages: "the service (all-in-one, pid 123)". */
  get description(): string {
    return `the running service (${this.holder.program}, pid ${this.holder.pid})`;
  }

  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.request(method, path, body);
    return (response.status === 204 ? undefined : await response.json()) as T;
  }

  async bytes(path: string): Promise<Buffer> {
    return Buffer.from(await (await this.request('GET', path)).arrayBuffer());
  }

  private async request(method: string, path: string, body?: unknown): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(`${this.holder.operator.url}/operator${path}`, {
        method,
        headers: { [OPERATOR_SECRET_HEADER]: this.holder.operator.secret, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new Error(`${this.description} did not answer at ${this.holder.operator.url} (${(error as Error).message}); is it stopping? Run the command again`);
    }
    if (!response.ok) {
      const text = await response.text();
      let message = text;
      try {
        const parsed = JSON.parse(text) as { message?: string | string[] };
        message = Array.isArray(parsed.message) ? parsed.message.join('; ') : (parsed.message ?? text);
      } catch {
        // not JSON: the text itself
      }
      throw new ServiceError(response.status, message);
    }
    return response;
  }
}
