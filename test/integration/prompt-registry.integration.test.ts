// The registry's features end to end: typed chat versions, strict rendering, aliases with their
// history and events, diffs, filters, gRPC rendering, and a second replica whose render cache
// follows alias moves through Kafka.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { promptRegistryV1 as pb } from '@llmops/contracts';
import { callUnary } from '@llmops/platform';
import { graphql, waitFor } from '@llmops/testkit';
import { grpcOptions, integrationContext, subgraphHeaders } from './context';
import { freePort } from './extra-gateway';
import { KafkaProbe } from './kafka-probe';

const ctx = integrationContext();
const probe = new KafkaProbe(ctx.kafkaBrokers);
const registry = ctx.programs.find((p) => p.name === 'prompt-registry')!;
const replicas: ChildProcess[] = [];
const clients: pb.PromptRegistryServiceClient[] = [];

beforeAll(() => probe.start(['prompt.alias.moved.v1']));
afterAll(async () => {
  clients.forEach((c) => c.close());
  replicas.forEach((r) => r.kill('SIGKILL'));
  await probe.stop();
});

const gql = <T = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}) => graphql<T>(ctx.gatewayUrl, query, variables);
const uniqueName = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;
const grpcClient = (port: number) => {
  const c = new pb.PromptRegistryServiceClient(`127.0.0.1:${port}`, credentials.createInsecure(), grpcOptions());
  clients.push(c);
  return c;
};
const render = (client: pb.PromptRegistryServiceClient, req: pb.RenderPromptRequest) =>
  callUnary(client.renderPrompt.bind(client), req, { deadlineMs: 5_000, idempotent: true });

async function createPromptWithVersions(name: string, templates: string[]) {
  await gql(`mutation($n: String!) { createPrompt(input: { name: $n, tags: ["it"] }) { id } }`, { n: name });
  for (const t of templates) {
    const r = await gql(`mutation($n: String!, $t: String!) { createPromptVersion(input: { promptName: $n, template: $t }) { number } }`, { n: name, t });
    expect(r.errors).toBeUndefined();
  }
}

const CREATE_CHAT = `mutation($input: CreatePromptVersionInput!) {
  createPromptVersion(input: $input) {
    number kind template messages { role content }
    variables { name type required default enumValues }
    modelParameters { model temperature maxTokens stop }
    metadata augmentation { collection k outputVariable } parent { number }
  } }`;

test('a typed chat version stores its variables, parameters, metadata and augmentation, and renders strictly', async () => {
  const name = uniqueName('chat');
  await createPromptWithVersions(name, ['first {{x}}']);
  const created = await gql<{ createPromptVersion: Record<string, unknown> }>(CREATE_CHAT, {
    input: {
      promptName: name,
      messages: [
        { role: 'SYSTEM', content: 'You are a {{tone}} assistant. Use the articles:\n{{#each articles}}- {{title}}\n{{/each}}' },
        { role: 'USER', content: '{{question}} (answer in {{maxWords}} words)' },
      ],
      variables: [
        { name: 'tone', type: 'ENUM', enumValues: ['formal', 'casual'], required: false, default: 'formal' },
        { name: 'question', type: 'STRING' },
        { name: 'maxWords', type: 'NUMBER', required: false, default: 50 },
      ],
      modelParameters: { model: 'smollm2-135m-instruct', temperature: 0.2, maxTokens: 128, stop: ['</s>'] },
      metadata: { owner: 'support', experiment: 7 },
      augmentation: [{ collection: 'help-centre', queryTemplate: '{{question}}', k: 3, outputVariable: 'articles' }],
      commitMessage: 'chat with retrieval',
    },
  });
  expect(created.errors).toBeUndefined();
  expect(created.data!.createPromptVersion).toMatchObject({
    number: 2,
    kind: 'CHAT',
    template: null,
    parent: { number: 1 },
    metadata: { owner: 'support', experiment: 7 },
    modelParameters: { model: 'smollm2-135m-instruct', temperature: 0.2, maxTokens: 128, stop: ['</s>'] },
    augmentation: [{ collection: 'help-centre', k: 3, outputVariable: 'articles' }],
  });

  const RENDER = `query($ref: PromptRefInput!, $v: JSON) { renderPrompt(ref: $ref, variables: $v) { version { number } text messages { role content } variables } }`;
  const ok = await gql<{ renderPrompt: { version: { number: number }; messages: Array<{ content: string }>; variables: Record<string, unknown> } }>(RENDER, {
    ref: { name },
    v: { question: 'How do I reset my password?', articles: [{ title: 'Passwords' }, { title: 'Accounts' }] },
  });
  expect(ok.errors).toBeUndefined();
  expect(ok.data!.renderPrompt.version.number).toBe(2);
  expect(ok.data!.renderPrompt.messages.map((m) => m.content)).toEqual([
    'You are a formal assistant. Use the articles:\n- Passwords\n- Accounts\n',
    'How do I reset my password? (answer in 50 words)',
  ]);
  expect(ok.data!.renderPrompt.variables).toMatchObject({ tone: 'formal', maxWords: 50 });

  const bad = await gql(RENDER, { ref: { name }, v: { tone: 'angry', maxWords: 'ten', extra: true } });
  expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'variables' });
  const problems = (bad.errors![0]!.extensions!['problems'] as Array<{ variable: string; problem: string }>).map((p) => `${p.variable}:${p.problem}`);
  expect(problems.sort()).toEqual(['articles:MISSING', 'extra:UNKNOWN', 'maxWords:WRONG_TYPE', 'question:MISSING', 'tone:WRONG_TYPE']);
});

test('template syntax errors are BAD_USER_INPUT with line and column, and nothing is written', async () => {
  const name = uniqueName('syntax');
  await createPromptWithVersions(name, []);
  const r = await gql(`mutation($n: String!) { createPromptVersion(input: { promptName: $n, template: "line one\\nline {{two}" }) { number } }`, { n: name });
  expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'template', line: 2 });
  const versions = await gql<{ prompt: { versions: unknown[] } }>(`query($n: String!) { prompt(name: $n) { versions { number } } }`, { n: name });
  expect(versions.data!.prompt.versions).toEqual([]);
});

test('versions page oldest first by number (first, after) and refuse a page size outside 1..100', async () => {
  const name = uniqueName('paged');
  await createPromptWithVersions(name, ['v1', 'v2', 'v3', 'v4', 'v5']);
  const PAGE = `query($n: String!, $first: Int!, $after: Int) { prompt(name: $n) { versions(first: $first, after: $after) { number template } } }`;
  const page = async (first: number, after: number | null) => {
    const r = await gql<{ prompt: { versions: Array<{ number: number; template: string }> } }>(PAGE, { n: name, first, after });
    expect(r.errors).toBeUndefined();
    return r.data!.prompt.versions;
  };
  const first = await page(2, null);
  expect(first).toEqual([
    { number: 1, template: 'v1' },
    { number: 2, template: 'v2' },
  ]);
  const second = await page(2, first.at(-1)!.number);
  expect(second.map((v) => v.number)).toEqual([3, 4]);
  expect((await page(2, second.at(-1)!.number)).map((v) => v.number)).toEqual([5]);
  expect(await page(2, 5)).toEqual([]);
  expect((await page(100, null)).map((v) => v.template)).toEqual(['v1', 'v2', 'v3', 'v4', 'v5']);

  for (const bad of [0, 101]) {
    const r = await gql(PAGE, { n: name, first: bad, after: null });
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
  }
});

test('aliases move atomically, keep a history, publish prompt.alias.moved.v1 and protect their versions', async () => {
  const name = uniqueName('alias');
  await createPromptWithVersions(name, ['v1 {{q}}', 'v2 {{q}}', 'v3 {{q}}']);
  const SET = `mutation($n: String!, $a: String!, $v: Int!) { setPromptAlias(promptName: $n, alias: $a, version: $v, movedBy: "ada") { alias version { number } } }`;
  expect((await gql(SET, { n: name, a: 'production', v: 1 })).errors).toBeUndefined();
  expect((await gql(SET, { n: name, a: 'production', v: 3 })).errors).toBeUndefined();
  expect((await gql(SET, { n: name, a: 'staging', v: 2 })).errors).toBeUndefined();

  const read = await gql<{ prompt: { aliases: unknown[]; aliasHistory: unknown[]; version: { number: number; aliases: string[] } } }>(
    `query($n: String!) { prompt(name: $n) { aliases { alias version { number } } aliasHistory(alias: "production") { fromVersion toVersion movedBy }
      version(alias: "production") { number aliases } } }`,
    { n: name },
  );
  expect(read.data!.prompt.aliases).toEqual([
    { alias: 'production', version: { number: 3 } },
    { alias: 'staging', version: { number: 2 } },
  ]);
  expect(read.data!.prompt.aliasHistory).toEqual([
    { fromVersion: 1, toVersion: 3, movedBy: 'ada' },
    { fromVersion: null, toVersion: 1, movedBy: 'ada' },
  ]);
  expect(read.data!.prompt.version).toEqual({ number: 3, aliases: ['production'] });

  const event = await probe.waitForMessage((m) => m.value['promptName'] === name && m.value['toVersion'] === 3, 'the alias move event');
  expect(event.value).toMatchObject({ alias: 'production', fromVersion: 1, toVersion: 3, movedBy: 'ada' });

  const ARCHIVED_1 = `query($n: String!) { prompt(name: $n) { version(number: 1) { archived } } }`;
  expect((await gql(ARCHIVED_1, { n: name })).data).toEqual({ prompt: { version: { archived: false } } }); // now cached
  const archive = await gql(`mutation($n: String!) { archivePromptVersion(promptName: $n, version: 3) { number } }`, { n: name });
  expect(archive.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', aliases: ['production'] });
  const archived = await gql<{ archivePromptVersion: { archived: boolean } }>(
    `mutation($n: String!) { archivePromptVersion(promptName: $n, version: 1) { archived } }`,
    { n: name },
  );
  expect(archived.data!.archivePromptVersion.archived).toBe(true);
  expect((await gql(ARCHIVED_1, { n: name })).data).toEqual({ prompt: { version: { archived: true } } });
  expect((await gql(SET, { n: name, a: 'canary', v: 1 })).errors?.[0]?.extensions?.['code']).toBe('CONFLICT');
  const missing = await gql(`query($n: String!) { prompt(name: $n) { version(alias: "nope") { number } } }`, { n: name });
  expect(missing.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', ref: `${name}@nope` });
});

test('concurrent alias moves leave one winner and a history with every move', async () => {
  const name = uniqueName('race');
  await createPromptWithVersions(name, ['a', 'b', 'c', 'd']);
  const moves = [1, 2, 3, 4, 1, 2, 3, 4];
  const results = await Promise.all(
    moves.map((v) => gql(`mutation($n: String!, $v: Int!) { setPromptAlias(promptName: $n, alias: "production", version: $v) { alias } }`, { n: name, v })),
  );
  expect(results.flatMap((r) => r.errors ?? [])).toEqual([]);
  const read = await gql<{ prompt: { aliasHistory: Array<{ fromVersion: number | null; toVersion: number }>; version: { number: number } } }>(
    `query($n: String!) { prompt(name: $n) { aliasHistory { fromVersion toVersion } version(alias: "production") { number } } }`,
    { n: name },
  );
  const history = [...read.data!.prompt.aliasHistory].reverse();
  expect(history).toHaveLength(moves.length);
  // Each move starts where the previous one ended: the moves were serialised.
  history.slice(1).forEach((m, i) => expect(m.fromVersion).toBe(history[i]!.toVersion));
  expect(read.data!.prompt.version.number).toBe(history.at(-1)!.toVersion);
});

test('promptDiff returns the unified template diff and structured changes', async () => {
  const name = uniqueName('diff');
  await createPromptWithVersions(name, ['Summarise {{text}}']);
  await gql(
    `mutation($n: String!) { createPromptVersion(input: { promptName: $n, template: "Summarise {{text}}\\nin {{n}} bullets",
       variables: [{ name: "text" }, { name: "n", type: NUMBER, required: false, default: 3 }], modelParameters: { temperature: 0.3 } }) { number } }`,
    { n: name },
  );
  const d = await gql<{ promptDiff: { templateDiff: string; variables: unknown[]; parameters: unknown[] } }>(
    `query($n: String!) { promptDiff(name: $n, from: 1, to: 2) { templateDiff variables { name change after { type default } } parameters { field change before after } } }`,
    { n: name },
  );
  expect(d.errors).toBeUndefined();
  expect(d.data!.promptDiff.templateDiff).toContain('+in {{n}} bullets');
  expect(d.data!.promptDiff.variables).toEqual([{ name: 'n', change: 'ADDED', after: { type: 'NUMBER', default: 3 } }]);
  expect(d.data!.promptDiff.parameters).toEqual([{ field: 'temperature', change: 'ADDED', before: null, after: 0.3 }]);
});

test('lists filter by tag and by part of the name, and hide archived prompts', async () => {
  const stem = randomUUID().slice(0, 8);
  await gql(`mutation($n: String!) { createPrompt(input: { name: $n, tags: ["red"] }) { id } }`, { n: `filter-${stem}-a` });
  await gql(`mutation($n: String!) { createPrompt(input: { name: $n, tags: ["blue"] }) { id } }`, { n: `filter-${stem}-b` });
  await gql(`mutation($n: String!) { createPrompt(input: { name: $n, tags: ["red"] }) { id } }`, { n: `filter-${stem}-c` });
  await gql(`mutation($n: String!) { archivePrompt(name: $n) { archived } }`, { n: `filter-${stem}-c` });
  const list = async (args: string) =>
    (await gql<{ prompts: { edges: Array<{ node: { name: string } }> } }>(`{ prompts(first: 50, ${args}) { edges { node { name } } } }`)).data!.prompts.edges.map(
      (e) => e.node.name,
    );
  expect(await list(`nameContains: "${stem}"`)).toEqual([`filter-${stem}-a`, `filter-${stem}-b`]);
  expect(await list(`nameContains: "${stem.toUpperCase()}", tag: "red"`)).toEqual([`filter-${stem}-a`]);
  expect(await list(`nameContains: "${stem}", tag: "red", includeArchived: true`)).toEqual([`filter-${stem}-a`, `filter-${stem}-c`]);
});

test('gRPC RenderPrompt names the exact version and lists offending variables', async () => {
  const name = uniqueName('grpc-render');
  await createPromptWithVersions(name, ['Hello {{who}}']);
  const client = grpcClient(registry.grpcPort!);
  const res = await render(client, { ref: { promptName: name, selector: { $case: 'latest', value: true } }, variablesJson: '{"who":"Ada"}' });
  expect(res.text).toBe('Hello Ada');
  expect(res.version).toMatchObject({ promptName: name, number: 1, kind: 'TEXT' });
  const err = await render(client, { ref: { promptName: name, selector: { $case: 'version', value: 1 } }, variablesJson: '{"whom":1}' }).catch((e) => e);
  expect(err.code).toBe(3);
  expect(JSON.parse(err.metadata.get('error-details-json')[0]).problems.map((p: { variable: string }) => p.variable).sort()).toEqual(['who', 'whom']);
});

test('a second replica never serves a moved alias stale once the move event is consumed', async () => {
  const [httpPort, grpcPort] = [await freePort(), await freePort()];
  const replica = spawn(process.execPath, [join(__dirname, '..', '..', 'services', 'prompt-registry', 'dist', 'main.js')], {
    env: {
      PATH: process.env.PATH!,
      HTTP_PORT: String(httpPort),
      GRPC_PORT: String(grpcPort),
      DATABASE_URL: ctx.databaseUrl,
      KAFKA_BROKERS: ctx.kafkaBrokers.join(','),
      ELASTICSEARCH_URL: ctx.elasticsearchUrl,
      ENCODER_ADDRESS: `127.0.0.1:${ctx.programs.find((p) => p.name === 'encoder')!.grpcPort}`,
      LOG_LEVEL: 'warn',
      AUTH_REQUIRED: 'true',
      INTERNAL_AUTH_SECRET: ctx.auth.internalSecret,
    },
    stdio: 'ignore',
  });
  replicas.push(replica);
  await waitFor(async () => (await fetch(`http://127.0.0.1:${httpPort}/readyz`)).status === 200, { timeoutMs: 60_000, what: 'the second replica to be ready' });

  const name = uniqueName('replicated');
  await createPromptWithVersions(name, ['one {{x}}', 'two {{x}}']);
  await gql(`mutation($n: String!) { setPromptAlias(promptName: $n, alias: "production", version: 1) { alias } }`, { n: name });
  const client = grpcClient(grpcPort);
  const req: pb.RenderPromptRequest = { ref: { promptName: name, selector: { $case: 'alias', value: 'production' } }, variablesJson: '{"x":"!"}' };
  // The replica's consumer joins its group asynchronously: until then it reads through, after that it caches.
  await waitFor(async () => (await render(client, req)).text === 'one !', { timeoutMs: 30_000, what: 'the replica to render production' });
  for (let i = 0; i < 20; i++) expect((await render(client, req)).text).toBe('one !');

  // The move goes through the other replica (via the gateway); this one learns of it from Kafka.
  await gql(`mutation($n: String!) { setPromptAlias(promptName: $n, alias: "production", version: 2) { alias } }`, { n: name });
  await probe.waitForMessage((m) => m.value['promptName'] === name && m.value['toVersion'] === 2, 'the move event');
  const moved = await waitFor(async () => ((await render(client, req)).text === 'two !' ? true : undefined), {
    timeoutMs: 15_000,
    what: 'the replica to serve the moved alias',
  });
  expect(moved).toBe(true);
  for (let i = 0; i < 20; i++) expect((await render(client, req)).text).toBe('two !');

  // Archiving has no event: a version this replica cached still answers `archived` as it is now.
  const ARCHIVED_1 = `query($n: String!) { prompt(name: $n) { version(number: 1) { archived } } }`;
  const onReplica = () => graphql(`http://127.0.0.1:${httpPort}/graphql`, ARCHIVED_1, { n: name }, subgraphHeaders());
  expect((await onReplica()).data).toEqual({ prompt: { version: { archived: false } } });
  expect((await onReplica()).data).toEqual({ prompt: { version: { archived: false } } });
  expect((await gql(`mutation($n: String!) { archivePromptVersion(promptName: $n, version: 1) { archived } }`, { n: name })).errors).toBeUndefined();
  expect((await onReplica()).data).toEqual({ prompt: { version: { archived: true } } });
});
