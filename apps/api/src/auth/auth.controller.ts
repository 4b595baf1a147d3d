import { Body, Controller, Get, HttpCode, HttpException, Inject, Post, Req, Res, UnauthorizedException } from '@nestjs/common';
import type { CookieOptions, Request, Response } from 'express';
import { z } from 'zod';
import { AuthService, LoginThrottle } from '@facecloud/auth';
import { APP_CONFIG, type AppConfig } from '@facecloud/config';
import { ZodValidationPipe } from '../zod-validation.pipe';
import { SESSION_COOKIE, credentialOf, type AuthenticatedRequest } from './auth.guard';
import { Public } from './public.decorator';

const loginSchema = z.object({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(1024),
});

/** Browser login: a session cookie the browser then sends with every same-origin request. */
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly throttle: LoginThrottle,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private cookieOptions(): CookieOptions {
    return { httpOnly: true, sameSite: 'strict', secure: this.config.AUTH_COOKIE_SECURE, path: '/' };
  }

  @Public()
  @Post('login')
  @HttpCode(200)
  async login(
    @Body(new ZodValidationPipe(loginSchema)) body: z.infer<typeof loginSchema>,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<{ user: { id: string } }> {
    const address = request.ip ?? 'unknown';
    const wait = this.throttle.retryAfterSeconds(body.username, address);
    if (wait > 0) {
      response.setHeader('Retry-After', String(wait));
      throw new HttpException(`too many failed logins: try again in ${wait} s`, 429);
    }
    const session = await this.auth.login(body.username, body.password);
    if (!session) {
      this.throttle.recordFailure(body.username, address);
      throw new UnauthorizedException('wrong username or password');
    }
    this.throttle.recordSuccess(body.username, address);
    response.cookie(SESSION_COOKIE, session.sessionToken, { ...this.cookieOptions(), expires: session.expiresAt });
    return { user: { id: session.userId } };
  }

  /** Ends the browser session (if any) and clears its cookie; always 200. */
  @Public()
  @Post('logout')
  @HttpCode(200)
  async logout(@Req() request: Request, @Res({ passthrough: true }) response: Response): Promise<{ user: null }> {
    const cookie = (request.cookies as Record<string, unknown> | undefined)?.[SESSION_COOKIE];
    if (typeof cookie === 'string') await this.auth.logout(cookie);
    response.clearCookie(SESSION_COOKIE, this.cookieOptions());
    return { user: null };
  }

  /** Who the caller is; 401 when not logged in (the UI then shows its login form). */
  @Get('me')
  me(@Req() request: AuthenticatedRequest): { user: { id: string }; via: 'token' | 'session' } {
    // The guard has authenticated the request; credentialOf only says how.
    const via = credentialOf(request)?.from === 'header' ? 'token' : 'session';
    return { user: { id: request.principal!.userId }, via };
  }
}
