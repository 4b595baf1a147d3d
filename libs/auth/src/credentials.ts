import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Passwords are hashed with scrypt from node:crypto: the standard library's memory-hard KDF,
 * so no extra dependency. Stored as `scrypt$N$r$p$salt$hash` (base64url), so parameters can
 * be raised later without invalidating existing hashes.
 */
const SCRYPT = { N: 16384, r: 8, p: 1, keyLength: 32, saltLength: 16 };

function scryptAsync(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, keyLength, options, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SCRYPT.saltLength);
  const { N, r, p, keyLength } = SCRYPT;
  const key = await scryptAsync(password, salt, keyLength, { N, r, p });
  return ['scrypt', N, r, p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** A hash no password matches, verified against when the user is unknown (same timing). */
const UNKNOWN_USER_HASH = `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${Buffer.alloc(16).toString('base64url')}$${Buffer.alloc(32).toString('base64url')}`;

/** Whether `password` matches `stored`; runs scrypt even when there is no hash, so timing tells nothing. */
export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = (stored ?? UNKNOWN_USER_HASH).split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await scryptAsync(password, Buffer.from(salt, 'base64url'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return timingSafeEqual(key, expected) && stored !== null;
}

/** Prefix that makes a leaked token easy to recognise (secret scanners, logs). */
export const TOKEN_PREFIX = 'fct_';

/** A new credential: 256 random bits. */
export function newToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/** A random password for generated accounts: 144 random bits, URL- and shell-safe. */
export function newPassword(): string {
  return randomBytes(18).toString('base64url');
}

/**
 * What is stored of a token. A fast hash is enough here (unlike passwords): tokens are
 * 256-bit random, so there is nothing to brute-force.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** User ids are library owner ids: letters, digits, ".", "_", "-"; 1 to 64. */
export const USER_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
