// Identity and projects against the real stack: a gateway that requires credentials (production
// mode) over the running subgraphs, projects and API keys made with `npm run auth`, JWTs checked
// against a JWKS served here. Unauthenticated and under-privileged calls fail with typed errors, a
// project never sees another's prompts (through GraphQL, gRPC or a generation that renders them),
// protected aliases move only for admins, the audit log records who did what, and subgraphs refuse
// requests that do not carry a valid signed identity.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer as createHttpServer, type Server } from 'node:http';
import { join } from 'node:path';
import { generateKeyPairSync, randomBytes, randomUUID, sign, type KeyObject } from 'node:crypto';
import { credentials } from '@grpc/grpc-js';
import { promptRegistryV1 as pb } from '@llmops/contracts';
import { callUnary } from '@llmops/platform';
import { graphql, type GraphQLResponse } from '@llmops/testkit';
import { grpcOptions, integrationContext, programUrl, subgraphHeaders } from './context';
import { freePort, startExtraGateway, type ExtraGateway } from './extra-gateway';
import { authCli, bearer, createKey } from './projects';

const run = Math.random().toString(36).slice(2, 8);
const projectA = `it-a-${run}`;
const projectB = `it-b-${run}`;
const projectC = `it-c-${run}`;
let gateway: ExtraGateway | undefined;
let jwks: Server | undefined;
let signingKey: KeyObject;
const keys: Record<string, string> = {};

const gql = <T = Record<string, unknown>>(query: string, variables: Record<string, unknown>, headers: Record<string, string>): Promise<GraphQLResponse<T>> =>
  graphql<T>(gateway!.url, query, variables, headers);
const codes = (res: GraphQLResponse) => (res.errors ?? []).map((e) => e.extensions?.['code']);

beforeAll(async () => {
  // The identity provider: one RS256 key in a JWKS document.
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  signingKey = pair.privateKey;
  const jwk = { ...pair.publicKey.export({ format: 'jwk' }), kid: 'it', alg: 'RS256', use: 'sig' };
  jwks = createHttpServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((r) => jwks!.listen(0, '127.0.0.1', r));
  const jwksUrl = `http://127.0.0.1:${(jwks.address() as { port: number }).port}/jwks.json`;

  for (const p of [projectA, projectB, projectC]) expect(await authCli('create-project', p)).toBe(`created project ${p}`);
  keys['aReader'] = await createKey(projectA, 'reader');
  keys['aEditor'] = await createKey(projectA, 'editor');
  keys['aAdmin'] = await createKey(projectA, 'admin');
  keys['bEditor'] = await createKey(projectB, 'editor');
  keys['cReader'] = await createKey(projectC, 'reader');

  gateway = await startExtraGateway({
    NODE_ENV: 'production',
    AUTH_API_KEY_CACHE_MS: '0',
    AUTH_JWT_JWKS_URL: jwksUrl,
    AUTH_JWT_ISSUER: 'https://idp.example',
    AUTH_JWT_AUDIENCE: 'llmops',
    GATEWAY_RATE_LIMIT_PER_MINUTE: '60',
    GATEWAY_RATE_LIMIT_BURST: '40',
  });
});

afterAll(async () => {
  gateway?.child.kill('SIGKILL');
  await new Promise((r) => (jwks ? jwks.close(r) : r(undefined)));
});

const CREATE_PROMPT = `mutation($n: String!) { createPrompt(input: { name: $n }) { id name } }`;
const CREATE_VERSION = `mutation($n: String!, $t: String!) { createPromptVersion(input: { promptName: $n, template: $t, commitMessage: "it" }) { id number } }`;
const GET_PROMPT = `query($n: String!) { prompt(name: $n) { name versions { number template } } }`;

test('no credentials, a malformed header or an unknown key: 401 UNAUTHENTICATED, for reads and writes', async () => {
  for (const headers of [{}, { authorization: 'Basic eDp5' }, bearer(`llm_${'a'.repeat(12)}_${'b'.repeat(43)}`)]) {
    for (const query of ['{ prompts(first: 1) { edges { node { name } } } }', `mutation { createPrompt(input: { name: "x-${run}" }) { id } }`]) {
      const res = await gql(query, {}, headers);
      expect(res.status).toBe(401);
      expect(codes(res)).toEqual(['UNAUTHENTICATED']);
      expect(res.data ?? undefined).toBeUndefined();
    }
  }
});

test('a reader reads but cannot write; an editor writes', async () => {
  const name = `shared-${run}`;
  const denied = await gql(CREATE_PROMPT, { n: name }, bearer(keys['aReader']!));
  expect(codes(denied)).toEqual(['FORBIDDEN']);
  expect(denied.errors?.[0]?.extensions).toMatchObject({ required: 'editor', role: 'reader', operation: 'Mutation.createPrompt' });
  expect(codes(await gql(CREATE_PROMPT, { n: name }, bearer(keys['aEditor']!)))).toEqual([]);
  expect(codes(await gql(CREATE_VERSION, { n: name, t: `secret of ${projectA}` }, bearer(keys['aEditor']!)))).toEqual([]);
  const read = await gql<{ prompt: { versions: Array<{ template: string }> } }>(GET_PROMPT, { n: name }, bearer(keys['aReader']!));
  expect(read.data?.prompt.versions.map((v) => v.template)).toEqual([`secret of ${projectA}`]);
});

test("projects are isolated: another project's prompt is NOT_FOUND through GraphQL, gRPC and generation, and its name is free there", async () => {
  const name = `isolated-${run}`;
  await gql(CREATE_PROMPT, { n: name }, bearer(keys['aEditor']!));
  const created = await gql<{ createPromptVersion: { id: string } }>(CREATE_VERSION, { n: name, t: `only for ${projectA}: {{x}}` }, bearer(keys['aEditor']!));
  const versionId = created.data!.createPromptVersion.id;

  const other = await gql(GET_PROMPT, { n: name }, bearer(keys['bEditor']!));
  expect(codes(other)).toEqual(['NOT_FOUND']);
  const listed = await gql<{ prompts: { edges: Array<{ node: { name: string } }> } }>(
    `query($c: String!) { prompts(first: 50, nameContains: $c) { edges { node { name } } } }`,
    { c: run },
    bearer(keys['bEditor']!),
  );
  expect(listed.data?.prompts.edges).toEqual([]);
  // Generation renders through the registry's gRPC as the caller: project B cannot use A's prompt.
  const generated = await gql(`mutation($n: String!) { generate(input: { prompt: { name: $n, version: 1 }, variables: { x: "y" } }) { id } }`, { n: name }, bearer(keys['bEditor']!));
  expect(codes(generated)).toEqual(['NOT_FOUND']);
  // gRPC with B's signed identity: NOT_FOUND; with A's: found.
  const registry = integrationContext().programs.find((p) => p.name === 'prompt-registry')!;
  const as = (projectId: string) =>
    new pb.PromptRegistryServiceClient(`127.0.0.1:${registry.grpcPort}`, credentials.createInsecure(), grpcOptions({ projectId, subject: 'it', role: 'reader', via: 'api-key' }));
  const get = (projectId: string) => {
    const client = as(projectId);
    return callUnary(client.getVersion.bind(client), { ref: { promptName: name, selector: { $case: 'version', value: 1 } } }, { deadlineMs: 10_000 }).finally(() => client.close());
  };
  await expect(get(projectB)).rejects.toMatchObject({ code: 5 });
  await expect(get(projectA)).resolves.toMatchObject({ version: { id: versionId } });
  // The same name is free in project B, and each project sees its own.
  expect(codes(await gql(CREATE_PROMPT, { n: name }, bearer(keys['bEditor']!)))).toEqual([]);
  await gql(CREATE_VERSION, { n: name, t: `B's own` }, bearer(keys['bEditor']!));
  const mine = await gql<{ prompt: { versions: Array<{ template: string }> } }>(GET_PROMPT, { n: name }, bearer(keys['bEditor']!));
  expect(mine.data?.prompt.versions.map((v) => v.template)).toEqual([`B's own`]);
});

test('a protected alias moves only for an admin; the audit log names who changed what, for admins only', async () => {
  const name = `aliased-${run}`;
  await gql(CREATE_PROMPT, { n: name }, bearer(keys['aEditor']!));
  await gql(CREATE_VERSION, { n: name, t: 'v1' }, bearer(keys['aEditor']!));
  const MOVE = `mutation($n: String!, $a: String!) { setPromptAlias(promptName: $n, alias: $a, version: 1) { alias version { number } } }`;
  const denied = await gql(MOVE, { n: name, a: 'production' }, bearer(keys['aEditor']!));
  expect(codes(denied)).toEqual(['FORBIDDEN']);
  expect(denied.errors?.[0]?.message).toMatch(/protected/);
  expect(codes(await gql(MOVE, { n: name, a: 'staging' }, bearer(keys['aEditor']!)))).toEqual([]);
  expect(codes(await gql(MOVE, { n: name, a: 'production' }, bearer(keys['aAdmin']!)))).toEqual([]);

  const AUDIT = `{ auditLog(first: 50) { actor action target } }`;
  expect(codes(await gql(AUDIT, {}, bearer(keys['aEditor']!)))).toEqual(['FORBIDDEN']);
  const log = await gql<{ auditLog: Array<{ actor: string; action: string; target: string }> }>(AUDIT, {}, bearer(keys['aAdmin']!));
  const keyId = (key: string) => `api-key:${key.split('_')[1]}`;
  const mine = log.data!.auditLog.filter((e) => e.target.startsWith(name));
  expect(mine).toEqual([
    { actor: keyId(keys['aAdmin']!), action: 'prompt.alias.moved', target: `${name}@production` },
    { actor: keyId(keys['aEditor']!), action: 'prompt.alias.moved', target: `${name}@staging` },
    { actor: keyId(keys['aEditor']!), action: 'prompt.version.created', target: `${name}@1` },
    { actor: keyId(keys['aEditor']!), action: 'prompt.created', target: name },
  ]);
  // Project B's admin view would not contain A's entries: the log is per project.
  const bLog = await gql<{ auditLog: Array<{ target: string }> }>(AUDIT, {}, bearer(await createKey(projectB, 'admin')));
  expect(bLog.data!.auditLog.filter((e) => e.target.startsWith(name))).toEqual([]);
});

test('a revoked key stops working', async () => {
  const key = await createKey(projectA, 'reader');
  const query = '{ prompts(first: 1) { edges { node { name } } } }';
  expect((await gql(query, {}, bearer(key))).status).toBe(200);
  expect(await authCli('revoke-key', key.split('_')[1]!)).toMatch(/^revoked API key/);
  const res = await gql(query, {}, bearer(key));
  expect(res.status).toBe(401);
  expect(res.errors?.[0]?.message).toBe('the API key has been revoked');
});

test('JWT bearer tokens: the project and role come from the claims; a wrong audience, issuer or signature is refused', async () => {
  // An RS256 JWT as an identity provider issues it (signed here with node:crypto).
  const token = async (claims: Record<string, unknown>, opts: { audience?: string; issuer?: string } = {}) => {
    const now = Math.floor(Date.now() / 1000);
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const body = `${part({ alg: 'RS256', kid: 'it', typ: 'JWT' })}.${part({
      ...claims,
      iss: opts.issuer ?? 'https://idp.example',
      aud: opts.audience ?? 'llmops',
      sub: 'user-42',
      iat: now,
      exp: now + 300,
    })}`;
    return `${body}.${sign('RSA-SHA256', Buffer.from(body), signingKey).toString('base64url')}`;
  };
  const name = `jwt-${run}`;
  const editor = await token({ project: projectA, role: 'editor' });
  expect(codes(await gql(CREATE_PROMPT, { n: name }, bearer(editor)))).toEqual([]);
  const reader = await token({ project: projectA, role: 'reader' });
  expect(codes(await gql(CREATE_PROMPT, { n: `${name}-2` }, bearer(reader)))).toEqual(['FORBIDDEN']);
  expect((await gql(GET_PROMPT, { n: name }, bearer(reader))).data).toMatchObject({ prompt: { name } });
  for (const bad of [
    await token({ project: projectA, role: 'editor' }, { audience: 'someone-else' }),
    await token({ project: projectA, role: 'editor' }, { issuer: 'https://evil.example' }),
    await token({ project: projectA, role: 'owner' }),
    await token({ project: 'no-such-project', role: 'admin' }),
    `${editor.slice(0, -4)}AAAA`,
  ]) {
    const res = await gql(GET_PROMPT, { n: name }, bearer(bad));
    expect({ status: res.status, codes: codes(res) }).toEqual({ status: 401, codes: ['UNAUTHENTICATED'] });
  }
});

test('subgraphs refuse requests without a valid signed identity (they never trust an unsigned one)', async () => {
  const url = `${programUrl('prompt-registry')}/graphql`;
  const query = `query($n: String!) { prompt(name: $n) { name } }`;
  const unsigned = await graphql(url, query, { n: `shared-${run}` });
  expect({ status: unsigned.status, codes: codes(unsigned) }).toEqual({ status: 401, codes: ['UNAUTHENTICATED'] });
  const forged = await graphql(url, query, { n: `shared-${run}` }, { 'x-llmops-identity': `v1.${Buffer.from(JSON.stringify({ p: projectA, s: 'x', r: 'admin', v: 'api-key', e: 9e9 })).toString('base64url')}.AAAA` });
  expect({ status: forged.status, codes: codes(forged) }).toEqual({ status: 401, codes: ['UNAUTHENTICATED'] });
  const signed = await graphql(url, query, { n: `shared-${run}` }, subgraphHeaders({ projectId: projectA, subject: 'it', role: 'reader', via: 'api-key' }));
  expect(signed.data).toEqual({ prompt: { name: `shared-${run}` } });
  // gRPC without the identity header.
  const registry = integrationContext().programs.find((p) => p.name === 'prompt-registry')!;
  const bare = new pb.PromptRegistryServiceClient(`127.0.0.1:${registry.grpcPort}`, credentials.createInsecure());
  await expect(
    new Promise((resolve, reject) =>
      bare.getVersion({ ref: { promptName: `shared-${run}`, selector: { $case: 'latest', value: true } } }, (err, res) => (err ? reject(err) : resolve(res))),
    ),
  ).rejects.toMatchObject({ code: 16 });
  bare.close();
});

test("a project's request rate is limited with RATE_LIMITED and a retry time; other projects are unaffected", async () => {
  const query = '{ prompts(first: 1) { edges { node { name } } } }';
  const send = () => fetch(gateway!.url, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer(keys['cReader']!) }, body: JSON.stringify({ query }) });
  const responses = await Promise.all(Array.from({ length: 50 }, send));
  const limited = responses.filter((r) => r.status === 429);
  expect(responses.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(40);
  expect(limited.length).toBeGreaterThanOrEqual(5);
  expect(Number(limited[0]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  const body = (await limited[0]!.json()) as GraphQLResponse;
  expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', project: projectC, limitPerMinute: 60, retryAfterSeconds: expect.any(Number) });
  expect((await gql(query, {}, bearer(keys['aReader']!))).status).toBe(200);
});

test('an address that keeps sending unknown keys is refused with RATE_LIMITED before its keys are looked up; other addresses are not', async () => {
  // Behind one trusted proxy: the client is the rightmost X-Forwarded-For entry, whatever the client put before it.
  const g = await startExtraGateway({ NODE_ENV: 'production', GATEWAY_AUTH_FAILURES_PER_MINUTE: '1', GATEWAY_AUTH_FAILURES_BURST: '2', GATEWAY_TRUSTED_PROXY_HOPS: '1' });
  try {
    const query = '{ prompts(first: 1) { edges { node { name } } } }';
    const from = (address: string, key: string) => graphql(g.url, query, {}, { ...bearer(key), 'x-forwarded-for': address });
    const unknown = () => `llm_${randomBytes(6).toString('hex')}_${randomBytes(32).toString('base64url')}`;
    for (let i = 0; i < 2; i++) expect(codes(await from('203.0.113.1', unknown()))).toEqual(['UNAUTHENTICATED']);
    for (const address of ['203.0.113.1', '198.51.100.9, 203.0.113.1']) {
      const refused = await from(address, keys['aReader']!);
      expect({ status: refused.status, codes: codes(refused) }).toEqual({ status: 429, codes: ['RATE_LIMITED'] });
      expect(refused.errors?.[0]?.extensions).toMatchObject({ retryAfterSeconds: expect.any(Number), limitPerMinute: 1 });
    }
    const other = await from('203.0.113.2', keys['aReader']!);
    expect({ status: other.status, errors: other.errors }).toEqual({ status: 200, errors: undefined });
  } finally {
    g.child.kill('SIGKILL');
  }
});

test('an id from the CLI that does not exist is a clear error', async () => {
  await expect(authCli('revoke-key', `nokey${randomUUID().slice(0, 7)}`)).rejects.toMatchObject({ stderr: expect.stringMatching(/API key not found/) });
});

test('a revoked bootstrap key stays revoked when the gateway starts again; a bootstrap key of another project stops the gateway', async () => {
  const id = randomBytes(6).toString('hex');
  const key = `llm_${id}_${randomBytes(32).toString('base64url')}`;
  const env = { NODE_ENV: 'production', AUTH_API_KEY_CACHE_MS: '0', AUTH_BOOTSTRAP_API_KEY: key, AUTH_BOOTSTRAP_PROJECT: projectB };
  const query = '{ prompts(first: 1) { edges { node { name } } } }';
  const started = async (check: (g: ExtraGateway) => Promise<void>) => {
    const g = await startExtraGateway(env);
    try {
      await check(g);
    } finally {
      g.child.kill('SIGKILL');
    }
  };
  await started(async (g) => expect((await graphql(g.url, query, {}, bearer(key))).status).toBe(200));
  expect(await authCli('revoke-key', id)).toBe(`revoked API key ${id}`);
  // The restart must not un-revoke it, and says why the configured key does not work.
  await started(async (g) => {
    const res = await graphql(g.url, query, {}, bearer(key));
    expect({ status: res.status, message: res.errors?.[0]?.message }).toEqual({ status: 401, message: 'the API key has been revoked' });
    expect(g.output()).toMatch(/AUTH_BOOTSTRAP_API_KEY has been revoked and stays revoked/);
  });
  expect(await authCli('keys', '--project', projectB)).toMatch(new RegExp(`^${id}\\tadmin\\t.*\\trevoked `, 'm'));

  // The same key configured for project A: the gateway exits 1 naming both projects; the key stays B's.
  const child = spawn(process.execPath, [join(__dirname, '..', '..', 'gateway', 'dist', 'main.js')], {
    env: {
      PATH: process.env.PATH!,
      LOG_LEVEL: 'warn',
      HTTP_PORT: String(await freePort()),
      DATABASE_URL: integrationContext().databaseUrl,
      INTERNAL_AUTH_SECRET: integrationContext().auth.internalSecret,
      ...env,
      AUTH_BOOTSTRAP_PROJECT: projectA,
    },
    stdio: 'pipe',
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  expect({ code, output }).toEqual({
    code: 1,
    output: expect.stringContaining(`AUTH_BOOTSTRAP_API_KEY: the key ${id} belongs to project ${projectB}, not to AUTH_BOOTSTRAP_PROJECT ${projectA}`),
  });
  expect(await authCli('keys', '--project', projectA)).not.toContain(id);
});

test("a gateway the subgraphs do not trust answers INTERNAL_SERVER_ERROR (its fault, not the client's), never the subgraph's URL or answer", async () => {
  // A gateway whose internal secret the subgraphs do not share: every subgraph answers 401.
  const misconfigured = await startExtraGateway({ INTERNAL_AUTH_SECRET: `not-the-stack-secret-${randomBytes(16).toString('hex')}` });
  try {
    const res = await graphql(misconfigured.url, '{ prompts(first: 1) { edges { node { name } } } }', {});
    expect(codes(res)).toEqual(['INTERNAL_SERVER_ERROR']);
    expect(res.errors?.[0]?.extensions?.['response']).toBeUndefined();
    expect(JSON.stringify(res)).not.toContain(programUrl('prompt-registry'));
  } finally {
    misconfigured.child.kill('SIGKILL');
  }
});
