// The signed internal identity header: the gateway (and services acting for a project) sign the
// caller's identity with a secret only the platform's programs hold; subgraphs and gRPC servers
// verify it and never trust an unsigned or expired one.
//   x-llmops-identity: v1.<base64url(JSON payload)>.<base64url(HMAC-SHA256(secret, "v1." + payload))>
import { createHmac, timingSafeEqual } from 'node:crypto';
import { UnauthenticatedError } from '../errors';
import { isRole, projectIdPattern, type Identity, type IdentitySource } from './identity';

export const identityHeader = 'x-llmops-identity';

const sources: readonly IdentitySource[] = ['api-key', 'jwt', 'anonymous', 'service'];

interface Payload {
  p: string;
  s: string;
  r: string;
  v: string;
  /** Expiry, seconds since the epoch. */
  e: number;
}

export interface InternalTokenOptions {
  secret: string;
  /** Lifetime of a signed header; a captured header is worthless after it. */
  ttlSeconds?: number;
  now?: () => number;
}

export class InternalTokens {
  private readonly key: Buffer;
  private readonly ttlSeconds: number;
  private readonly now: () => number;

  constructor(opts: InternalTokenOptions) {
    if (opts.secret.length < 32) throw new Error('INTERNAL_AUTH_SECRET: must be at least 32 characters');
    this.key = Buffer.from(opts.secret, 'utf8');
    this.ttlSeconds = opts.ttlSeconds ?? 300;
    this.now = opts.now ?? Date.now;
  }

  sign(identity: Identity): string {
    const payload: Payload = {
      p: identity.projectId,
      s: identity.subject,
      r: identity.role,
      v: identity.via,
      e: Math.floor(this.now() / 1000) + this.ttlSeconds,
    };
    const body = `v1.${Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url')}`;
    return `${body}.${this.mac(body).toString('base64url')}`;
  }

  /** The identity in a header value; UNAUTHENTICATED when it is malformed, forged or expired. */
  verify(token: string): Identity {
    const parts = token.split('.');
    if (parts.length !== 3 || parts[0] !== 'v1') throw invalid('malformed');
    const body = `${parts[0]}.${parts[1]}`;
    const given = Buffer.from(parts[2]!, 'base64url');
    const expected = this.mac(body);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid('bad signature');
    let payload: Partial<Payload>;
    try {
      payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Partial<Payload>;
    } catch {
      throw invalid('malformed');
    }
    if (typeof payload.e !== 'number' || payload.e * 1000 < this.now()) throw invalid('expired');
    if (typeof payload.p !== 'string' || !projectIdPattern.test(payload.p)) throw invalid('bad project');
    if (typeof payload.s !== 'string' || !payload.s) throw invalid('bad subject');
    if (!isRole(payload.r)) throw invalid('bad role');
    if (!sources.includes(payload.v as IdentitySource)) throw invalid('bad source');
    return { projectId: payload.p, subject: payload.s, role: payload.r, via: payload.v as IdentitySource };
  }

  private mac(body: string): Buffer {
    return createHmac('sha256', this.key).update(body).digest();
  }
}

function invalid(reason: string): UnauthenticatedError {
  return new UnauthenticatedError(`the ${identityHeader} header is not valid (${reason})`, { header: identityHeader, reason });
}
