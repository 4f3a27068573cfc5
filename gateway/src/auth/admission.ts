// Who may send a request, and how often: the client address's failed authentications are checked
// first (an address that keeps presenting credentials that do not exist would otherwise cost a
// PostgreSQL lookup each), then the credentials, then the project's request rate.
import type { IncomingMessage } from 'node:http';
import { UnauthenticatedError, type Identity } from '@llmops/platform';
import type { Authenticator } from './authenticator';
import { clientAddress } from './client-address';
import type { AuthFailureLimiter, ProjectRateLimiter } from './rate-limiter';

export interface AdmissionOptions {
  authenticator: Pick<Authenticator, 'authenticate'>;
  failures: AuthFailureLimiter;
  requests: ProjectRateLimiter;
  trustedProxyHops: number;
}

export function admission(opts: AdmissionOptions): (req: IncomingMessage) => Promise<Identity> {
  return async (req) => {
    const address = clientAddress(req, opts.trustedProxyHops);
    opts.failures.check(address);
    let identity: Identity;
    try {
      identity = await opts.authenticator.authenticate(req);
    } catch (err) {
      if (err instanceof UnauthenticatedError) opts.failures.failed(address);
      throw err;
    }
    opts.requests.take(identity.projectId);
    return identity;
  };
}
