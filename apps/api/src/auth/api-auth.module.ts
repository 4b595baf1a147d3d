import { Module, RequestMethod, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import cookieParser from 'cookie-parser';
import { AuthModule, FirstUserBootstrap } from '@facecloud/auth';
import { AuthController } from './auth.controller';
import { AuthGuard } from './auth.guard';

/**
 * Authentication of the HTTP API: the global guard (every route needs a token or session
 * unless @Public()), /auth/login, /auth/logout, /auth/me, and the first user of a new install.
 */
@Module({
  imports: [AuthModule],
  controllers: [AuthController],
  providers: [{ provide: APP_GUARD, useClass: AuthGuard }, FirstUserBootstrap],
})
export class ApiAuthModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(cookieParser()).forRoutes({ path: '*path', method: RequestMethod.ALL });
  }
}
