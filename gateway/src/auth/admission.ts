// Who may send a request, and how often: the credentials, whose lookups in PostgreSQL an address
// is refused once too many of its lookups found nothing (each made-up key would otherwise cost
// one), then the project's request rate.
import type { IncomingMessage } from 'node:http';
import { UnauthenticatedError, type Identity } from '@llmops/platform';
import type { Authenticator } from './authenticator';
import { clientAddress, limitKey } from './client-address';
import type { AuthFailureLimiter, ProjectRateLimiter } from './rate-limiter';

export interface AdmissionOptions {
  authenticator: Pick<Authenticator, 'authenticate'>;
  failures: AuthFailureLimiter;
  requests: ProjectRateLimiter;
  trustedProxyHops: number;
}

export function admission(opts: AdmissionOptions): (req: IncomingMessage) => Promise<Identity> {
  return async (req) => {
    const address = limitKey(clientAddress(req, opts.trustedProxyHops));
    // A token is taken only for a lookup in PostgreSQL: credentials verified from the cache pass
    // even from an address that is refused lookups (clients sharing it with one that is not).
    let tookToken = false;
    let identity: Identity;
    try {
      identity = await opts.authenticator.authenticate(req, {
        beforeLookup: () => {
          opts.failures.take(address);
          tookToken = true;
        },
      });
    } catch (err) {
      // A lookup that found nothing keeps its token; one that failed for another reason (PostgreSQL
      // down, say) gives it back. Refusals that needed no lookup (no or malformed credentials, a
      // key known not to exist) cost nothing and count nothing.
      if (tookToken && !(err instanceof UnauthenticatedError)) opts.failures.giveBack(address);
      throw err;
    }
    if (tookToken) opts.failures.giveBack(address);
    opts.requests.take(identity.projectId);
    return identity;
  };
}
