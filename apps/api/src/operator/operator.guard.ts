import { timingSafeEqual } from 'node:crypto';
import { Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { OPERATOR_SECRET_HEADER, OperatorEndpoint } from './operator-endpoint';

const isLoopback = (address: string | undefined) =>
  !!address && (address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.'));

/**
 * Operator routes: only from this machine (loopback, or the address the service listens on)
 * and only with the current operator secret, which the service wrote into its data folder's
 * lock file. User credentials count for nothing here.
 */
@Injectable()
export class OperatorGuard implements CanActivate {
  constructor(private readonly endpoint: OperatorEndpoint) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<Request>();
    const secret = this.endpoint.secret;
    const given = request.headers[OPERATOR_SECRET_HEADER];
    const local = isLoopback(request.socket.remoteAddress) || request.socket.remoteAddress === request.socket.localAddress;
    if (!secret || typeof given !== 'string' || !local || !sameSecret(given, secret)) {
      throw new UnauthorizedException('operator routes take the operator secret of the data folder, from this machine only');
    }
    return true;
  }
}

function sameSecret(given: string, secret: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}
