// Who is asking, and what they may do: a project and a role, carried from the gateway to every
// subgraph and gRPC server in a signed internal header (see internal-token.ts).
import { NotAllowedError } from '../errors';

export const roles = ['reader', 'editor', 'admin'] as const;
export type Role = (typeof roles)[number];

/** How the gateway learnt who the caller is; `service` marks a service's own background work. */
export type IdentitySource = 'api-key' | 'jwt' | 'anonymous' | 'service';

export interface Identity {
  /** Every row, document and event belongs to exactly one project. */
  projectId: string;
  /** The API key id, the JWT subject, `anonymous`, or `service:<name>`. */
  subject: string;
  role: Role;
  via: IdentitySource;
}

/** Project ids: lower-case slugs, so they fit index names, topic keys and URLs unchanged. */
export const projectIdPattern = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const defaultProjectId = 'default';

const rank: Record<Role, number> = { reader: 0, editor: 1, admin: 2 };

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (roles as readonly string[]).includes(value);
}

export function hasRole(identity: Identity, required: Role): boolean {
  return rank[identity.role] >= rank[required];
}

/** Throws FORBIDDEN naming the operation and the role it needs. */
export function requireRole(identity: Identity, required: Role, operation: string): void {
  if (!hasRole(identity, required)) {
    throw new NotAllowedError(`${operation} needs the ${required} role; the caller is ${identity.role} in project ${identity.projectId}`, {
      operation,
      required,
      role: identity.role,
    });
  }
}

/** Who a request is when authentication is not required and it carries no credentials (development). */
export const anonymousIdentity: Identity = Object.freeze({ projectId: defaultProjectId, subject: 'anonymous', role: 'admin', via: 'anonymous' });

/** A service acting for a project on its own (a Kafka consumer, an evaluation run). */
export function serviceIdentity(service: string, projectId: string, role: Role = 'editor'): Identity {
  return { projectId, subject: `service:${service}`, role, via: 'service' };
}
