import { Body, Controller, Get, HttpCode, HttpException, Inject, Post, Req, Res, UnauthorizedException } from '@nestjs/common';
import type { CookieOptions, Request, Response } from 'express';
import { z } from 'zod';
import { AuthService, LoginBusyError, LoginThrottle } from '@facecloud/auth';
import { APP_CONFIG, type AppConfig } from '@facecloud/config';
import { withoutControlCharacters } from '@facecloud/contract';
import { ZodValidationPipe } from '../zod-validation.pipe';
import { SESSION_COOKIE, credentialOf, type AuthenticatedRequest } from './auth.guard';
import { Public } from './public.decorator';

const loginSchema = z.object({
  username: withoutControlCharacters(z.string().min(1).max(64)),
  password: z.string().min(1).max(1024),
});

/** A full queue of password checks drains in well under a second; ask for a retry after one. */
const LOGIN_BUSY_RETRY_SECONDS = 1;

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
    // The TCP peer, or the client named by a proxy that TRUST_PROXY trusts.
    const address = request.ip ?? 'unknown';
    // Counted as a failure before the check, so parallel guesses cannot outrun the count.
    const admission = this.throttle.admit(body.username, address);
    if (!admission.admitted) {
      const wait = admission.retryAfterSeconds;
      response.setHeader('Retry-After', String(wait));
      const from = admission.limitedBy === 'address' ? ' from this address' : '';
      throw new HttpException(`too many failed logins${from}: try again in ${wait} s`, 429);
    }
    let session;
    try {
      session = await this.auth.login(body.username, body.password);
    } catch (error) {
      admission.reservation.cancelled();
      if (!(error instanceof LoginBusyError)) throw error;
      response.setHeader('Retry-After', String(LOGIN_BUSY_RETRY_SECONDS));
      throw new HttpException(`too many logins in progress: try again in ${LOGIN_BUSY_RETRY_SECONDS} s`, 503);
    }
    if (!session) throw new UnauthorizedException('wrong username or password');
    admission.reservation.succeeded();
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
