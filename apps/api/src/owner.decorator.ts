import { BadRequestException, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';

/** Owner used when a request names none: the single local user of the embedded mode. */
export const DEFAULT_OWNER = 'local';
const OWNER_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * The owner whose photos a request reads or writes, from the `X-User-Id` header.
 * (Authentication with tokens replaces this header in a later step.)
 */
export const OwnerId = createParamDecorator((_data: unknown, context: ExecutionContext): string => {
  const header = context.switchToHttp().getRequest<Request>().headers['x-user-id'];
  if (header === undefined) return DEFAULT_OWNER;
  if (typeof header !== 'string' || !OWNER_PATTERN.test(header)) {
    throw new BadRequestException('X-User-Id must be 1-64 characters of letters, digits, ".", "_" or "-"');
  }
  return header;
});
