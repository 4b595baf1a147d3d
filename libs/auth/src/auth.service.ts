import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@facecloud/config';
import { DATABASE, Repositories, type ApiToken, type UserRepository, type Database, type User } from '@facecloud/storage';
import { ConcurrencyGate, GateFullError } from './concurrency-gate';
import { USER_ID_PATTERN, hashPassword, hashToken, newPassword, newToken, verifyPassword } from './credentials';

/** Who a request acts for, once its credential was checked. */
export interface Principal {
  userId: string;
  /** The api_tokens row that proved it (API token or browser session). */
  credentialId: string;
  kind: ApiToken['kind'];
}

export class UserExistsError extends Error {}
export class UnknownUserError extends Error {}
export class InvalidUserIdError extends Error {}
/** Too many password checks are running and waiting: the login was not checked. */
export class LoginBusyError extends Error {}

/** Longest credential looked at: anything longer is not one of ours, and is not hashed. */
const MAX_TOKEN_LENGTH = 256;

/** Users, API tokens and browser sessions. Secrets are returned once and stored only hashed. */
@Injectable()
export class AuthService {
  /**
   * Password checks (scrypt) run on libuv's thread pool, which sharp and file I/O share: a few
   * at a time, so a flood of logins cannot stall uploads and previews; beyond the queue, refused.
   */
  private readonly passwordChecks: ConcurrencyGate;
  private readonly users: UserRepository;

  constructor(
    @Inject(DATABASE) database: Database,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    repositories: Repositories,
  ) {
    this.passwordChecks = new ConcurrencyGate(config.AUTH_PASSWORD_CHECK_CONCURRENCY, config.AUTH_PASSWORD_CHECK_QUEUE);
    this.users = repositories.acrossOwners(database.pool).users;
  }

  /** The user a token or session cookie value acts as, or undefined if it is not valid. */
  async authenticate(token: string): Promise<Principal | undefined> {
    if (!token || token.length > MAX_TOKEN_LENGTH) return undefined;
    const found = await this.users.findValidToken(hashToken(token));
    return found && { userId: found.userId, credentialId: found.id, kind: found.kind };
  }

  /**
   * Checks the password; on success opens a browser session and returns its token.
   * LoginBusyError when too many checks are already waiting (nothing was checked).
   */
  async login(userId: string, password: string): Promise<{ userId: string; sessionToken: string; expiresAt: Date } | undefined> {
    const user = USER_ID_PATTERN.test(userId) ? await this.users.findById(userId) : undefined;
    // Verified even for an unknown user, through the same gate, so the answer's timing does not tell which ids exist.
    const matches = await this.passwordChecks.run(() => verifyPassword(password, user?.passwordHash ?? null)).catch((error: unknown) => {
      if (error instanceof GateFullError) throw new LoginBusyError('too many logins in progress');
      throw error;
    });
    if (!user || !matches) return undefined;
    await this.users.deleteExpired();
    const sessionToken = newToken();
    const expiresAt = new Date(Date.now() + this.config.AUTH_SESSION_HOURS * 3600_000);
    await this.users.insertToken({
      userId: user.id,
      kind: 'session',
      name: 'browser session',
      tokenSha256: hashToken(sessionToken),
      expiresAt,
    });
    return { userId: user.id, sessionToken, expiresAt };
  }

  /** Ends the session (or revokes the token) with this value; false if there was none. */
  logout(token: string): Promise<boolean> {
    if (!token || token.length > MAX_TOKEN_LENGTH) return Promise.resolve(false);
    return this.users.deleteTokenByHash(hashToken(token));
  }

  /** Creates a user with a random password and a first API token; both are shown only here. */
  async createUser(userId: string): Promise<{ userId: string; password: string; token: string; tokenId: string }> {
    if (!USER_ID_PATTERN.test(userId)) {
      throw new InvalidUserIdError(`invalid user id "${userId}": 1-64 letters, digits, ".", "_" or "-"`);
    }
    const password = newPassword();
    if (!(await this.users.create(userId, await hashPassword(password)))) {
      throw new UserExistsError(`user "${userId}" exists already`);
    }
    const { token, tokenId } = await this.createToken(userId, 'created with the user');
    return { userId, password, token, tokenId };
  }

  /**
   * On first start (no user at all): creates user "local" with a random password and token,
   * for the embedded single-user default. Undefined when any user exists.
   */
  async createFirstUser(): Promise<{ userId: string; password: string; token: string } | undefined> {
    const userId = 'local';
    const password = newPassword();
    if (!(await this.users.createIfNoUsers(userId, await hashPassword(password)))) return undefined;
    const { token } = await this.createToken(userId, 'first start');
    return { userId, password, token };
  }

  /** A new API token for the user. */
  async createToken(userId: string, name: string | null = null): Promise<{ token: string; tokenId: string }> {
    if (!(await this.users.findById(userId))) throw new UnknownUserError(`no user "${userId}"`);
    const token = newToken();
    const row = await this.users.insertToken({
      userId,
      kind: 'api',
      name,
      tokenSha256: hashToken(token),
      expiresAt: null,
    });
    return { token, tokenId: row.id };
  }

  /** Revokes an API token or session by its id (as listed); false if there was none. */
  revokeToken(tokenId: string): Promise<boolean> {
    return this.users.deleteToken(tokenId);
  }

  /** Sets a new random password; returns it. */
  async resetPassword(userId: string): Promise<string> {
    const password = newPassword();
    if (!(await this.users.setPasswordHash(userId, await hashPassword(password)))) {
      throw new UnknownUserError(`no user "${userId}"`);
    }
    return password;
  }

  listUsers(): Promise<User[]> {
    return this.users.list();
  }

  listTokens(userId?: string): Promise<ApiToken[]> {
    return this.users.listTokens(userId);
  }
}
