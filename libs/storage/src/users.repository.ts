import type { Queryable } from './database';

export type TokenKind = 'api' | 'session';

export interface User {
  id: string;
  /** scrypt hash (libs/auth), null when the user has no password. */
  passwordHash: string | null;
  createdAt: Date;
}

export interface ApiToken {
  id: string;
  userId: string;
  kind: TokenKind;
  name: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
}

export interface NewToken {
  userId: string;
  kind: TokenKind;
  name: string | null;
  /** Hex SHA-256 of the token; the token itself is never stored. */
  tokenSha256: string;
  expiresAt: Date | null;
}

interface UserRow {
  id: string;
  password_hash: string | null;
  created_at: Date;
}

interface TokenRow {
  id: string;
  user_id: string;
  kind: TokenKind;
  name: string | null;
  created_at: Date;
  last_used_at: Date | null;
  expires_at: Date | null;
}

const toUser = (row: UserRow): User => ({ id: row.id, passwordHash: row.password_hash, createdAt: row.created_at });
const toToken = (row: TokenRow): ApiToken => ({
  id: row.id,
  userId: row.user_id,
  kind: row.kind,
  name: row.name,
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
  expiresAt: row.expires_at,
});

const tokenColumns = 'id, user_id, kind, name, created_at, last_used_at, expires_at';

/**
 * Users and their credentials (API tokens and browser sessions, stored as SHA-256): across
 * owners by nature, since a credential is checked before anyone is known.
 */
export class UserRepository {
  constructor(private readonly db: Queryable) {}

  /** Creates the user; false if the id is taken. */
  async create(id: string, passwordHash: string | null): Promise<boolean> {
    const result = await this.db.query('INSERT INTO users (id, password_hash) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING', [
      id,
      passwordHash,
    ]);
    return result.rowCount === 1;
  }

  /**
   * Creates the user only if there is no user at all (first start); false otherwise. One
   * statement, so processes starting together create it at most once.
   */
  async createIfNoUsers(id: string, passwordHash: string): Promise<boolean> {
    const result = await this.db.query(
      `INSERT INTO users (id, password_hash) SELECT $1, $2 WHERE NOT EXISTS (SELECT 1 FROM users)
       ON CONFLICT (id) DO NOTHING`,
      [id, passwordHash],
    );
    return result.rowCount === 1;
  }

  async findById(id: string): Promise<User | undefined> {
    const result = await this.db.query<UserRow>('SELECT id, password_hash, created_at FROM users WHERE id = $1', [id]);
    return result.rows[0] && toUser(result.rows[0]);
  }

  async list(): Promise<User[]> {
    const result = await this.db.query<UserRow>('SELECT id, password_hash, created_at FROM users ORDER BY id');
    return result.rows.map(toUser);
  }

  async setPasswordHash(id: string, passwordHash: string): Promise<boolean> {
    const result = await this.db.query('UPDATE users SET password_hash = $2 WHERE id = $1', [id, passwordHash]);
    return result.rowCount === 1;
  }

  async insertToken(token: NewToken): Promise<ApiToken> {
    const result = await this.db.query<TokenRow>(
      `INSERT INTO api_tokens (user_id, kind, name, token_sha256, expires_at) VALUES ($1, $2, $3, $4, $5)
       RETURNING ${tokenColumns}`,
      [token.userId, token.kind, token.name, token.tokenSha256, token.expiresAt],
    );
    return toToken(result.rows[0]);
  }

  /**
   * The unexpired credential with this hash. Marks it used at most every 5 minutes, so a busy
   * client does not turn every request into a write on one row.
   */
  async findValidToken(tokenSha256: string): Promise<ApiToken | undefined> {
    const result = await this.db.query<TokenRow>(
      `WITH found AS (
         SELECT ${tokenColumns} FROM api_tokens
         WHERE token_sha256 = $1 AND (expires_at IS NULL OR expires_at > now())
       ), touched AS (
         UPDATE api_tokens SET last_used_at = now() FROM found
         WHERE api_tokens.id = found.id
           AND (found.last_used_at IS NULL OR found.last_used_at < now() - interval '5 minutes')
       )
       SELECT * FROM found`,
      [tokenSha256],
    );
    return result.rows[0] && toToken(result.rows[0]);
  }

  async listTokens(userId?: string): Promise<ApiToken[]> {
    const result = await this.db.query<TokenRow>(
      `SELECT ${tokenColumns} FROM api_tokens WHERE ($1::text IS NULL OR user_id = $1) ORDER BY user_id, created_at`,
      [userId ?? null],
    );
    return result.rows.map(toToken);
  }

  /** Deletes the token by id; false if there was none. */
  async deleteToken(id: string): Promise<boolean> {
    const result = await this.db.query('DELETE FROM api_tokens WHERE id = $1', [id]);
    return result.rowCount === 1;
  }

  /** Deletes the credential with this hash (logout); false if there was none. */
  async deleteTokenByHash(tokenSha256: string): Promise<boolean> {
    const result = await this.db.query('DELETE FROM api_tokens WHERE token_sha256 = $1', [tokenSha256]);
    return result.rowCount === 1;
  }

  /** Removes expired sessions; returns how many. */
  async deleteExpired(): Promise<number> {
    const result = await this.db.query('DELETE FROM api_tokens WHERE expires_at IS NOT NULL AND expires_at <= now()');
    return result.rowCount ?? 0;
  }
}
