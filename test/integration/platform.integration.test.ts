// Every program is up, reports health, exposes metrics that Prometheus scrapes, and the real
// infrastructure answers (Elasticsearch kNN, gRPC health and the registry's gRPC API).
import { spawnSync } from 'node:child_process';
import { credentials } from '@grpc/grpc-js';
import { Client as Elasticsearch } from '@elastic/elasticsearch';
import { health, promptRegistryV1 } from '@llmops/contracts';
import { callUnary } from '@llmops/platform';
import { graphql, waitFor } from '@llmops/testkit';
import { grpcOptions, integrationContext } from './context';

const ctx = integrationContext();
const programs = ['gateway', 'prompt-registry', 'generation', 'encoder', 'retrieval', 'feedback'];

test.each(programs)('%s answers /healthz, /readyz and /metrics', async (name) => {
  const url = ctx.programs.find((p) => p.name === name)!.httpUrl;
  expect((await fetch(`${url}/healthz`)).status).toBe(200);
  const ready = await fetch(`${url}/readyz`);
  expect(ready.status).toBe(200);
  expect(((await ready.json()) as { ready: boolean }).ready).toBe(true);
  const metrics = await (await fetch(`${url}/metrics`)).text();
  expect(metrics).toContain(`process_resident_memory_bytes{service="${name}"}`);
  expect(metrics).toContain('# TYPE http_server_request_duration_seconds histogram');
});

test.each(programs)('%s metrics pass promtool check metrics', async (name) => {
  const url = ctx.programs.find((p) => p.name === name)!.httpUrl;
  const exposition = await (await fetch(`${url}/metrics`)).text();
  const result = spawnSync('promtool', ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
  expect({ status: result.status, problems: `${result.stdout}${result.stderr}`.trim() }).toEqual({ status: 0, problems: '' });
});

test('Prometheus scrapes every program with up == 1', async () => {
  const query = async (promql: string) => {
    const res = await fetch(`${ctx.prometheusUrl}/api/v1/query?${new URLSearchParams({ query: promql })}`);
    return ((await res.json()) as { data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } }).data.result;
  };
  const up = await waitFor(
    async () => {
      const result = await query('up');
      const upJobs = result.filter((r) => r.value[1] === '1').map((r) => r.metric['job']);
      return programs.every((p) => upJobs.includes(p)) ? result : undefined;
    },
    { timeoutMs: 60_000, what: 'Prometheus to scrape all six programs' },
  );
  expect(up.filter((r) => programs.includes(r.metric['job']!)).every((r) => r.value[1] === '1')).toBe(true);
  // Scraped metrics are the services' own, labelled by service.
  const rss = await query('process_resident_memory_bytes');
  expect(new Set(rss.map((r) => r.metric['service']))).toEqual(new Set(programs));
});

test('the other subgraphs serve their real fields through the gateway', async () => {
  const res = await graphql<{
    embeddingModels: Array<{ name: string; dimensions: number; pooling: string }>;
    generationModels: Array<{ name: string; backend: string }>;
    collections: unknown[];
    datasets: unknown[];
  }>(
    ctx.gatewayUrl,
    `{ embeddingModels { name dimensions pooling } generationModels { name backend } collections { name documentCount } datasets { id name } }`,
  );
  expect(res.errors).toBeUndefined();
  expect(res.data!.embeddingModels[0]).toEqual({ name: 'all-minilm-l6-v2-q', dimensions: 384, pooling: 'MEAN' });
  expect(res.data!.generationModels).toEqual([{ name: 'smollm2-135m-instruct', backend: 'EMBEDDED' }]);
  expect(Array.isArray(res.data!.collections)).toBe(true);

  const created = await graphql<{ createDataset: { id: string; name: string } }>(
    ctx.gatewayUrl,
    `mutation($input: CreateDatasetInput!) { createDataset(input: $input) { id name } }`,
    { input: { name: `golden-${Date.now()}` } },
  );
  expect(created.errors).toBeUndefined();
  const list = await graphql<{ datasets: Array<{ id: string }> }>(ctx.gatewayUrl, `{ datasets { id } }`);
  expect(list.data!.datasets.map((d) => d.id)).toContain(created.data!.createDataset.id);
});

test('Elasticsearch answers a dense_vector kNN query', async () => {
  const es = new Elasticsearch({ node: ctx.elasticsearchUrl });
  const index = `it-knn-${Date.now()}`;
  try {
    await es.indices.create({
      index,
      mappings: { properties: { title: { type: 'text' }, vector: { type: 'dense_vector', dims: 3, index: true, similarity: 'cosine' } } },
    });
    await es.bulk({
      refresh: true,
      operations: [
        { index: { _index: index, _id: 'x' } },
        { title: 'x axis', vector: [1, 0, 0] },
        { index: { _index: index, _id: 'y' } },
        { title: 'y axis', vector: [0, 1, 0] },
        { index: { _index: index, _id: 'z' } },
        { title: 'z axis', vector: [0, 0, 1] },
      ],
    });
    const res = await es.search({ index, knn: { field: 'vector', query_vector: [0.1, 0.9, 0.05], k: 2, num_candidates: 10 } });
    expect(res.hits.hits.map((h) => h._id)).toEqual(['y', 'x']);
  } finally {
    await es.indices.delete({ index }).catch(() => undefined);
    await es.close();
  }
});

describe('prompt-registry gRPC', () => {
  const port = ctx.programs.find((p) => p.name === 'prompt-registry')!.grpcPort!;
  const address = `127.0.0.1:${port}`;

  test('grpc.health.v1 reports the server and the registry service SERVING', async () => {
    const client = new health.HealthClient(address, credentials.createInsecure(), grpcOptions());
    try {
      for (const service of ['', 'llmops.prompt_registry.v1.PromptRegistryService']) {
        const res = await callUnary(client.check.bind(client), { service }, { deadlineMs: 2_000 });
        expect(res.status).toBe(health.HealthCheckResponse_ServingStatus.SERVING);
      }
    } finally {
      client.close();
    }
  });

  test('GetVersion returns the version written through GraphQL; unknown ones are NOT_FOUND', async () => {
    const name = `grpc-${Date.now()}`;
    await graphql(ctx.gatewayUrl, `mutation($n: String!) { createPrompt(input: { name: $n }) { id } }`, { n: name });
    await graphql(ctx.gatewayUrl, `mutation($n: String!) { createPromptVersion(input: { promptName: $n, template: "Hi {{x}}" }) { id } }`, { n: name });
    const client = new promptRegistryV1.PromptRegistryServiceClient(address, credentials.createInsecure(), grpcOptions());
    try {
      const get = (selector: promptRegistryV1.PromptVersionRef['selector']) =>
        callUnary(client.getVersion.bind(client), { ref: { promptName: name, selector } }, { deadlineMs: 2_000, idempotent: true });
      const latest = await get({ $case: 'latest', value: true });
      expect(latest.version).toMatchObject({ promptName: name, number: 1, template: 'Hi {{x}}' });
      await expect(get({ $case: 'version', value: 7 })).rejects.toMatchObject({ code: 5, details: `PromptVersion not found: ${name}@7` });
      await expect(get(undefined)).rejects.toMatchObject({ code: 3 });
    } finally {
      client.close();
    }
  });
});
