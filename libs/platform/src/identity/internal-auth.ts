// A program's side of the internal identity header: verifying incoming ones (HTTP and gRPC) and
// signing outgoing ones. Authentication is required in production (or with AUTH_REQUIRED=true);
// in development a request without the header runs as the anonymous admin of the default project,
// while a header that is present is always verified.
import { ConfigError } from '../config';
import { UnauthenticatedError } from '../errors';
import { currentIdentity } from './identity-context';
import { anonymousIdentity, defaultProjectId, serviceIdentity, type Identity } from './identity';
import { identityHeader, InternalTokens } from './internal-token';

export interface InternalAuthSettings {
  NODE_ENV: string;
  AUTH_REQUIRED?: boolean;
  INTERNAL_AUTH_SECRET?: string;
  INTERNAL_AUTH_TTL_SECONDS: number;
}

export class InternalAuth {
  constructor(
    /** Requests without a valid identity header are refused. */
    readonly required: boolean,
    private readonly tokens: InternalTokens | null,
  ) {}

  /** No secret and nothing required: every caller is the anonymous admin (unit tests, local tools). */
  static open(): InternalAuth {
    return new InternalAuth(false, null);
  }

  static fromConfig(config: InternalAuthSettings): InternalAuth {
    const required = config.AUTH_REQUIRED ?? config.NODE_ENV === 'production';
    const secret = config.INTERNAL_AUTH_SECRET;
    if (required && !secret) {
      throw new ConfigError([
        `INTERNAL_AUTH_SECRET: required when authentication is (AUTH_REQUIRED=true or NODE_ENV=production); every program of a deployment needs the same secret`,
      ]);
    }
    return new InternalAuth(required, secret ? new InternalTokens({ secret, ttlSeconds: config.INTERNAL_AUTH_TTL_SECONDS }) : null);
  }

  /** The caller of an incoming request or call, from its identity header value. */
  authenticate(header: string | string[] | undefined): Identity {
    const value = Array.isArray(header) ? header[0] : header;
    if (value === undefined || value === '') {
      if (this.required) throw new UnauthenticatedError(`authentication required: no ${identityHeader} header`, { header: identityHeader });
      return anonymousIdentity;
    }
    if (!this.tokens) {
      throw new UnauthenticatedError(`a ${identityHeader} header cannot be verified: INTERNAL_AUTH_SECRET is not set`, { header: identityHeader });
    }
    return this.tokens.verify(value);
  }

  /** The header to send a peer for `identity` (default: the one the current work runs as); empty without a secret. */
  outgoing(identity: Identity | undefined = currentIdentity()): Record<string, string> {
    if (!this.tokens || !identity) return {};
    return { [identityHeader]: this.tokens.sign(identity) };
  }
}

let processAuth: { auth: InternalAuth; service: string } | null = null;

/** Set once by createRuntime: what outgoing gRPC calls of this process sign with. */
export function setProcessAuth(auth: InternalAuth, service: string): void {
  processAuth = { auth, service };
}

/**
 * Outgoing identity headers for the current work (empty before createRuntime or without a secret).
 * Work outside any request or event (an outbox relay, a run resumed at start) is the service
 * itself, for the default project.
 */
export function outgoingIdentityHeaders(identity?: Identity): Record<string, string> {
  if (!processAuth) return {};
  return processAuth.auth.outgoing(identity ?? currentIdentity() ?? serviceIdentity(processAuth.service, defaultProjectId));
}
