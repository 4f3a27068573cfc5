// The registry's subgraph in-process (Apollo's executeOperation): its real schema and resolvers
// over a MemoryStore, under the gateway's document limits (the cost limit a client meets).
import { join } from 'node:path';
import pino from 'pino';
import { anonymousIdentity, createMetrics, createSubgraphServer, defaultGraphQLLimits, readSchemaFile } from '@llmops/platform';
import { PromptService } from '../src/domain/prompt-service';
import type { PromptSimilarity } from '../src/domain/similarity';
import { resolvers, type Context } from '../src/graphql/resolvers';
import { MemoryStore } from './memory-store';

export interface GraphQLResult<T> {
  data?: T | null;
  errors?: ReadonlyArray<{ message: string; extensions?: Record<string, unknown> }>;
}

export async function startSubgraph() {
  const store = new MemoryStore();
  const service = new PromptService(store);
  const server = createSubgraphServer<Context>({
    typeDefs: readSchemaFile(join(__dirname, '..', 'src')),
    resolvers,
    logger: pino({ level: 'silent' }),
    metrics: createMetrics('prompt-registry-test'),
    production: false,
    limits: defaultGraphQLLimits,
  });
  await server.start();
  const contextValue: Context = { identity: anonymousIdentity, prompts: service, similarity: {} as PromptSimilarity };
  const run = async <T = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}): Promise<GraphQLResult<T>> => {
    const res = await server.executeOperation<T>({ query, variables }, { contextValue });
    if (res.body.kind !== 'single') throw new Error('incremental response');
    return res.body.singleResult as GraphQLResult<T>;
  };
  return { store, service, run, stop: () => server.stop() };
}
