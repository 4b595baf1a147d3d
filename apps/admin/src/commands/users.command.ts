import { AuthModule, AuthService, InvalidUserIdError, UnknownUserError, UserExistsError } from '@facecloud/auth';
import { loadConfig } from '@facecloud/config';
import { UsageError, parseCommandArgs, withServices, type AdminCommand } from '../command';
import { ServiceClient, ServiceError } from '../service-client';

interface UserRow {
  id: string;
  hasPassword: boolean;
  apiTokens: number;
}

interface TokenRow {
  id: string;
  userId: string;
  kind: string;
  name: string | null;
  lastUsedAt: Date | null;
}

/** What the user and token commands do, on the database itself or through the running service. */
interface UserAdmin {
  createUser(userId: string): Promise<{ userId: string; password: string; token: string; tokenId: string }>;
  resetPassword(userId: string): Promise<string>;
  listUsers(): Promise<UserRow[]>;
  createToken(userId: string, name: string | null): Promise<{ token: string; tokenId: string }>;
  /** False if there was no such token. */
  revokeToken(tokenId: string): Promise<boolean>;
  listTokens(userId?: string): Promise<TokenRow[]>;
}

/** Opens the database for each call (no service holds it). */
const directAdmin: UserAdmin = {
  createUser: (userId) => withAuth((auth) => auth.createUser(userId)),
  resetPassword: (userId) => withAuth((auth) => auth.resetPassword(userId)),
  listUsers: () =>
    withAuth(async (auth) => {
      const [users, tokens] = [await auth.listUsers(), await auth.listTokens()];
      return users.map((user) => ({
        id: user.id,
        hasPassword: user.passwordHash !== null,
        apiTokens: tokens.filter((token) => token.userId === user.id && token.kind === 'api').length,
      }));
    }),
  createToken: (userId, name) => withAuth((auth) => auth.createToken(userId, name)),
  revokeToken: (tokenId) => withAuth((auth) => auth.revokeToken(tokenId)),
  listTokens: (userId) => withAuth((auth) => auth.listTokens(userId)),
};

/** Asks the running embedded service, which alone may open its data folder. */
function serviceAdmin(service: ServiceClient): UserAdmin {
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    try {
      return await service.json<T>(method, path, body);
    } catch (error) {
      // Unknown user, existing user, bad id: the same usage errors as without the service.
      if (error instanceof ServiceError && error.status >= 400 && error.status < 500 && error.status !== 401) {
        throw new UsageError(error.message);
      }
      throw error;
    }
  };
  return {
    createUser: (userId) => call('POST', '/users', { userId }),
    resetPassword: async (userId) => (await call<{ password: string }>('POST', `/users/${encodeURIComponent(userId)}/password`)).password,
    listUsers: async () => (await call<{ users: UserRow[] }>('GET', '/users')).users,
    createToken: (userId, name) => call('POST', '/tokens', { userId, name }),
    revokeToken: async (tokenId) => {
      try {
        await service.json('DELETE', `/tokens/${tokenId}`);
        return true;
      } catch (error) {
        if (error instanceof ServiceError && error.status === 404) return false;
        throw error;
      }
    },
    listTokens: async (userId) => {
      const query = userId === undefined ? '' : `?user=${encodeURIComponent(userId)}`;
      const { tokens } = await call<{ tokens: Array<Omit<TokenRow, 'lastUsedAt'> & { lastUsedAt: string | null }> }>('GET', `/tokens${query}`);
      return tokens.map((token) => ({ ...token, lastUsedAt: token.lastUsedAt ? new Date(token.lastUsedAt) : null }));
    },
  };
}

/**
 * With the embedded database and its service running, the service does the work (a second
 * process must not open the folder); otherwise this process opens the database.
 */
function userAdmin(): UserAdmin {
  const service = ServiceClient.forRunningService(loadConfig());
  return service ? serviceAdmin(service) : directAdmin;
}

/** Runs `work` with the auth service; its domain errors become usage errors (exit 2). */
async function withAuth<T>(work: (auth: AuthService) => Promise<T>): Promise<T> {
  try {
    return await withServices([AuthModule], (app) => work(app.get(AuthService)));
  } catch (error) {
    if (error instanceof UserExistsError || error instanceof UnknownUserError || error instanceof InvalidUserIdError) {
      throw new UsageError(error.message);
    }
    throw error;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const userCommand: AdminCommand = {
  name: 'user',
  synopsis: 'create <id> | reset-password <id> | list',
  summary:
    'create a user (prints a random password for the browser login and an API token, once),\n' +
    'give a user a new random password, or list the users',
  async run(argv) {
    const { positionals } = parseCommandArgs(argv, {}, true);
    const [action, userId, ...extra] = positionals;
    if (extra.length) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
    if (action === 'list' && userId === undefined) {
      for (const user of await userAdmin().listUsers()) {
        console.log(`${user.id}\t${user.hasPassword ? 'password' : 'no password'}\t${user.apiTokens} API token(s)`);
      }
      return 0;
    }
    if (!userId) throw new UsageError('a user id is needed');
    if (action === 'create') {
      const created = await userAdmin().createUser(userId);
      console.log(`created user ${created.userId} (shown only now)`);
      console.log(`password: ${created.password}`);
      console.log(`token:    ${created.token}   (id ${created.tokenId})`);
      return 0;
    }
    if (action === 'reset-password') {
      const password = await userAdmin().resetPassword(userId);
      console.log(`new password of ${userId}: ${password}`);
      return 0;
    }
    throw new UsageError(`unknown action "${action ?? ''}"`);
  },
};

export const tokenCommand: AdminCommand = {
  name: 'token',
  synopsis: 'create <user> [--name NAME] | revoke <token id> | list [--user ID]',
  summary: "create an API token for a user (printed once), revoke a token or session by id, or list tokens (never their values)",
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, { name: { type: 'string' }, user: { type: 'string' } }, true);
    const [action, target, ...extra] = positionals;
    if (extra.length) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
    if (action === 'create' && target) {
      const { token, tokenId } = await userAdmin().createToken(target, values.name ?? null);
      console.log(`token of ${target}: ${token}   (id ${tokenId}; shown only now)`);
      return 0;
    }
    if (action === 'revoke' && target) {
      if (!UUID.test(target)) throw new UsageError(`"${target}" is not a token id (see: token list)`);
      if (!(await userAdmin().revokeToken(target))) {
        console.error(`no token ${target}`);
        return 1;
      }
      console.log(`revoked token ${target}`);
      return 0;
    }
    if (action === 'list' && !target) {
      for (const token of await userAdmin().listTokens(values.user)) {
        const used = token.lastUsedAt ? `last used ${token.lastUsedAt.toISOString()}` : 'never used';
        console.log(`${token.id}\t${token.userId}\t${token.kind}\t${token.name ?? ''}\t${used}`);
      }
      return 0;
    }
    throw new UsageError(action ? `"${action}" needs its argument` : 'an action is needed');
  },
};
