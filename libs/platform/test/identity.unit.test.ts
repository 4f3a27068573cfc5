// The internal identity header and the checks built on it: signed by the gateway, verified by
// every subgraph and gRPC server, never trusted when unsigned, forged or expired.
import { parse } from 'graphql';
import {
  anonymousIdentity,
  authorizeResolvers,
  ConfigError,
  InternalAuth,
  InternalTokens,
  requireRole,
  rootFieldsOf,
  type Identity,
} from '../src';

const secret = 's'.repeat(40);
const editor: Identity = { projectId: 'acme', subject: 'api-key:abc', role: 'editor', via: 'api-key' };

describe('InternalTokens', () => {
  test('a signed identity verifies to itself', () => {
    const tokens = new InternalTokens({ secret });
    expect(tokens.verify(tokens.sign(editor))).toEqual(editor);
  });

  test('a token signed with another secret, a tampered payload or garbage is UNAUTHENTICATED', () => {
    const tokens = new InternalTokens({ secret });
    const other = new InternalTokens({ secret: 'x'.repeat(40) });
    expect(() => tokens.verify(other.sign(editor))).toThrow(expect.objectContaining({ code: 'UNAUTHENTICATED', details: expect.objectContaining({ reason: 'bad signature' }) }));
    const [v, , mac] = tokens.sign(editor).split('.');
    const forged = Buffer.from(JSON.stringify({ p: 'acme', s: 'x', r: 'admin', v: 'api-key', e: 9e9 })).toString('base64url');
    expect(() => tokens.verify(`${v}.${forged}.${mac}`)).toThrow(/bad signature/);
    expect(() => tokens.verify('not-a-token')).toThrow(/malformed/);
  });

  test('an expired token is refused', () => {
    let now = 1_000_000_000_000;
    const tokens = new InternalTokens({ secret, ttlSeconds: 60, now: () => now });
    const token = tokens.sign(editor);
    now += 59_000;
    expect(tokens.verify(token).projectId).toBe('acme');
    now += 2_000;
    expect(() => tokens.verify(token)).toThrow(/expired/);
  });

  test('a short secret is refused', () => {
    expect(() => new InternalTokens({ secret: 'short' })).toThrow(/INTERNAL_AUTH_SECRET/);
  });
});

describe('InternalAuth', () => {
  const base = { NODE_ENV: 'development', INTERNAL_AUTH_TTL_SECONDS: 300 };

  test('production requires a secret, naming the setting', () => {
    expect(() => InternalAuth.fromConfig({ ...base, NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => InternalAuth.fromConfig({ ...base, AUTH_REQUIRED: true })).toThrow(/INTERNAL_AUTH_SECRET/);
  });

  test('when required, a request without the header is UNAUTHENTICATED; with a valid one it is its caller', () => {
    const auth = InternalAuth.fromConfig({ ...base, AUTH_REQUIRED: true, INTERNAL_AUTH_SECRET: secret });
    expect(() => auth.authenticate(undefined)).toThrow(expect.objectContaining({ code: 'UNAUTHENTICATED' }));
    const header = auth.outgoing(editor)['x-llmops-identity']!;
    expect(auth.authenticate(header)).toEqual(editor);
  });

  test('in development a request without the header is the anonymous admin of the default project, but a bad header is still refused', () => {
    const auth = InternalAuth.fromConfig({ ...base, INTERNAL_AUTH_SECRET: secret });
    expect(auth.required).toBe(false);
    expect(auth.authenticate(undefined)).toEqual(anonymousIdentity);
    expect(() => auth.authenticate('v1.e30.AAAA')).toThrow(expect.objectContaining({ code: 'UNAUTHENTICATED' }));
    expect(() => InternalAuth.open().authenticate('v1.e30.AAAA')).toThrow(/cannot be verified/);
  });
});

describe('roles', () => {
  test('reader < editor < admin', () => {
    expect(() => requireRole({ ...editor, role: 'reader' }, 'editor', 'createPrompt')).toThrow(
      expect.objectContaining({ code: 'FORBIDDEN', details: { operation: 'createPrompt', required: 'editor', role: 'reader' } }),
    );
    expect(() => requireRole(editor, 'editor', 'x')).not.toThrow();
    expect(() => requireRole(editor, 'admin', 'x')).toThrow(/needs the admin role/);
  });

  const typeDefs = `type Query { a: Int b: Int } type Mutation { m: Int } type Thing @key(fields: "id") { id: ID! } directive @key(fields: String) on OBJECT`;

  test('every root field must declare a role, and no undeclared field may be named', () => {
    parse(typeDefs);
    expect(rootFieldsOf(typeDefs)).toEqual(['Query.a', 'Query.b', 'Mutation.m']);
    expect(() => authorizeResolvers(typeDefs, {}, { Query: { a: 'reader' }, Mutation: { m: 'editor' } })).toThrow(/none declared for Query.b/);
    expect(() => authorizeResolvers(typeDefs, {}, { Query: { a: 'reader', b: 'reader', c: 'reader' }, Mutation: { m: 'editor' } })).toThrow(/schema lacks: Query.c/);
  });

  test('wrapped resolvers check the role before running; references need a caller', () => {
    const calls: string[] = [];
    const resolvers = authorizeResolvers<{ identity: Identity }>(
      typeDefs,
      {
        Query: { a: () => calls.push('a'), b: () => calls.push('b') },
        Mutation: { m: () => calls.push('m') },
        Thing: { __resolveReference: (ref: { id: string }) => (calls.push(`ref ${ref.id}`), ref) },
      },
      { Query: { a: 'reader', b: 'reader' }, Mutation: { m: 'editor' } },
    ) as unknown as Record<string, Record<string, (...args: unknown[]) => unknown>>;
    const reader = { identity: { ...editor, role: 'reader' as const } };
    resolvers['Query']!['a']!({}, {}, reader, {});
    expect(() => resolvers['Mutation']!['m']!({}, {}, reader, {})).toThrow(/Mutation.m needs the editor role/);
    resolvers['Mutation']!['m']!({}, {}, { identity: editor }, {});
    resolvers['Thing']!['__resolveReference']!({ id: '1' }, reader, {});
    expect(calls).toEqual(['a', 'm', 'ref 1']);
  });
});
