import { AuthModule, AuthService, InvalidUserIdError, UnknownUserError, UserExistsError } from '@facecloud/auth';
import { UsageError, parseCommandArgs, withServices, type AdminCommand } from '../command';

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
      const [users, tokens] = await withAuth(async (auth) => [await auth.listUsers(), await auth.listTokens()] as const);
      for (const user of users) {
        const count = tokens.filter((token) => token.userId === user.id && token.kind === 'api').length;
        console.log(`${user.id}\t${user.passwordHash ? 'password' : 'no password'}\t${count} API token(s)`);
      }
      return 0;
    }
    if (!userId) throw new UsageError('a user id is needed');
    if (action === 'create') {
      const created = await withAuth((auth) => auth.createUser(userId));
      console.log(`created user ${created.userId} (shown only now)`);
      console.log(`password: ${created.password}`);
      console.log(`token:    ${created.token}   (id ${created.tokenId})`);
      return 0;
    }
    if (action === 'reset-password') {
      const password = await withAuth((auth) => auth.resetPassword(userId));
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
      const { token, tokenId } = await withAuth((auth) => auth.createToken(target, values.name ?? null));
      console.log(`token of ${target}: ${token}   (id ${tokenId}; shown only now)`);
      return 0;
    }
    if (action === 'revoke' && target) {
      if (!UUID.test(target)) throw new UsageError(`"${target}" is not a token id (see: token list)`);
      if (!(await withAuth((auth) => auth.revokeToken(target)))) {
        console.error(`no token ${target}`);
        return 1;
      }
      console.log(`revoked token ${target}`);
      return 0;
    }
    if (action === 'list' && !target) {
      for (const token of await withAuth((auth) => auth.listTokens(values.user))) {
        const used = token.lastUsedAt ? `last used ${token.lastUsedAt.toISOString()}` : 'never used';
        console.log(`${token.id}\t${token.userId}\t${token.kind}\t${token.name ?? ''}\t${used}`);
      }
      return 0;
    }
    throw new UsageError(action ? `"${action}" needs its argument` : 'an action is needed');
  },
};
