import { randomUUID } from 'node:crypto';
import { runAs, UnavailableError, type Identity } from '@llmops/platform';
import { PeerServiceError } from '../src/domain/evaluation/errors';
import type { NewEvaluationRun } from '../src/domain/evaluation/model';
import { EvaluationRunService, type RunServiceDeps } from '../src/domain/evaluation/run-service';
import { RunJobs } from '../src/domain/evaluation/run-jobs';
import type { GeneratedText } from '../src/domain/evaluation/ports';
import { LetterEmbedder, MemoryDatasetItemStore, MemoryEvaluationStore, MemoryLog, ScriptedGenerator } from './evaluation-fakes';

const answerer = (prompt: { name: string }, variables: Record<string, unknown>): GeneratedText | Error => {
  if (prompt.name === 'judge') return { generationId: randomUUID(), output: `Score: ${String(variables['output']).length > 3 ? 4 : 2}`, citedDocumentIds: [] };
  if (variables['q'] === 'fail') return new PeerServiceError('BAD_USER_INPUT', 'missing variable: q2', {});
  return { generationId: randomUUID(), output: `answer ${String(variables['q'])}`, citedDocumentIds: ['d1', 'd2'] };
};

async function setup(answer = answerer, concurrency = 2) {
  const items = new MemoryDatasetItemStore();
  const store = new MemoryEvaluationStore(items);
  const generator = new ScriptedGenerator(answer);
  const embedder = new LetterEmbedder();
  const log = new MemoryLog();
  const datasetId = randomUUID();
  items.datasets.add(datasetId);
  const jobs = new RunJobs();
  const service = new EvaluationRunService({ store, items, generator, embedder, log, concurrency, jobs, projectId: 'p1' });
  return { items, store, generator, embedder, log, datasetId, service, jobs };
}

/** The run service of the same project in another process (or after a restart): jobs of its own. */
const anotherProcess = (deps: Pick<RunServiceDeps, 'store' | 'items' | 'generator' | 'embedder' | 'log'>): RunServiceDeps => ({
  ...deps,
  concurrency: 1,
  jobs: new RunJobs(),
  projectId: 'p1',
});

const runInput = (datasetId: string, over: Partial<NewEvaluationRun> = {}): NewEvaluationRun => ({
  datasetId,
  prompt: { name: 'qa', version: null, alias: 'production' },
  metrics: ['EXACT_MATCH', 'ROUGE_L'],
  judgePrompt: null,
  judgeScale: { min: 1, max: 5 },
  parameters: { maxTokens: 16, temperature: 0, seed: 7 },
  ...over,
});

test('a run scores every item from the generated outputs and ends SUCCEEDED with per-metric means', async () => {
  const { items, store, generator, embedder, log, datasetId, service } = await setup();
  await items.add(datasetId, [
    { variables: { q: 'one' }, expectedOutput: 'Answer ONE', expectedDocumentIds: ['d1'] },
    { variables: { q: 'two' }, expectedOutput: 'something else', expectedDocumentIds: [] },
    { variables: { q: 'three' }, expectedOutput: null, expectedDocumentIds: ['d1', 'd2', 'd3'] },
  ]);
  const run = await service.start(
    runInput(datasetId, { metrics: ['EXACT_MATCH', 'ROUGE_L', 'EMBEDDING_SIMILARITY', 'CITATION_PRECISION', 'JUDGE'], judgePrompt: { name: 'judge', version: 2, alias: null } }),
  );
  expect(run).toMatchObject({ status: 'PENDING', total: 3 });
  await service.settled(run.id);
  expect((await service.get(run.id))!.status).toBe('SUCCEEDED');
  const byItem = new Map(store.results.map((r) => [items.items.find((i) => i.id === r.itemId)!.variables['q'], r]));
  const score = (q: string, metric: string) => byItem.get(q)!.scores.find((s) => s.metric === metric)!;
  expect(byItem.get('one')!.output).toBe('answer one');
  expect(score('one', 'EXACT_MATCH').value).toBe(1);
  expect(score('two', 'EXACT_MATCH').value).toBe(0);
  expect(score('three', 'EXACT_MATCH').value).toBeNull(); // no expected output: not applicable
  expect(score('two', 'ROUGE_L').value).toBe(0);
  expect(score('one', 'EMBEDDING_SIMILARITY').value).toBeCloseTo(1, 6);
  expect(score('one', 'CITATION_PRECISION').value).toBe(0.5);
  expect(score('two', 'CITATION_PRECISION').value).toBeNull();
  expect(score('three', 'CITATION_PRECISION').value).toBe(1);
  expect(score('one', 'JUDGE').value).toBe(4);
  expect(embedder.calls).toContainEqual(['answer one', 'Answer ONE']);
  // The judge saw the item's input, the output and the expected output.
  expect(generator.calls).toContainEqual({
    prompt: { name: 'judge', version: 2, alias: null },
    variables: { input: { q: 'two' }, output: 'answer two', expected: 'something else' },
    parameters: { maxTokens: 16, temperature: 0, seed: 7 },
  });
  const progress = await service.progress(run.id);
  expect(progress.processed).toBe(3);
  expect(progress.means.find((m) => m.metric === 'EXACT_MATCH')).toEqual({ metric: 'EXACT_MATCH', mean: 0.5, count: 2 });
  expect(log.lines.filter((l) => l.message === 'evaluation progress').map((l) => l.fields['processed'])).toEqual([1, 2, 3]);
});

test('an item whose generation is refused records the error; an unparsable judge answer is an error for that metric', async () => {
  const { items, store, datasetId, service } = await setup((prompt, variables) =>
    prompt.name === 'judge' ? { generationId: 'j', output: 'great!', citedDocumentIds: [] } : answerer(prompt, variables),
  );
  await items.add(datasetId, [
    { variables: { q: 'fail' }, expectedOutput: 'x', expectedDocumentIds: [] },
    { variables: { q: 'ok' }, expectedOutput: 'answer ok', expectedDocumentIds: [] },
  ]);
  const run = await service.start(runInput(datasetId, { metrics: ['EXACT_MATCH', 'JUDGE'], judgePrompt: { name: 'judge', version: null, alias: null } }));
  await service.settled(run.id);
  expect((await service.get(run.id))!.status).toBe('SUCCEEDED');
  const failed = store.results.find((r) => r.error !== null)!;
  expect(failed).toMatchObject({ output: null, scores: [], error: 'BAD_USER_INPUT: missing variable: q2' });
  const ok = store.results.find((r) => r.error === null)!;
  expect(ok.scores).toEqual([
    { metric: 'EXACT_MATCH', value: 1, error: null },
    { metric: 'JUDGE', value: null, error: "the judge's output holds no number from 1 to 5 (generation j)" },
  ]);
  expect(await service.progress(run.id)).toMatchObject({ processed: 2, failed: 1, means: [{ metric: 'EXACT_MATCH', mean: 1, count: 1 }, { metric: 'JUDGE', mean: null, count: 0 }] });
});

test('concurrency is bounded', async () => {
  let inFlight = 0;
  let peak = 0;
  const { items, datasetId, service } = await setup(answerer, 3);
  const slow = new ScriptedGenerator(answerer);
  const origGenerate = slow.generate.bind(slow);
  slow.generate = async (...args) => {
    peak = Math.max(peak, ++inFlight);
    await new Promise((r) => setTimeout(r, 5));
    inFlight--;
    return origGenerate(...args);
  };
  (service as unknown as { deps: { generator: ScriptedGenerator } }).deps.generator = slow;
  await items.add(datasetId, Array.from({ length: 10 }, (_, i) => ({ variables: { q: `q${i}` }, expectedOutput: null, expectedDocumentIds: [] })));
  const run = await service.start(runInput(datasetId));
  await service.settled(run.id);
  expect(peak).toBe(3);
  expect(slow.calls).toHaveLength(10);
});

test('cancel keeps what was scored; resume does only the rest, never an item twice', async () => {
  const { items, store, generator, datasetId, service } = await setup(answerer, 1);
  await items.add(datasetId, Array.from({ length: 4 }, (_, i) => ({ variables: { q: `q${i}` }, expectedOutput: `answer q${i}`, expectedDocumentIds: [] })));
  generator.allow(1); // the first item goes through, the second waits
  const run = await service.start(runInput(datasetId));
  while (store.results.length < 1 || generator.calls.length < 2) await new Promise((r) => setImmediate(r));
  const cancelled = await service.cancel(run.id);
  expect(cancelled.status).toBe('CANCELLED');
  expect(store.results).toHaveLength(1);
  await expect(service.cancel(run.id)).rejects.toMatchObject({ code: 'CONFLICT' });
  generator.release();

  const resumed = await service.resume(run.id);
  expect(resumed.status).toBe('RUNNING');
  await service.settled(run.id);
  expect((await service.get(run.id))!.status).toBe('SUCCEEDED');
  expect(store.results).toHaveLength(4);
  expect(new Set(store.results.map((r) => r.itemId)).size).toBe(4);
  const calledFor = generator.calls.map((c) => c.variables['q']);
  expect(calledFor.filter((q) => q === 'q0')).toHaveLength(1); // scored before the cancel, not redone
  expect((await service.progress(run.id)).means[0]).toEqual({ metric: 'EXACT_MATCH', mean: 1, count: 4 });
  await expect(service.resume(run.id)).rejects.toMatchObject({ code: 'CONFLICT' });
});

test('a restarted service resumes RUNNING runs by itself', async () => {
  const { items, store, generator, embedder, log, datasetId, service, jobs } = await setup(answerer, 1);
  await items.add(datasetId, Array.from({ length: 3 }, (_, i) => ({ variables: { q: `q${i}` }, expectedOutput: null, expectedDocumentIds: [] })));
  generator.allow(1);
  const run = await service.start(runInput(datasetId));
  while (store.results.length < 1 || generator.calls.length < 2) await new Promise((r) => setImmediate(r));
  await jobs.stop(); // the process is going down: the run stays RUNNING
  generator.release();
  expect((await service.get(run.id))!.status).toBe('RUNNING');
  expect(store.results).toHaveLength(1);

  const restarted = new EvaluationRunService(anotherProcess({ store, items, generator, embedder, log }));
  expect(await restarted.resumeUnfinished()).toBe(1);
  await restarted.settled(run.id);
  expect((await restarted.get(run.id))!.status).toBe('SUCCEEDED');
  expect(store.results).toHaveLength(3);
  expect(generator.calls.filter((c) => c.variables['q'] === 'q0')).toHaveLength(1);
  expect(log.lines.map((l) => l.message)).toContain('evaluation run resumed');
});

test("a run's background work acts for the run's project, whoever started it, and after a restart too", async () => {
  const { items, store, generator, embedder, log, datasetId, service, jobs } = await setup(answerer, 1);
  await items.add(datasetId, [{ variables: { q: 'a' }, expectedOutput: null, expectedDocumentIds: [] }, { variables: { q: 'b' }, expectedOutput: null, expectedDocumentIds: [] }]);
  generator.allow(1);
  const caller: Identity = { projectId: 'other', subject: 'key-1', role: 'admin', via: 'api-key' };
  const run = await runAs(caller, () => service.start(runInput(datasetId)));
  while (generator.calls.length < 2) await new Promise((r) => setImmediate(r));
  await jobs.stop();
  generator.release();
  const restarted = new EvaluationRunService(anotherProcess({ store, items, generator, embedder, log }));
  await restarted.resumeUnfinished();
  await restarted.settled(run.id);
  expect(generator.calls.length).toBeGreaterThanOrEqual(3);
  for (const identity of generator.identities) expect(identity).toEqual({ projectId: 'p1', subject: 'service:feedback', role: 'editor', via: 'service' });
});

test('an unreachable generation service fails the run without recording the item; resuming finishes it', async () => {
  let down = true;
  const { items, store, datasetId, service } = await setup((p, v) => (down && v['q'] === 'q1' ? new UnavailableError('generation') : answerer(p, v)), 1);
  await items.add(datasetId, Array.from({ length: 3 }, (_, i) => ({ variables: { q: `q${i}` }, expectedOutput: null, expectedDocumentIds: [] })));
  const run = await service.start(runInput(datasetId));
  await service.settled(run.id);
  const failed = (await service.get(run.id))!;
  expect(failed).toMatchObject({ status: 'FAILED', error: 'UNAVAILABLE: generation is unavailable' });
  expect(store.results.map((r) => items.items.find((i) => i.id === r.itemId)!.variables['q'])).toEqual(['q0']);
  down = false;
  await service.resume(run.id);
  await service.settled(run.id);
  expect((await service.get(run.id))!).toMatchObject({ status: 'SUCCEEDED', error: null });
  expect(store.results).toHaveLength(3);
});

test('items added after the start are not part of the run', async () => {
  const { items, store, datasetId, service } = await setup();
  await items.add(datasetId, [{ variables: { q: 'a' }, expectedOutput: null, expectedDocumentIds: [] }]);
  const run = await service.start(runInput(datasetId));
  await items.add(datasetId, [{ variables: { q: 'b' }, expectedOutput: null, expectedDocumentIds: [] }]);
  await service.settled(run.id);
  expect(store.results).toHaveLength(1);
  expect((await service.get(run.id))!.total).toBe(1);
});

describe('typed errors naming the field at fault', () => {
  test.each([
    [{ metrics: [] }, 'input.metrics'],
    [{ metrics: ['ROUGE_L', 'ROUGE_L'] }, 'input.metrics'],
    [{ metrics: ['JUDGE'] }, 'input.judgePrompt'],
    [{ prompt: { name: 'qa', version: 2, alias: 'production' } }, 'input.prompt.alias'],
    [{ prompt: { name: '', version: null, alias: null } }, 'input.prompt.name'],
    [{ parameters: { maxTokens: 0, temperature: null, seed: null } }, 'input.parameters.maxTokens'],
    [{ parameters: { maxTokens: null, temperature: 3, seed: null } }, 'input.parameters.temperature'],
    [{ judgeScale: { min: 5, max: 1 } }, 'input.judgeScale.max'],
    [{ datasetId: 'nope' }, 'input.datasetId'],
  ] as Array<[Partial<NewEvaluationRun>, string]>)('%j → %s', async (over, field) => {
    const { datasetId, service } = await setup();
    await expect(service.start(runInput(datasetId, over))).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field });
  });

  test('unknown and empty datasets, unknown runs, comparisons across datasets or metrics', async () => {
    const { items, datasetId, service } = await setup();
    await expect(service.start(runInput(randomUUID()))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(service.start(runInput(datasetId))).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.datasetId' });
    await expect(service.cancel(randomUUID())).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(service.resume('x')).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
    await items.add(datasetId, [{ variables: { q: 'a' }, expectedOutput: 'answer a', expectedDocumentIds: [] }]);
    const other = randomUUID();
    items.datasets.add(other);
    await items.add(other, [{ variables: { q: 'a' }, expectedOutput: null, expectedDocumentIds: [] }]);
    const a = await service.start(runInput(datasetId));
    const b = await service.start(runInput(datasetId, { metrics: ['ROUGE_L'] }));
    const c = await service.start(runInput(other));
    await Promise.all([a, b, c].map((r) => service.settled(r.id)));
    await expect(service.compare(a.id, c.id, 'ROUGE_L')).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'b' });
    await expect(service.compare(a.id, b.id, 'EXACT_MATCH')).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'metric' });
    expect(await service.compare(a.id, b.id, 'ROUGE_L')).toMatchObject({ pairs: 1, ties: 1, meanDifference: 0, pValue: 1 });
  });
});

test('two instances: only the one holding the run processes it, and a cancel on the other stops it', async () => {
  const { items, store, generator, embedder, log, datasetId, service } = await setup(answerer, 1);
  await items.add(datasetId, Array.from({ length: 4 }, (_, i) => ({ variables: { q: `q${i}` }, expectedOutput: null, expectedDocumentIds: [] })));
  generator.allow(1);
  const run = await service.start(runInput(datasetId));
  while (store.results.length < 1 || generator.calls.length < 2) await new Promise((r) => setImmediate(r));

  const other = new EvaluationRunService(anotherProcess({ store, items, generator, embedder, log }));
  expect(await other.resumeUnfinished()).toBe(1);
  await other.settled(run.id);
  expect(generator.calls).toHaveLength(2); // the other instance did not start the run a second time
  expect(log.lines.map((l) => l.message)).toContain('evaluation run is being processed by another instance');

  await other.cancel(run.id);
  generator.release();
  await service.settled(run.id);
  expect((await service.get(run.id))!.status).toBe('CANCELLED');
  expect(store.results).toHaveLength(2); // the item in flight was stored, no further item started
  expect(generator.calls).toHaveLength(2);
  expect(store.claimed.size).toBe(0);
});

test('a token budget that refuses the generations fails the run without recording items; resuming finishes it', async () => {
  let budgetLeft = 1;
  const { items, store, datasetId, service } = await setup(
    (p, v) => (budgetLeft-- > 0 ? answerer(p, v) : new PeerServiceError('RATE_LIMITED', 'the project has used its daily token budget', {})),
    1,
  );
  await items.add(datasetId, Array.from({ length: 3 }, (_, i) => ({ variables: { q: `q${i}` }, expectedOutput: null, expectedDocumentIds: [] })));
  const run = await service.start(runInput(datasetId));
  await service.settled(run.id);
  expect((await service.get(run.id))!).toMatchObject({ status: 'FAILED', error: 'RATE_LIMITED: the project has used its daily token budget' });
  expect(store.results).toHaveLength(1);
  budgetLeft = Infinity;
  await service.resume(run.id);
  await service.settled(run.id);
  expect((await service.get(run.id))!).toMatchObject({ status: 'SUCCEEDED', error: null });
  expect(store.results.filter((r) => r.error !== null)).toEqual([]);
});

test('an unknown judge prompt fails the run (as the README says) instead of a JUDGE error on every item', async () => {
  const { items, store, datasetId, service } = await setup((p, v) =>
    p.name === 'judg' ? new PeerServiceError('NOT_FOUND', 'prompt judg not found', {}) : answerer(p, v),
  );
  await items.add(datasetId, [{ variables: { q: 'a' }, expectedOutput: 'answer a', expectedDocumentIds: [] }]);
  const run = await service.start(runInput(datasetId, { metrics: ['EXACT_MATCH', 'JUDGE'], judgePrompt: { name: 'judg', version: null, alias: null } }));
  await service.settled(run.id);
  expect((await service.get(run.id))!).toMatchObject({ status: 'FAILED', error: 'NOT_FOUND: prompt judg not found' });
  expect(store.results).toEqual([]);
});

test('a store failure outside an item ends the run FAILED with its cause, not RUNNING with nobody working on it', async () => {
  const { items, store, datasetId, service } = await setup();
  await items.add(datasetId, [{ variables: { q: 'a' }, expectedOutput: null, expectedDocumentIds: [] }]);
  const pendingItems = store.pendingItems.bind(store);
  let blips = 1;
  store.pendingItems = async (run) => {
    if (blips-- > 0) throw new UnavailableError('postgresql');
    return pendingItems(run);
  };
  const run = await service.start(runInput(datasetId));
  await service.settled(run.id);
  expect((await service.get(run.id))!).toMatchObject({ status: 'FAILED', error: 'UNAVAILABLE: postgresql is unavailable' });
  await service.resume(run.id);
  await service.settled(run.id);
  expect((await service.get(run.id))!).toMatchObject({ status: 'SUCCEEDED' });
  expect(store.results).toHaveLength(1);
});
