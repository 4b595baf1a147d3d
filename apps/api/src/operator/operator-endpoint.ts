import { randomBytes } from 'node:crypto';
import type { AddressInfo, Server } from 'node:net';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { DATABASE, type Database } from '@facecloud/storage';

/** Header that carries the operator secret (see OperatorGuard). */
export const OPERATOR_SECRET_HEADER = 'x-facecloud-operator';

/**
 * How the admin CLI reaches a service that holds the embedded data folder (no other process
 * may open it): once the server listens, a fresh random secret and the loopback address are
 * written into the folder's lock file, which only the folder's owner can read (0600). Who can
 * read the data folder could open the database anyway, so this grants nothing new; the secret
 * changes with every start and is gone with the process. PostgreSQL mode has no such secret:
 * the admin CLI opens the database itself there.
 */
@Injectable()
export class OperatorEndpoint implements OnApplicationBootstrap {
  private readonly logger = new Logger('Operator');
  private secretValue: string | undefined;

  constructor(
    @Inject(DATABASE) private readonly database: Database,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  /** The current secret; undefined when operator requests are not taken (PostgreSQL mode, not listening yet). */
  get secret(): string | undefined {
    return this.secretValue;
  }

  onApplicationBootstrap(): void {
    const lock = this.database.folderLock;
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    if (!lock || !server) return;
    server.once('listening', () => {
      const { address, port } = server.address() as AddressInfo;
      const wildcard = address === '0.0.0.0' || address === '::';
      const host = wildcard ? '127.0.0.1' : address.includes(':') ? `[${address}]` : address;
      const secret = randomBytes(32).toString('base64url');
      lock.setOperator({ url: `http://${host}:${port}`, secret });
      this.secretValue = secret;
      this.logger.log(`admin commands on this data folder go through this service (${lock.path})`);
    });
  }
}
