// Every root field of a subgraph declares the role it needs; serving refuses to start when one
// does not, so a new query or mutation cannot ship unchecked. Entities resolved by reference need
// an authenticated caller (any role); which project's data they return is the domain's job.
import { parse, type ObjectTypeDefinitionNode, type ObjectTypeExtensionNode } from 'graphql';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { requireRole, type Identity, type Role } from '../identity';

const rootTypes = ['Query', 'Mutation', 'Subscription'] as const;

/** The role each root field needs, e.g. { Query: { prompt: 'reader' }, Mutation: { createPrompt: 'editor' } }. */
export type FieldRoles = Partial<Record<(typeof rootTypes)[number], Record<string, Role>>>;

/** Root fields (Query, Mutation, Subscription) a schema document declares, as `Type.field`. */
export function rootFieldsOf(typeDefs: string): string[] {
  const fields: string[] = [];
  for (const def of parse(typeDefs).definitions) {
    if (def.kind !== 'ObjectTypeDefinition' && def.kind !== 'ObjectTypeExtension') continue;
    const type = (def as ObjectTypeDefinitionNode | ObjectTypeExtensionNode).name.value;
    if (!(rootTypes as readonly string[]).includes(type)) continue;
    for (const f of (def as ObjectTypeDefinitionNode).fields ?? []) fields.push(`${type}.${f.name.value}`);
  }
  return fields;
}

/**
 * Wraps each root field's resolver with its role check (and each __resolveReference with a check
 * that the caller is authenticated). Throws when a root field of `typeDefs` has no declared role
 * or a declared one does not exist.
 */
export function authorizeResolvers<TContext extends { identity: Identity }>(
  typeDefs: string,
  resolvers: GraphQLResolverMap<TContext>,
  roles: FieldRoles,
): GraphQLResolverMap<TContext> {
  const declared = new Set(Object.entries(roles).flatMap(([type, fields]) => Object.keys(fields ?? {}).map((f) => `${type}.${f}`)));
  const fields = rootFieldsOf(typeDefs);
  const missing = fields.filter((f) => !declared.has(f));
  const unknown = [...declared].filter((f) => !fields.includes(f));
  if (missing.length || unknown.length) {
    throw new Error(
      `roles of GraphQL root fields: ${missing.length ? `none declared for ${missing.join(', ')}` : ''}${missing.length && unknown.length ? '; ' : ''}${unknown.length ? `declared for fields the schema lacks: ${unknown.join(', ')}` : ''}`,
    );
  }
  const out: Record<string, unknown> = {};
  for (const [type, typeResolvers] of Object.entries(resolvers)) {
    if (typeof typeResolvers !== 'object' || typeResolvers === null || !isPlainResolverObject(typeResolvers)) {
      out[type] = typeResolvers;
      continue;
    }
    const typeRoles = (roles as Record<string, Record<string, Role> | undefined>)[type];
    const wrapped: Record<string, unknown> = {};
    for (const [field, resolver] of Object.entries(typeResolvers as Record<string, unknown>)) {
      const role = typeRoles?.[field] ?? (field === '__resolveReference' ? 'reader' : undefined);
      wrapped[field] = role && typeof resolver === 'function' ? guard(resolver as Resolver<TContext>, role, `${type}.${field}`, field === '__resolveReference') : resolver;
    }
    out[type] = wrapped;
  }
  return out as GraphQLResolverMap<TContext>;
}

type Resolver<TContext> = (parent: unknown, args: unknown, ctx: TContext, info: unknown) => unknown;

function guard<TContext extends { identity: Identity }>(fn: Resolver<TContext>, role: Role, operation: string, reference: boolean): Resolver<TContext> {
  // __resolveReference is called (reference, context, info).
  if (reference) {
    return (ref, ctx, info, ...rest) => {
      requireRole((ctx as unknown as TContext).identity, role, operation);
      return (fn as (...a: unknown[]) => unknown)(ref, ctx, info, ...rest);
    };
  }
  return (parent, args, ctx, info) => {
    requireRole(ctx.identity, role, operation);
    return fn(parent, args, ctx, info);
  };
}

/** Scalars (GraphQLScalarType instances) pass through untouched. */
function isPlainResolverObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
