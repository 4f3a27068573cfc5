// Ingestion over in-memory fakes: a call is validated as a whole, queued as a job, and each
// document's outcome is counted once; a document that cannot be indexed fails alone with its reason.
import { UnavailableError } from '@llmops/platform';
import { UnknownReferenceError } from '../src/domain/errors';
import { embeddingText, maxEmbeddedChars } from '../src/domain/indexer';
import type { IngestItem } from '../src/domain/model';
import { P, doc, setup } from './setup';

async function withCollection() {
  const t = setup();
  await t.collections.create(P, { name: 'docs', description: null, model: null });
  return t;
}

test.each([
  ['no documents', [], 'documents'],
  ['an empty text', [doc('a', 'fine'), doc('b', '   ')], 'documents.1.text'],
  ['an oversized text', [doc('a', 'x'.repeat(100_001))], 'documents.0.text'],
  ['a duplicate id', [doc('a', 'one'), doc('a', 'two')], 'documents.1.id'],
  ['an id with surrounding spaces', [doc(' a', 'one')], 'documents.0.id'],
  ['an id over 256 bytes', [doc('é'.repeat(129), 'one')], 'documents.0.id'],
  ['a metadata key with a dot', [doc('a', 'one', { 'a.b': 1 })], 'documents.0.metadata.a.b'],
  ['metadata holding an array of objects', [doc('a', 'one', { tags: [{ x: 1 }] })], 'documents.0.metadata.tags.0'],
  ['metadata over 16 KiB', [doc('a', 'one', { big: 'x'.repeat(17_000) })], 'documents.0.metadata'],
])('a call with %s is refused naming the field, and nothing is queued', async (_, documents, field) => {
  const t = await withCollection();
  await expect(t.ingestion.ingest(P, 'docs', documents)).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field });
  expect(t.queue.queued).toHaveLength(0);
  expect(t.jobs.jobs.size).toBe(0);
});

test('1,001 documents in one call are refused', async () => {
  const t = await withCollection();
  const many = Array.from({ length: 1_001 }, (_, i) => doc(`d${i}`, 'text'));
  await expect(t.ingestion.ingest(P, 'docs', many)).rejects.toMatchObject({ field: 'documents' });
});

test('an unknown collection is NOT_FOUND naming the collection field', async () => {
  const t = await withCollection();
  const err = await t.ingestion.ingest(P, 'nope', [doc('a', 'x')]).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(UnknownReferenceError);
  expect(err).toMatchObject({ details: { field: 'collection' } });
});

test('documents are queued as one job whose counts follow the outcomes, each counted once', async () => {
  const t = await withCollection();
  const job = await t.ingestion.ingest(P, 'docs', [doc('a', 'alpha', { n: 1 }), doc('b', 'beta')]);
  expect(job).toMatchObject({ collection: 'docs', submitted: 2, processed: 0, failed: 0, status: 'QUEUED' });
  expect(t.queue.queued.map((i) => [i.jobId, i.id])).toEqual([
    [job.id, 'a'],
    [job.id, 'b'],
  ]);
  const queued = [...t.queue.queued];
  await t.drain();
  // At-least-once delivery: the same messages again change nothing.
  t.queue.queued.push(...queued);
  await t.drain();
  expect(await t.ingestion.job(P, job.id)).toMatchObject({ processed: 2, failed: 0, status: 'COMPLETED' });
  expect(await t.collections.count({ projectId: P, name: 'docs' })).toBe(2);
});

test('a job reads COMPLETED only after its documents were made searchable; a running one does not wait for that', async () => {
  const t = await withCollection();
  const job = await t.ingestion.ingest(P, 'docs', [doc('a', 'alpha'), doc('b', 'beta')]);
  const [first] = t.queue.queued.splice(0, 1);
  await t.indexer.index([first!]).then((o) => t.jobs.recordOutcomes(o.map((x) => ({ jobId: x.item.jobId, collection: x.item.collection, documentId: x.item.id, ok: x.ok, reason: null }))));
  expect(await t.ingestion.job(P, job.id)).toMatchObject({ status: 'RUNNING', processed: 1 });
  expect(t.documents.madeSearchable).toEqual([]);
  await t.drain();
  expect(await t.ingestion.job(P, job.id)).toMatchObject({ status: 'COMPLETED', processed: 2 });
  expect(t.documents.madeSearchable).toEqual([`${P}/docs`]);
  // The collection deleted since: the job still answers with its counts.
  await t.collections.delete(P, 'docs');
  expect(await t.ingestion.job(P, job.id)).toMatchObject({ status: 'COMPLETED', processed: 2 });
  // The index unreachable: UNAVAILABLE, not a COMPLETED that a search could contradict.
  await t.collections.create(P, { name: 'docs', description: null, model: null });
  t.documents.down = true;
  await expect(t.ingestion.job(P, job.id)).rejects.toBeInstanceOf(UnavailableError);
});

test('ingesting an id again replaces the document', async () => {
  const t = await withCollection();
  await t.ingestion.ingest(P, 'docs', [doc('a', 'first version')]);
  await t.drain();
  await t.ingestion.ingest(P, 'docs', [doc('a', 'second version')]);
  await t.drain();
  expect(await t.collections.count({ projectId: P, name: 'docs' })).toBe(1);
  expect((await t.documents.get({ projectId: P, name: 'docs' }, 'a'))!.text).toBe('second version');
});

test('a document the encoder refuses fails alone with its reason; the others are indexed', async () => {
  const t = await withCollection();
  t.embedder.refuseWord = 'poison';
  const job = await t.ingestion.ingest(P, 'docs', [doc('a', 'fine'), doc('b', 'poison pill'), doc('c', 'also fine')]);
  const outcomes = await t.drain();
  expect(outcomes.map((o) => o.ok)).toEqual([true, false, true]);
  expect(await t.ingestion.job(P, job.id, 10)).toMatchObject({
    processed: 2,
    failed: 1,
    status: 'COMPLETED',
    failures: [{ documentId: 'b', reason: expect.stringContaining('the encoder refused the text') }],
  });
});

test('a document the index refuses (a metadata type conflict) fails alone', async () => {
  const t = await withCollection();
  t.documents.refuseMetadataKey = 'bad';
  await t.ingestion.ingest(P, 'docs', [doc('a', 'fine'), doc('b', 'refused', { bad: 1 })]);
  const outcomes = await t.drain();
  expect(outcomes.map((o) => (o.ok ? 'ok' : o.reason))).toEqual(['ok', expect.stringContaining('mapper_parsing_exception')]);
});

test('documents of a collection deleted after queueing fail with that reason', async () => {
  const t = await withCollection();
  await t.ingestion.ingest(P, 'docs', [doc('a', 'x')]);
  await t.collections.delete(P, 'docs');
  const [outcome] = await t.drain();
  expect(outcome).toMatchObject({ ok: false, reason: expect.stringContaining('does not exist') });
});

test('documents of a collection whose model changed under the same name fail, naming the mismatch', async () => {
  const t = await withCollection();
  await t.ingestion.ingest(P, 'docs', [doc('a', 'x')]);
  t.embedder.models.set('minilm', 'retrained:');
  const [outcome] = await t.drain();
  expect(outcome).toMatchObject({ ok: false, reason: expect.stringContaining('document tower for minilm has changed') });
});

test("documents of a collection whose document tower got another prefix fail; a query tower's change does not fail them", async () => {
  const t = await withCollection();
  const minilm = { baseModel: 'minilm', prefix: '' };
  // The query tower is swapped: searches are refused, but the documents' vectors are still right.
  t.embedder.towers.set('minilm', { query: { baseModel: 'e5-small-v2-q', prefix: 'query: ' }, document: minilm });
  await t.ingestion.ingest(P, 'docs', [doc('a', 'x')]);
  expect(await t.drain()).toMatchObject([{ ok: true }]);
  // The document tower's prefix changes (the probe alone might not tell): documents fail, naming it.
  t.embedder.towers.set('minilm', { query: minilm, document: { baseModel: 'minilm', prefix: 'passage: ' } });
  await t.ingestion.ingest(P, 'docs', [doc('b', 'y')]);
  const [outcome] = await t.drain();
  expect(outcome).toMatchObject({ ok: false, reason: expect.stringContaining('built for documents embedded by minilm without a prefix') });
});

test('an unreachable encoder or index throws UnavailableError: the batch is retried, not failed', async () => {
  const t = await withCollection();
  await t.ingestion.ingest(P, 'docs', [doc('a', 'x')]);
  const items: IngestItem[] = [...t.queue.queued];
  t.embedder.down = true;
  await expect(t.indexer.index(items)).rejects.toBeInstanceOf(UnavailableError);
  t.embedder.down = false;
  t.documents.down = true;
  await expect(t.indexer.index(items)).rejects.toBeInstanceOf(UnavailableError);
  t.documents.down = false;
  expect((await t.indexer.index(items))[0]).toMatchObject({ ok: true });
});

test('when the queue is down the call fails UNAVAILABLE and leaves no job behind', async () => {
  const t = await withCollection();
  t.queue.down = true;
  await expect(t.ingestion.ingest(P, 'docs', [doc('a', 'x')])).rejects.toMatchObject({ code: 'UNAVAILABLE', dependency: 'kafka' });
  expect(t.jobs.jobs.size).toBe(0);
});

test('a job id that is not one is an InputError; an unknown one is NOT_FOUND', async () => {
  const t = await withCollection();
  await expect(t.ingestion.job(P, 'nope')).rejects.toMatchObject({ field: 'id' });
  await expect(t.ingestion.job(P, '00000000-0000-4000-8000-000000000999')).rejects.toBeInstanceOf(UnknownReferenceError);
});

test('the document tower embeds "title text", cut to a bounded length without splitting a surrogate pair', () => {
  expect(embeddingText({ title: ' Cats ', text: 'purr' })).toBe('Cats purr');
  expect(embeddingText({ title: '', text: 'purr' })).toBe('purr');
  const long = embeddingText({ title: '', text: `${'x'.repeat(maxEmbeddedChars - 1)}😀tail` });
  expect(long).toHaveLength(maxEmbeddedChars - 1);
});

test('prepare embeds without writing; write then indexes, and an id twice in a batch keeps the later version', async () => {
  const t = await withCollection();
  await t.ingestion.ingest(P, 'docs', [doc('a', 'first')]);
  await t.ingestion.ingest(P, 'docs', [doc('a', 'second'), doc('b', 'other')]);
  const items = t.queue.queued.splice(0);
  const prepared = await t.indexer.prepare(items);
  expect(await t.collections.count({ projectId: P, name: 'docs' })).toBe(0);
  expect(t.embedder.calls.at(-1)).toMatchObject({ model: 'minilm', inputType: 'DOCUMENT', texts: ['first', 'second', 'other'] });
  const outcomes = await t.indexer.write(prepared);
  expect(outcomes.map((o) => [o.item.id, o.ok])).toEqual([
    ['a', true],
    ['a', true],
    ['b', true],
  ]);
  expect((await t.documents.get({ projectId: P, name: 'docs' }, 'a'))!.text).toBe('second');
});
