-- Up Migration

-- Users: a user's id is the owner_id of everything in their library (photos, faces, persons…).
-- password_hash is an scrypt hash (see libs/auth); null = no browser login, API tokens only.
CREATE TABLE users (
  id text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9._-]{1,64}$'),
  password_hash text,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Credentials that act as a user: API tokens (kind 'api', made by an operator) and browser
-- sessions (kind 'session', made by POST /auth/login, with an expiry). Only the SHA-256 of a
-- token is stored: the token itself is shown once and a database leak reveals none.
CREATE TABLE api_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('api', 'session')),
  name text,
  token_sha256 char(64) NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  expires_at timestamptz
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);

-- Down Migration
DROP TABLE api_tokens;
DROP TABLE users;
