export { AuthModule } from './auth.module';
export {
  AuthService,
  InvalidUserIdError,
  UnknownUserError,
  UserExistsError,
  type Principal,
} from './auth.service';
export { FirstUserBootstrap } from './first-user';
export { LoginThrottle } from './login-throttle';
export { USER_ID_PATTERN, TOKEN_PREFIX, hashPassword, hashToken, newToken, verifyPassword } from './credentials';
