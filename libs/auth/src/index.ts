export { AuthModule } from './auth.module';
export {
  AuthService,
  InvalidUserIdError,
  LoginBusyError,
  UnknownUserError,
  UserExistsError,
  type Principal,
} from './auth.service';
export { FirstUserBootstrap } from './first-user';
export { LoginThrottle, type LoginAdmission, type LoginReservation } from './login-throttle';
export { ConcurrencyGate, GateFullError } from './concurrency-gate';
export { USER_ID_PATTERN, TOKEN_PREFIX, hashPassword, hashToken, newToken, verifyPassword } from './credentials';
