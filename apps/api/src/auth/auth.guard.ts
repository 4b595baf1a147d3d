import {
  ForbiddenException,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { AuthService, type Principal } from '@facecloud/auth';
import { PUBLIC_ROUTE } from './public.decorator';

export const SESSION_COOKIE = 'facecloud_session';

/**
 * Controllers of the platform library (health checks, Prometheus metrics) that load balancers
 * and scrapers call without credentials. They live outside this app, so they are named here
 * by their controller path rather than marked with @Public().
 */
const PUBLIC_CONTROLLER_PATHS = new Set(['health', 'metrics']);

export type AuthenticatedRequest = Request & { principal?: Principal };

/** The credential a request carries: `Authorization: Bearer <token>`, else the session cookie. */
export function credentialOf(request: Request): { token: string; from: 'header' | 'cookie' } | undefined {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new UnauthorizedException('Authorization must be "Bearer <token>"');
    return { token: match[1], from: 'header' };
  }
  const cookie = (request.cookies as Record<string, unknown> | undefined)?.[SESSION_COOKIE];
  return typeof cookie === 'string' && cookie ? { token: cookie, from: 'cookie' } : undefined;
}

/**
 * Every route needs a valid API token or browser session, except those marked public. Sets
 * the request's principal, whose user id is the owner every query is scoped to (@OwnerId()).
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    if (this.isPublic(context)) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const credential = credentialOf(request);
    if (!credential) {
      throw new UnauthorizedException('authentication required: send "Authorization: Bearer <token>" or log in at POST /auth/login');
    }
    const principal = await this.auth.authenticate(credential.token);
    if (!principal) throw new UnauthorizedException('invalid, revoked or expired credentials');
    if (credential.from === 'cookie' && !sameOriginOrUnknown(request)) {
      // The cookie is SameSite=Strict already; this refuses cross-site writes from older browsers too.
      throw new ForbiddenException('cross-origin request with a session cookie refused');
    }
    request.principal = principal;
    return true;
  }

  private isPublic(context: ExecutionContext): boolean {
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, [context.getHandler(), context.getClass()])) return true;
    const controllerPath = Reflect.getMetadata(PATH_METADATA, context.getClass()) as string | string[] | undefined;
    const paths = Array.isArray(controllerPath) ? controllerPath : [controllerPath ?? ''];
    return paths.every((path) => PUBLIC_CONTROLLER_PATHS.has(path.replace(/^\/+|\/+$/g, '')));
  }
}

/** Reads need no origin check; a write's Origin, when the browser sends one, must be this host. */
function sameOriginOrUnknown(request: Request): boolean {
  if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS') return true;
  const origin = request.headers.origin;
  if (!origin) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}
