// Limits on what one GraphQL document may ask for (depth, aliases, directives, tokens, cost), so
// that a single request cannot make the gateway or a subgraph do unbounded work. The rules are
// GraphQL Armor's; a rejection is a GRAPHQL_VALIDATION_FAILED error (HTTP 400) whose extensions
// name the limit, the setting that holds it, the maximum and what was found.
import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { GraphQLError, type ParseOptions, type ValidationContext, type ValidationRule } from 'graphql';
import { z } from 'zod';

export interface GraphQLLimits {
  /** Deepest selection nesting (fragments count as a level). */
  maxDepth: number;
  /** Aliased fields per operation (`__typename` aliases are free). */
  maxAliases: number;
  /** Directives per operation. */
  maxDirectives: number;
  /** Lexical tokens per document (enforced by the parser before anything else runs). */
  maxTokens: number;
  /** GraphQL Armor's cost estimate: objects 2, scalars 1, ×1.5 per level, × `first`/`last`. */
  maxCost: number;
}

/** The public edge (the gateway). */
export const defaultGraphQLLimits: GraphQLLimits = {
  maxDepth: 10,
  maxAliases: 15,
  maxDirectives: 20,
  maxTokens: 2_000,
  maxCost: 5_000,
};

/**
 * Subgraphs are reached only by the gateway and peers; the gateway's query plans wrap a client's
 * selection in `_entities(...) { ... on T { ... } }` and may alias fields, so their limits leave
 * headroom above the gateway's while still bounding a caller that bypasses the gateway.
 */
export const defaultSubgraphLimits: GraphQLLimits = {
  maxDepth: defaultGraphQLLimits.maxDepth + 3,
  maxAliases: defaultGraphQLLimits.maxAliases * 4,
  maxDirectives: defaultGraphQLLimits.maxDirectives * 2,
  maxTokens: defaultGraphQLLimits.maxTokens * 4,
  maxCost: defaultGraphQLLimits.maxCost * 4,
};

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** Settings for the limits (GRAPHQL_MAX_*) and for introspection; programs extend their schema with it. */
export const graphqlLimitsEnv = z.object({
  GRAPHQL_MAX_DEPTH: positiveInt(defaultGraphQLLimits.maxDepth),
  GRAPHQL_MAX_ALIASES: positiveInt(defaultGraphQLLimits.maxAliases),
  GRAPHQL_MAX_DIRECTIVES: positiveInt(defaultGraphQLLimits.maxDirectives),
  GRAPHQL_MAX_TOKENS: positiveInt(defaultGraphQLLimits.maxTokens),
  GRAPHQL_MAX_COST: positiveInt(defaultGraphQLLimits.maxCost),
  /** Unset: introspection is on except when NODE_ENV=production. */
  GRAPHQL_INTROSPECTION: z
    .enum(['true', 'false', '1', '0'])
    .optional()
    .transform((v) => (v === undefined ? undefined : v === 'true' || v === '1')),
});
export type GraphQLLimitsConfig = z.infer<typeof graphqlLimitsEnv>;

export function limitsFromConfig(config: GraphQLLimitsConfig): GraphQLLimits {
  return {
    maxDepth: config.GRAPHQL_MAX_DEPTH,
    maxAliases: config.GRAPHQL_MAX_ALIASES,
    maxDirectives: config.GRAPHQL_MAX_DIRECTIVES,
    maxTokens: config.GRAPHQL_MAX_TOKENS,
    maxCost: config.GRAPHQL_MAX_COST,
  };
}

/** Production hardening: introspection only where asked for, never by default in production. */
export function introspectionEnabled(config: { NODE_ENV: string; GRAPHQL_INTROSPECTION?: boolean | undefined }): boolean {
  return config.GRAPHQL_INTROSPECTION ?? config.NODE_ENV !== 'production';
}

/** The code every limit rejection carries in `extensions.limit`, and the setting that holds it. */
const limitSettings = {
  maxDepth: 'GRAPHQL_MAX_DEPTH',
  maxAliases: 'GRAPHQL_MAX_ALIASES',
  maxDirectives: 'GRAPHQL_MAX_DIRECTIVES',
  maxTokens: 'GRAPHQL_MAX_TOKENS',
  maxCost: 'GRAPHQL_MAX_COST',
} as const satisfies Record<keyof GraphQLLimits, string>;

const describe: Record<keyof GraphQLLimits, string> = {
  maxDepth: 'query depth',
  maxAliases: 'number of aliases',
  maxDirectives: 'number of directives',
  maxTokens: 'number of tokens',
  maxCost: 'query cost',
};

/** The error a request over `limit` gets (Apollo adds code GRAPHQL_VALIDATION_FAILED or GRAPHQL_PARSE_FAILED). */
export function limitExtensions(limit: keyof GraphQLLimits, max: number, found?: number): Record<string, unknown> {
  return { limit, setting: limitSettings[limit], max, ...(found === undefined ? {} : { found }) };
}

export function limitMessage(limit: keyof GraphQLLimits, max: number, found?: number): string {
  const what = found === undefined ? `the ${describe[limit]}` : `the ${describe[limit]} ${found}`;
  return `${what} exceeds the limit of ${max} (${limitSettings[limit]})`;
}

/** Armor reports through a callback; this turns its rejection into our error on the validation context. */
function reject(limit: keyof GraphQLLimits, max: number) {
  return [
    (ctx: ValidationContext | null, armorError: GraphQLError) => {
      const found = /found (\d+(?:\.\d+)?)/.exec(armorError.message)?.[1];
      const n = found === undefined ? undefined : Math.ceil(Number(found));
      ctx?.reportError(new GraphQLError(limitMessage(limit, max, n), { extensions: limitExtensions(limit, max, n) }));
    },
  ];
}

/** Validation rules enforcing depth, aliases, directives and cost (tokens are the parser's: see parseOptionsFor). */
export function limitRules(limits: GraphQLLimits): ValidationRule[] {
  const common = { propagateOnRejection: false, exposeLimits: true } as const;
  return [
    maxDepthRule({ ...common, n: limits.maxDepth, onReject: reject('maxDepth', limits.maxDepth) }),
    maxAliasesRule({ ...common, n: limits.maxAliases, onReject: reject('maxAliases', limits.maxAliases) }),
    maxDirectivesRule({ ...common, n: limits.maxDirectives, onReject: reject('maxDirectives', limits.maxDirectives) }),
    costLimitRule({ ...common, maxCost: limits.maxCost, onReject: reject('maxCost', limits.maxCost) }),
  ] as unknown as ValidationRule[];
}

export function parseOptionsFor(limits: GraphQLLimits): ParseOptions {
  return { maxTokens: limits.maxTokens };
}

/** graphql-js' own message when the parser gives up: "Document contains more that N tokens". */
export function tokenLimitOf(message: string): number | undefined {
  const m = /Document contains more th(?:at|an) (\d+) tokens/.exec(message);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}
