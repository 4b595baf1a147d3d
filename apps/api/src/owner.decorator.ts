import { createParamDecorator, InternalServerErrorException, type ExecutionContext } from '@nestjs/common';
import type { AuthenticatedRequest } from './auth/auth.guard';

/**
 * The owner whose photos, faces and persons a request reads or writes: the authenticated
 * user (set by AuthGuard from the API token or session cookie). Every query is scoped to it.
 */
export const OwnerId = createParamDecorator((_data: unknown, context: ExecutionContext): string => {
  const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  // Only a route marked @Public() gets here without one: a programming error, never a default user.
  if (!principal) throw new InternalServerErrorException('route has no authenticated user');
  return principal.userId;
});
