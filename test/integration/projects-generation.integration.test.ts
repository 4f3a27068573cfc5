// Generation within projects, on the real stack: a project's generations, sessions and pipelines
// are invisible to another project (GraphQL and gRPC GetGeneration answer NOT_FOUND), pipeline
// names are per project, generation.completed.v1 carries the project, and a project's daily token
// budget (set by its admin) refuses a call that does not fit with RATE_LIMITED before any model
// runs, while usage counts the tokens of what was generated.
import { credentials } from '@grpc/grpc-js';
import { generationV1 as pb } from '@llmops/contracts';
import { callUnary } from '@llmops/platform';
import { graphql, type GraphQLResponse } from '@llmops/testkit';
import { grpcOptions, integrationContext } from './context';
import { KafkaProbe } from './kafka-probe';
import { bearer, createKey, createProject } from './projects';

const ctx = integrationContext();
const probe = new KafkaProbe(ctx.kafkaBrokers);
const keys: Record<string, string> = {};
let projectA: string;
let projectB: string;

const gql = <T = Record<string, unknown>>(key: string, query: string, variables: Record<string, unknown> = {}): Promise<GraphQLResponse<T>> =>
  graphql<T>(ctx.gatewayUrl, query, variables, bearer(keys[key]!));
const codes = (res: GraphQLResponse) => (res.errors ?? []).map((e) => e.extensions?.['code']);

const GENERATE = `mutation($input: GenerateInput!) { generate(input: $input) { id status promptTokens completionTokens } }`;
const hello = { template: 'Say hello.', parameters: { maxTokens: 4, temperature: 0 } };
const BUDGET = `{ tokenBudget { tokensPerDay projectSpecific usedToday remainingToday resetsAt } }`;
const SET_BUDGET = `mutation($t: Float) { setTokenBudget(tokensPerDay: $t) { tokensPerDay projectSpecific usedToday remainingToday } }`;

beforeAll(async () => {
  await probe.start(['generation.completed.v1']);
  projectA = await createProject('it-gen-a');
  projectB = await createProject('it-gen-b');
  keys['aEditor'] = await createKey(projectA, 'editor');
  keys['aAdmin'] = await createKey(projectA, 'admin');
  keys['bEditor'] = await createKey(projectB, 'editor');
});
afterAll(() => probe.stop());

test("another project's generation and session are NOT_FOUND, through the gateway and gRPC", async () => {
  const made = await gql<{ generate: { id: string; status: string } }>('aEditor', GENERATE, { input: hello });
  expect(made.errors).toBeUndefined();
  const id = made.data!.generate.id;
  const READ = `query($id: ID!) { generation(id: $id) { id } }`;
  expect((await gql('aEditor', READ, { id })).data).toEqual({ generation: { id } });
  expect(codes(await gql('bEditor', READ, { id }))).toEqual(['NOT_FOUND']);

  const generation = ctx.programs.find((p) => p.name === 'generation')!;
  const getAs = (projectId: string) => {
    const client = new pb.GeneratorServiceClient(`127.0.0.1:${generation.grpcPort}`, credentials.createInsecure(), grpcOptions({ projectId, subject: 'it', role: 'reader', via: 'api-key' }));
    return callUnary(client.getGeneration.bind(client), { id }, { deadlineMs: 10_000 }).finally(() => client.close());
  };
  await expect(getAs(projectB)).rejects.toMatchObject({ code: 5 });
  await expect(getAs(projectA)).resolves.toMatchObject({ generation: { id } });

  // Its event says whose it is, for consumers such as the feedback service.
  const event = await probe.waitForMessage((m) => m.value['generationId'] === id, `generation.completed.v1 of ${id}`);
  expect(event.value['projectId']).toBe(projectA);

  const session = await gql<{ createSession: { id: string } }>('aEditor', `mutation { createSession { id } }`);
  const sessionId = session.data!.createSession.id;
  expect(codes(await gql('bEditor', `query($id: ID!) { session(id: $id) { id } }`, { id: sessionId }))).toEqual(['NOT_FOUND']);
  const append = `mutation($id: ID!) { appendToSession(sessionId: $id, messages: [{ role: USER, content: "hi" }]) { id } }`;
  expect(codes(await gql('bEditor', append, { id: sessionId }))).toEqual(['NOT_FOUND']);
  const own = await gql<{ session: { messages: unknown[] } }>('aEditor', `query($id: ID!) { session(id: $id) { messages { content } } }`, { id: sessionId });
  expect(own.data?.session.messages).toEqual([]);
});

test('pipeline names are per project, and each project lists and runs only its own', async () => {
  const name = `it-pipe-${projectA}`;
  // An embedding node (through the real encoder, no model call); each project's names its input its own way.
  const create = (key: string, input: string) =>
    gql(key, `mutation($n: String!, $i: String!, $e: String!) { createPipeline(input: { name: $n, inputs: [$i], nodes: [{ id: "vec", kind: EMBED }], edges: [{ from: $e, to: "vec.texts" }] }) { name } }`, {
      n: name,
      i: input,
      e: `input.${input}`,
    });
  const a = await create('aEditor', 'text');
  expect(a.errors).toBeUndefined();
  expect(codes(await create('aEditor', 'again'))).toEqual(['CONFLICT']);
  expect((await create('bEditor', 'words')).errors).toBeUndefined();
  const listed = async (key: string) => (await gql<{ pipelines: Array<{ name: string; inputs: string[] }> }>(key, `{ pipelines { name inputs } }`)).data!.pipelines;
  expect((await listed('aEditor')).filter((p) => p.name === name).map((p) => p.inputs)).toEqual([['text']]);
  expect((await listed('bEditor')).filter((p) => p.name === name).map((p) => p.inputs)).toEqual([['words']]);
  const run = await gql<{ runPipeline: { id: string; status: string } }>('aEditor', `mutation($n: String!) { runPipeline(name: $n, inputs: { text: "x" }) { id status } }`, { n: name });
  expect(run.data?.runPipeline.status).toBe('SUCCEEDED');
  expect(codes(await gql('bEditor', `query($id: ID!) { pipelineRun(id: $id) { id } }`, { id: run.data!.runPipeline.id }))).toEqual(['NOT_FOUND']);
});

test("a project's token budget: admins set it, a call that does not fit is RATE_LIMITED before the model runs, usage counts what was generated", async () => {
  expect(codes(await gql('aEditor', SET_BUDGET, { t: 1000 }))).toEqual(['FORBIDDEN']);
  const before = (await gql<{ tokenBudget: { usedToday: number } }>('aAdmin', BUDGET)).data!.tokenBudget;

  const set = await gql<{ setTokenBudget: Record<string, unknown> }>('aAdmin', SET_BUDGET, { t: before.usedToday + 1 });
  expect(set.data?.setTokenBudget).toEqual({ tokensPerDay: before.usedToday + 1, projectSpecific: true, usedToday: before.usedToday, remainingToday: 1 });
  const refused = await gql('aEditor', GENERATE, { input: hello });
  expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', budget: 'tokens', projectId: projectA, usedToday: before.usedToday });
  expect(refused.errors?.[0]?.extensions?.['retryAfterSeconds']).toBeGreaterThan(0);
  // Project B has no budget: unaffected.
  expect((await gql('bEditor', GENERATE, { input: hello })).errors).toBeUndefined();

  expect((await gql<{ setTokenBudget: { tokensPerDay: number | null } }>('aAdmin', SET_BUDGET, { t: null })).data?.setTokenBudget.tokensPerDay).toBeNull();
  const made = await gql<{ generate: { promptTokens: number; completionTokens: number } }>('aEditor', GENERATE, { input: hello });
  expect(made.errors).toBeUndefined();
  const after = (await gql<{ tokenBudget: { usedToday: number; resetsAt: string } }>('aAdmin', BUDGET)).data!.tokenBudget;
  expect(after.usedToday - before.usedToday).toBe(made.data!.generate.promptTokens + made.data!.generate.completionTokens);
  expect(new Date(after.resetsAt).getUTCHours()).toBe(0);
});

test("the gateway streams a generation as Server-Sent Events for an editor, in the caller's project; a reader is refused", async () => {
  const streamUrl = new URL('/v1/generate/stream', ctx.gatewayUrl).toString();
  const post = (key: string) =>
    fetch(streamUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer(keys[key]!) }, body: JSON.stringify(hello) });
  const res = await post('aEditor');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const events = [...(await res.text()).matchAll(/^event: (\w+)\ndata: (.*)$/gm)].map((m) => ({ event: m[1]!, data: JSON.parse(m[2]!) as Record<string, unknown> }));
  expect(events[0]!.event).toBe('started');
  const completed = events.at(-1)!;
  expect(completed.event).toBe('completed');
  const id = (completed.data['generation'] as { id: string }).id;
  // Recorded in project A: A reads it, B does not.
  expect((await gql('aEditor', `query($id: ID!) { generation(id: $id) { id } }`, { id })).data).toEqual({ generation: { id } });
  expect(codes(await gql('bEditor', `query($id: ID!) { generation(id: $id) { id } }`, { id }))).toEqual(['NOT_FOUND']);

  keys['aReader'] ??= await createKey(projectA, 'reader');
  const refused = await post('aReader');
  expect(refused.status).toBe(403);
  expect(await refused.json()).toMatchObject({ error: { code: 'FORBIDDEN' } });
  const anonymous = await fetch(streamUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer llm_nope' }, body: '{}' });
  expect(anonymous.status).toBe(401);
});
