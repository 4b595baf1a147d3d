import {
  BadRequestException,
  Body,
  ConflictException,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  Post,
  Query,
  Res,
  UseGuards,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { z } from 'zod';
import { AuthService, InvalidUserIdError, UnknownUserError, UserExistsError } from '@facecloud/auth';
import { DATABASE, type Database } from '@facecloud/storage';
import { Public } from '../auth/public.decorator';
import { ZodValidationPipe } from '../zod-validation.pipe';
import { OperatorGuard } from './operator.guard';

const createUserBody = z.object({ userId: z.string().min(1).max(64) }).strict();
const createTokenBody = z.object({ userId: z.string().min(1).max(64), name: z.string().max(200).nullable().default(null) }).strict();
const tokenId = z.string().uuid();

/** Turns the auth service's domain errors into 4xx answers with their message. */
async function answer<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof UnknownUserError) throw new NotFoundException(error.message);
    if (error instanceof UserExistsError) throw new ConflictException(error.message);
    if (error instanceof InvalidUserIdError) throw new BadRequestException(error.message);
    throw error;
  }
}

/**
 * What `npm run admin` does through a running embedded service, which alone may open its data
 * folder: users, tokens, a consistent backup. Not part of the public API (not in /docs):
 * the admin CLI is its client, and OperatorGuard lets only it in.
 */
@ApiExcludeController()
@Public()
@UseGuards(OperatorGuard)
@Controller('operator')
export class OperatorController {
  constructor(
    private readonly auth: AuthService,
    @Inject(DATABASE) private readonly database: Database,
  ) {}

  @Get('status')
  status() {
    return { pid: process.pid, database: this.database.kind, dataFolder: this.database.folderLock?.folder ?? null };
  }

  @Get('users')
  async users() {
    const [users, tokens] = await Promise.all([this.auth.listUsers(), this.auth.listTokens()]);
    return {
      users: users.map((user) => ({
        id: user.id,
        hasPassword: user.passwordHash !== null,
        apiTokens: tokens.filter((token) => token.userId === user.id && token.kind === 'api').length,
      })),
    };
  }

  @Post('users')
  createUser(@Body(new ZodValidationPipe(createUserBody)) body: z.infer<typeof createUserBody>) {
    return answer(() => this.auth.createUser(body.userId));
  }

  @Post('users/:userId/password')
  @HttpCode(200)
  async resetPassword(@Param('userId') userId: string) {
    return { password: await answer(() => this.auth.resetPassword(userId)) };
  }

  @Get('tokens')
  async tokens(@Query('user') userId?: string) {
    return { tokens: await this.auth.listTokens(userId) };
  }

  @Post('tokens')
  createToken(@Body(new ZodValidationPipe(createTokenBody)) body: z.infer<typeof createTokenBody>) {
    return answer(() => this.auth.createToken(body.userId, body.name));
  }

  @Delete('tokens/:id')
  @HttpCode(204)
  async revokeToken(@Param('id', new ZodValidationPipe(tokenId)) id: string): Promise<void> {
    if (!(await this.auth.revokeToken(id))) throw new NotFoundException(`no token ${id}`);
  }

  /** The embedded database as of now (Database.backup): a gzipped tar. */
  @Get('backup')
  async backup(@Res() response: Response): Promise<void> {
    if (!this.database.backup) throw new NotFoundException('backups over the API are for the embedded database');
    const dump = Buffer.from(await (await this.database.backup()).arrayBuffer());
    response.setHeader('Content-Type', 'application/gzip');
    response.setHeader('Content-Length', dump.length);
    response.end(dump);
  }
}
