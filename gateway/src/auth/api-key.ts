// API keys: `llm_<key id>_<secret>`. The id finds the row; only a SHA-256 of the secret is stored
// (the secret is 256 random bits, so a slow hash adds nothing) and it is shown once, at creation.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const prefix = 'llm_';
const keyPattern = /^llm_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;

export interface IssuedKey {
  id: string;
  /** The whole key, to hand to the caller once. */
  key: string;
  secretHash: Buffer;
}

export function issueApiKey(): IssuedKey {
  const id = randomBytes(9).toString('base64url').toLowerCase().replace(/[^a-z0-9]/g, '0').slice(0, 12);
  const secret = randomBytes(32).toString('base64url');
  return { id, key: `${prefix}${id}_${secret}`, secretHash: hashSecret(secret) };
}

/** The id and secret of a string that has an API key's shape, else null. */
export function parseApiKey(key: string): { id: string; secret: string } | null {
  const m = keyPattern.exec(key);
  return m ? { id: m[1]!, secret: m[2]! } : null;
}

export function looksLikeApiKey(token: string): boolean {
  return token.startsWith(prefix);
}

export function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

export function secretMatches(secret: string, storedHash: Buffer): boolean {
  const given = hashSecret(secret);
  return given.length === storedHash.length && timingSafeEqual(given, storedHash);
}
