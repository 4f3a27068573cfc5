// JWT bearer tokens from an identity provider: signature checked against its JWKS (fetched and
// cached by jose, refreshed when an unknown key id appears), issuer and audience as configured,
// the project and role read from configurable claims.
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import { isRole, projectIdPattern, UnauthenticatedError, type Identity } from '@llmops/platform';

export interface JwtSettings {
  jwksUrl: string;
  issuer?: string;
  audience?: string;
  projectClaim: string;
  roleClaim: string;
}

export class JwtVerifier {
  private readonly jwks: ReturnType<typeof createRemoteJWKSet>;

  constructor(private readonly settings: JwtSettings) {
    this.jwks = createRemoteJWKSet(new URL(settings.jwksUrl), { timeoutDuration: 5_000, cooldownDuration: 30_000 });
  }

  async verify(token: string): Promise<Identity> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.jwks, {
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        clockTolerance: 30,
      }));
    } catch (err) {
      const reason = err instanceof errors.JOSEError ? err.code : 'invalid';
      throw new UnauthenticatedError(`the bearer token is not valid (${reason})`, { reason });
    }
    const project = payload[this.settings.projectClaim];
    const role = payload[this.settings.roleClaim];
    if (typeof project !== 'string' || !projectIdPattern.test(project)) {
      throw new UnauthenticatedError(`the bearer token's ${this.settings.projectClaim} claim does not name a project`, { claim: this.settings.projectClaim });
    }
    if (!isRole(role)) {
      throw new UnauthenticatedError(`the bearer token's ${this.settings.roleClaim} claim must be reader, editor or admin`, { claim: this.settings.roleClaim });
    }
    return { projectId: project, subject: payload.sub ?? 'jwt', role, via: 'jwt' };
  }
}
