import { Module } from '@nestjs/common';
import { AuthService } from './auth.service';
import { LoginThrottle } from './login-throttle';

/** Users, tokens and sessions; needs the global config and storage modules. */
@Module({
  providers: [AuthService, LoginThrottle],
  exports: [AuthService, LoginThrottle],
})
export class AuthModule {}
