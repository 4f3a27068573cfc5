// JWT bearer tokens from an identity provider: signature checked against its JWKS (fetched and
// cached by jose, refreshed when an unknown key id appears) with an asymmetric algorithm, issuer
// and audience as configured (both required), an expiry required, the project and role read from
// configurable claims.
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import { ConfigError, isRole, projectIdPattern, UnauthenticatedError, type Identity } from '@llmops/platform';

export interface JwtSettings {
  jwksUrl: string;
  /** AUTH_JWT_ISSUER: the `iss` every token must carry. */
  issuer: string;
  /** AUTH_JWT_AUDIENCE: the `aud` every token must name. */
  audience: string;
  projectClaim: string;
  roleClaim: string;
}

/**
 * The signature algorithms accepted: asymmetric ones only, so a JWKS that (by mistake) publishes a
 * symmetric `oct` key cannot make its published bytes an HMAC secret anyone can sign with; `none`
 * is never accepted by jose.
 */
export const jwtAlgorithms = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const;

export class JwtVerifier {
  private readonly jwks: ReturnType<typeof createRemoteJWKSet>;

  constructor(private readonly settings: JwtSettings) {
    const missing = [settings.issuer ? undefined : 'AUTH_JWT_ISSUER', settings.audience ? undefined : 'AUTH_JWT_AUDIENCE'].filter((s) => s !== undefined);
    if (missing.length > 0) throw new ConfigError(missing.map((name) => `${name}: required when AUTH_JWT_JWKS_URL is set`));
    this.jwks = createRemoteJWKSet(new URL(settings.jwksUrl), { timeoutDuration: 5_000, cooldownDuration: 30_000 });
  }

  async verify(token: string): Promise<Identity> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.jwks, {
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        algorithms: [...jwtAlgorithms],
        requiredClaims: ['exp'],
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
