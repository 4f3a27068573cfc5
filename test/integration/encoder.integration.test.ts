// Embeddings end to end: the gateway's embed field served by the encoder's real ONNX model,
// typed errors naming the field, towers in embeddingModels, and the batching metrics on /metrics.
import { graphql, sampleValue } from '@llmops/testkit';
import { integrationContext, programUrl } from './context';

const ctx = integrationContext();

const EMBED = `query($texts: [String!]!, $model: String, $inputType: InputType) {
  embed(texts: $texts, model: $model, inputType: $inputType) {
    model inputType dimensions embeddings { index vector tokenCount truncated } } }`;

type EmbedData = {
  embed: { model: string; inputType: string; dimensions: number; embeddings: Array<{ index: number; vector: number[]; tokenCount: number; truncated: boolean }> };
};

const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);

test('embed through the gateway gives 384-dim unit vectors from the real model', async () => {
  const res = await graphql<EmbedData>(ctx.gatewayUrl, EMBED, {
    texts: ['A man is eating food.', 'A man is eating a piece of bread.', 'A man is riding a horse.'],
  });
  expect(res.errors).toBeUndefined();
  const { embed } = res.data!;
  expect(embed).toMatchObject({ model: 'all-minilm-l6-v2-q', inputType: 'QUERY', dimensions: 384 });
  const [food, bread, horse] = embed.embeddings.map((e) => e.vector) as [number[], number[], number[]];
  for (const e of embed.embeddings) {
    expect(e.vector).toHaveLength(384);
    expect(Math.sqrt(dot(e.vector, e.vector))).toBeCloseTo(1, 4);
    expect(e.truncated).toBe(false);
  }
  expect(dot(food, bread)).toBeGreaterThan(0.6);
  expect(dot(food, bread)).toBeGreaterThan(dot(food, horse) + 0.3);
  expect(embed.embeddings.map((e) => e.tokenCount)).toEqual([8, 11, 9]);
});

test('bad embed requests are typed errors naming the field, and nothing crashes', async () => {
  const empty = await graphql(ctx.gatewayUrl, EMBED, { texts: ['fine', ''] });
  expect(empty.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'texts.1' });
  const tooMany = await graphql(ctx.gatewayUrl, EMBED, { texts: Array.from({ length: 257 }, () => 'x') });
  expect(tooMany.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'texts' });
  const tooLong = await graphql(ctx.gatewayUrl, EMBED, { texts: ['x'.repeat(40_000)] });
  expect(tooLong.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'texts.0' });
  const unknown = await graphql(ctx.gatewayUrl, EMBED, { texts: ['ok'], model: 'no-such-model' });
  expect(unknown.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'model' });
  const ok = await graphql<EmbedData>(ctx.gatewayUrl, EMBED, { texts: ['still up'], inputType: 'DOCUMENT' });
  expect(ok.data!.embed.inputType).toBe('DOCUMENT');
});

test('embeddingModels describes the towers of each model', async () => {
  const res = await graphql<{ embeddingModels: unknown[] }>(
    ctx.gatewayUrl,
    `{ embeddingModels { name towers isDefault queryTower { baseModel pooling prefix maxTokens backend adapter { version } } documentTower { baseModel } } }`,
  );
  expect(res.errors).toBeUndefined();
  expect(res.data!.embeddingModels[0]).toEqual({
    name: 'all-minilm-l6-v2-q',
    towers: 'SINGLE',
    isDefault: true,
    queryTower: { baseModel: 'all-minilm-l6-v2-q', pooling: 'MEAN', prefix: '', maxTokens: 256, backend: 'ONNX', adapter: null },
    documentTower: { baseModel: 'all-minilm-l6-v2-q' },
  });
});

test('concurrent embeds are merged into shared model runs, visible on the encoder /metrics', async () => {
  const batchCounters = async () => {
    const metrics = await (await fetch(`${programUrl('encoder')}/metrics`)).text();
    const read = (what: string) => sampleValue(metrics, `embedding_batch_size_${what}`, { service: 'encoder', model: 'all-minilm-l6-v2-q' });
    return { runs: read('count'), texts: read('sum'), metrics };
  };
  // Earlier test files leave asynchronous embeds behind (the prompt registry's similarity indexer
  // embeds every new version from Kafka): wait until the encoder has been idle for a second.
  let before = await batchCounters();
  for (let idle = 0, polls = 0; idle < 2 && polls < 60; polls++) {
    await new Promise((r) => setTimeout(r, 500));
    const now = await batchCounters();
    idle = now.runs === before.runs ? idle + 1 : 0;
    before = now;
  }
  const results = await Promise.all(
    Array.from({ length: 16 }, (_, i) => graphql<EmbedData>(ctx.gatewayUrl, EMBED, { texts: [`concurrent request ${i} about embeddings`] })),
  );
  for (const r of results) expect(r.data!.embed.embeddings).toHaveLength(1);
  const after = await batchCounters();
  expect(after.texts - before.texts).toBe(16);
  // Fewer model runs than requests: requests arriving together shared a run.
  expect(after.runs - before.runs).toBeLessThan(16);
  expect(after.metrics).toContain('embedding_request_duration_seconds_count{service="encoder",model="all-minilm-l6-v2-q",input_type="QUERY"}');
});
