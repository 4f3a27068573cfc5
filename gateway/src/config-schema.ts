// The gateway's settings (kept apart from loading them, so the chart test can check its env).
import { z } from 'zod';
import { commonEnv, graphqlLimitsEnv, port, projectIdPattern } from '@llmops/platform';

const url = z.url();

export const configSchema = commonEnv.extend(graphqlLimitsEnv.shape).extend({
  HTTP_PORT: port(4000),
  /** `static` serves the committed supergraph; `introspect` composes from running subgraphs (development only). */
  SUPERGRAPH_MODE: z.enum(['static', 'introspect']).default('static'),
  PROMPT_REGISTRY_URL: url.default('http://127.0.0.1:4001/graphql'),
  GENERATION_URL: url.default('http://127.0.0.1:4002/graphql'),
  ENCODER_URL: url.default('http://127.0.0.1:4003/graphql'),
  RETRIEVAL_URL: url.default('http://127.0.0.1:4004/graphql'),
  FEEDBACK_URL: url.default('http://127.0.0.1:4005/graphql'),
  /**
   * A subgraph that has not answered by then is UNAVAILABLE (reason TIMEOUT); 0: no limit. Longer
   * than the subgraphs' own deadlines, so that their typed errors reach the client: retrieval's
   * HyDE writes hypothetical documents for up to HYDE_DEADLINE_MS (60 s).
   */
  GATEWAY_SUBGRAPH_TIMEOUT_MS: z.coerce.number().int().min(0).default(70_000),
  /** The same for the generation subgraph: `runPipeline` runs for up to PIPELINE_TIMEOUT_MS (300 s), `generate` GENERATION_TIMEOUT_MS (120 s). */
  GATEWAY_GENERATION_TIMEOUT_MS: z.coerce.number().int().min(0).default(310_000),
  /** Projects and API keys live in its `identity` schema. */
  DATABASE_URL: z.string().min(1),
  /** How long a verified API key is trusted without asking PostgreSQL again (a revocation takes effect within it). */
  AUTH_API_KEY_CACHE_MS: z.coerce.number().int().min(0).default(5_000),
  /** An admin key for AUTH_BOOTSTRAP_PROJECT created at start (like Langfuse's LANGFUSE_INIT_*), e.g. from a Kubernetes Secret. */
  AUTH_BOOTSTRAP_API_KEY: z.string().regex(/^llm_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/, 'must look like llm_<12 lower-case letters or digits>_<43 base64url characters>').optional(),
  AUTH_BOOTSTRAP_PROJECT: z.string().regex(projectIdPattern, 'lower-case letters, digits and -').default('default'),
  /** JWT bearer tokens: the identity provider's JWKS; unset, only API keys are accepted. Set, AUTH_JWT_ISSUER and AUTH_JWT_AUDIENCE are required. */
  AUTH_JWT_JWKS_URL: url.optional(),
  AUTH_JWT_ISSUER: z.string().min(1).optional(),
  AUTH_JWT_AUDIENCE: z.string().min(1).optional(),
  AUTH_JWT_PROJECT_CLAIM: z.string().min(1).default('project'),
  AUTH_JWT_ROLE_CLAIM: z.string().min(1).default('role'),
  /** Requests per minute per project and gateway replica; 0 turns the limit off. */
  GATEWAY_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(1_200),
  GATEWAY_RATE_LIMIT_BURST: z.coerce.number().int().positive().default(200),
  /**
   * Lookups of credentials that do not exist, per minute per client address and gateway replica;
   * past them (and a burst) the address's requests that need a lookup are RATE_LIMITED. 0: off.
   */
  GATEWAY_AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().min(0).default(60),
  GATEWAY_AUTH_FAILURES_BURST: z.coerce.number().int().positive().default(30),
  /** Proxies in front of the gateway that append to X-Forwarded-For (1 behind an ingress controller); 0: the socket's peer is the client. */
  GATEWAY_TRUSTED_PROXY_HOPS: z.coerce.number().int().min(0).default(0),
}).superRefine((c, ctx) => {
  // A token is verified against its issuer and audience: without them any token the identity
  // provider signs (for another application, or another tenant of it) would be accepted.
  if (c.AUTH_JWT_JWKS_URL === undefined) return;
  for (const name of ['AUTH_JWT_ISSUER', 'AUTH_JWT_AUDIENCE'] as const) {
    if (c[name] === undefined) ctx.addIssue({ code: 'custom', path: [name], message: 'required when AUTH_JWT_JWKS_URL is set' });
  }
});

export type Config = z.infer<typeof configSchema>;

/** How long the gateway waits for a subgraph's answer (see GATEWAY_SUBGRAPH_TIMEOUT_MS). */
export function subgraphTimeoutMs(config: Pick<Config, 'GATEWAY_SUBGRAPH_TIMEOUT_MS' | 'GATEWAY_GENERATION_TIMEOUT_MS'>, subgraph: string): number {
  return subgraph === 'generation' ? config.GATEWAY_GENERATION_TIMEOUT_MS : config.GATEWAY_SUBGRAPH_TIMEOUT_MS;
}
