// Who sends a request to the gateway: an API key (`Authorization: Bearer llm_…` or `x-api-key`),
// a JWT bearer token when a JWKS is configured, or — only where authentication is not required —
// nobody, who runs as the anonymous admin of the default project. Looked-up keys, and whether a
// JWT's project exists, are cached for a few seconds (a revoked key stops working within
// AUTH_API_KEY_CACHE_MS).
import type { IncomingMessage } from 'node:http';
import { anonymousIdentity, UnauthenticatedError, UnavailableError, type Identity } from '@llmops/platform';
import { looksLikeApiKey, parseApiKey, secretMatches } from './api-key';
import type { ApiKeyRecord, PgIdentityStore } from './identity-store.pg';
import type { JwtVerifier } from './jwt';
import { TtlCache } from './ttl-cache';

export interface AuthenticatorOptions {
  required: boolean;
  store: Pick<PgIdentityStore, 'findApiKey' | 'projectExists'>;
  jwt: JwtVerifier | null;
  cacheMs: number;
  now?: () => number;
}

export interface AuthenticateHooks {
  /** Called before a lookup of the credentials in PostgreSQL starts (not cached, none under way); may throw to refuse the request instead. */
  beforeLookup?: () => void;
}

export class Authenticator {
  private readonly keys: TtlCache<ApiKeyRecord | null>;
  private readonly projects: TtlCache<boolean>;

  constructor(private readonly opts: AuthenticatorOptions) {
    const now = opts.now ?? Date.now;
    this.keys = new TtlCache(opts.cacheMs, now);
    this.projects = new TtlCache(opts.cacheMs, now);
  }

  async authenticate(req: IncomingMessage, hooks: AuthenticateHooks = {}): Promise<Identity> {
    const token = credentialsOf(req);
    if (token === null) {
      if (this.opts.required) {
        throw new UnauthenticatedError('authentication required: send an API key (Authorization: Bearer llm_…) or a bearer token', { header: 'authorization' });
      }
      return anonymousIdentity;
    }
    if (looksLikeApiKey(token)) return this.apiKey(token, hooks);
    if (this.opts.jwt && token.split('.').length === 3) {
      const identity = await this.opts.jwt.verify(token);
      if (!(await this.known(identity.projectId, hooks))) throw new UnauthenticatedError(`project ${identity.projectId} does not exist`, { project: identity.projectId });
      return identity;
    }
    throw new UnauthenticatedError(
      this.opts.jwt ? 'the credentials are neither an API key nor a JWT' : 'the credentials are not an API key (JWT bearer tokens are not configured: AUTH_JWT_JWKS_URL)',
      { header: 'authorization' },
    );
  }

  private async apiKey(token: string, hooks: AuthenticateHooks): Promise<Identity> {
    const parsed = parseApiKey(token);
    if (!parsed) throw new UnauthenticatedError('the API key is malformed', { header: 'authorization' });
    const record = await this.lookup(parsed.id, hooks);
    if (!record || !secretMatches(parsed.secret, record.secretHash)) throw new UnauthenticatedError('the API key is not valid', { header: 'authorization' });
    if (record.revokedAt) throw new UnauthenticatedError('the API key has been revoked', { header: 'authorization', keyId: record.id });
    return { projectId: record.projectId, subject: `api-key:${record.id}`, role: record.role, via: 'api-key' };
  }

  private lookup(id: string, hooks: AuthenticateHooks): Promise<ApiKeyRecord | null> {
    return this.keys.get(id, () => fromDatabase(this.opts.store.findApiKey(id)), hooks.beforeLookup);
  }

  private known(projectId: string, hooks: AuthenticateHooks): Promise<boolean> {
    return this.projects.get(projectId, () => fromDatabase(this.opts.store.projectExists(projectId)), hooks.beforeLookup);
  }
}

/** A failed lookup is the database being unavailable, not bad credentials. */
async function fromDatabase<T>(query: Promise<T>): Promise<T> {
  try {
    return await query;
  } catch (err) {
    throw new UnavailableError('postgresql', { cause: err });
  }
}

function credentialsOf(req: IncomingMessage): string | null {
  const apiKey = req.headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey) return apiKey.trim();
  const auth = req.headers.authorization;
  if (!auth) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
  if (!m) throw new UnauthenticatedError('the Authorization header must be "Bearer <API key or token>"', { header: 'authorization' });
  return m[1]!;
}
