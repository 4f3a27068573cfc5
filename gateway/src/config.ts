import { z } from 'zod';
import { commonEnv, graphqlLimitsEnv, loadConfig, port } from '@llmops/platform';

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
});

export type Config = z.infer<typeof configSchema>;
export const config: Config = loadConfig(configSchema);
