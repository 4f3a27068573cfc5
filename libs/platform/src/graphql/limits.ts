// Limits on what one GraphQL document may ask for (depth, aliases, directives, tokens, cost), so
// that a single request cannot make the gateway or a subgraph do unbounded work. The rules are
// GraphQL Armor's; a rejection is a GRAPHQL_VALIDATION_FAILED error (HTTP 400) whose extensions
// name the limit, the setting that holds it, the maximum and what was found.
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import {
  getNamedType,
  GraphQLError,
  isInterfaceType,
  isObjectType,
  Kind,
  type ASTVisitor,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ParseOptions,
  type SelectionNode,
  type ValidationContext,
  type ValidationRule,
  type ValueNode,
} from 'graphql';
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
  /**
   * GraphQL Armor's cost estimate: objects 2, scalars 1, ×1.5 per level, × `first`/`last` (as
   * literals, variables or the schema's defaults: see `operationCost`).
   */
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
    costRule(limits.maxCost),
  ] as unknown as ValidationRule[];
}

/**
 * The cost limit as a validation rule. Validation sees no variables (and Apollo caches its result
 * per document), so a `first`/`last` given as a variable counts with the variable's default in the
 * operation, else the argument's default in the schema; `costLimitPlugin` checks again per request
 * with the request's variables.
 */
function costRule(maxCost: number): ValidationRule {
  return (ctx: ValidationContext): ASTVisitor => ({
    OperationDefinition: {
      enter(operation) {
        const cost = operationCost(ctx.getSchema(), ctx.getDocument().definitions, operation);
        if (cost > maxCost) ctx.reportError(costError(maxCost, cost));
      },
    },
  });
}

function costError(maxCost: number, cost: number): GraphQLError {
  const found = Number.isFinite(cost) ? Math.ceil(cost) : Number.MAX_SAFE_INTEGER;
  return new GraphQLError(limitMessage('maxCost', maxCost, found), { extensions: limitExtensions('maxCost', maxCost, found) });
}

/**
 * The cost limit once the request's variables are known (validation counted variables with their
 * defaults only): a list sized by a variable (`prompts(first: $n)`) costs what `$n` asks for. The
 * answer is the same GRAPHQL_VALIDATION_FAILED error (HTTP 400) the validation rule gives.
 */
export function costLimitPlugin<TContext extends BaseContext>(limits: Pick<GraphQLLimits, 'maxCost'>): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, request }) {
          const variables = request.variables;
          if (!operation || variables === undefined || Object.keys(variables).length === 0) return; // validation counted this already
          const cost = operationCost(schema, document.definitions, operation, variables);
          if (cost <= limits.maxCost) return;
          const error = costError(limits.maxCost, cost);
          throw new GraphQLError(error.message, {
            extensions: { code: 'GRAPHQL_VALIDATION_FAILED', ...error.extensions, http: { status: 400 } },
          });
        },
      };
    },
  };
}

/** GraphQL Armor's weights (`@escape.tech/graphql-armor-cost-limit` defaults). */
const objectCost = 2;
const scalarCost = 1;
const depthCostFactor = 1.5;

/**
 * GraphQL Armor's cost estimate of one operation (same weights, same treatment of fragments and
 * introspection), except that a list's `first`/`last` multiplier is what the field will really be
 * asked for: a literal, a variable's value (`variables`), the variable's default in the operation,
 * or, when the argument is left out (or its variable is), the argument's default in the schema.
 * Armor counts only literals, so `children(first: $n)` or a schema default cost as one item.
 */
export function operationCost(
  schema: GraphQLSchema,
  definitions: readonly { kind: string }[],
  operation: OperationDefinitionNode,
  variables?: Readonly<Record<string, unknown>>,
): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set((d as FragmentDefinitionNode).name.value, d as FragmentDefinitionNode);
  const variableDefaults = new Map<string, ValueNode>();
  for (const v of operation.variableDefinitions ?? []) if (v.defaultValue) variableDefaults.set(v.variable.name.value, v.defaultValue);
  const visited = new Map<string, number>();

  /** The multiplier an argument value asks for; undefined: as if the argument were left out. */
  const valueOf = (value: ValueNode): number | null | undefined => {
    if (value.kind === Kind.INT) return Number.parseInt(value.value, 10);
    if (value.kind === Kind.NULL) return null;
    if (value.kind !== Kind.VARIABLE) return null;
    const name = value.name.value;
    if (variables !== undefined && variables[name] !== undefined) {
      const given = variables[name];
      return typeof given === 'number' ? given : null;
    }
    const fallback = variableDefaults.get(name);
    return fallback === undefined ? undefined : valueOf(fallback);
  };

  const multiplierOf = (node: FieldNode, parent: GraphQLNamedType | undefined): number => {
    const field = parent && (isObjectType(parent) || isInterfaceType(parent)) ? parent.getFields()[node.name.value] : undefined;
    let multiplier = 1;
    for (const name of ['first', 'last']) {
      const given = node.arguments?.find((a) => a.name.value === name);
      let n = given === undefined ? undefined : valueOf(given.value);
      if (n === undefined) {
        const fallback = field?.args.find((a) => a.name === name)?.defaultValue;
        n = typeof fallback === 'number' ? fallback : null;
      }
      if (typeof n === 'number' && !Number.isNaN(n)) multiplier = Math.max(multiplier, n);
    }
    return multiplier;
  };

  const selectionsCost = (selections: readonly SelectionNode[], parent: GraphQLNamedType | undefined): number =>
    selections.reduce((sum, child) => sum + depthCostFactor * cost(child, parent), 0);

  const cost = (node: SelectionNode, parent: GraphQLNamedType | undefined): number => {
    if (node.kind === Kind.FIELD) {
      if (node.name.value === '__schema') return 0; // introspection is its own setting
      if (!node.selectionSet) return scalarCost;
      const field = parent && (isObjectType(parent) || isInterfaceType(parent)) ? parent.getFields()[node.name.value] : undefined;
      const type = field ? getNamedType(field.type) : undefined;
      return (objectCost + selectionsCost(node.selectionSet.selections, type)) * multiplierOf(node, parent);
    }
    if (node.kind === Kind.INLINE_FRAGMENT) {
      const type = node.typeCondition ? schema.getType(node.typeCondition.name.value) : parent;
      return objectCost + selectionsCost(node.selectionSet.selections, type ?? undefined);
    }
    // A fragment spread: counted once in full, then at the cost it had (as Armor does).
    const name = node.name.value;
    const seen = visited.get(name);
    if (seen !== undefined) return scalarCost + depthCostFactor * seen;
    visited.set(name, 0); // a cycle (refused by validation anyway) adds nothing
    const fragment = fragments.get(name);
    if (!fragment) return scalarCost;
    const fragmentCost = objectCost + selectionsCost(fragment.selectionSet.selections, schema.getType(fragment.typeCondition.name.value) ?? undefined);
    visited.set(name, fragmentCost);
    return scalarCost + depthCostFactor * fragmentCost;
  };

  const root = schema.getRootType(operation.operation);
  return operation.selectionSet.selections.reduce((sum, child) => sum + cost(child, root ?? undefined), 0);
}

export function parseOptionsFor(limits: GraphQLLimits): ParseOptions {
  return { maxTokens: limits.maxTokens };
}

/** graphql-js' own message when the parser gives up: "Document contains more that N tokens". */
export function tokenLimitOf(message: string): number | undefined {
  const m = /Document contains more th(?:at|an) (\d+) tokens/.exec(message);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}
