// Projects isolate collections, documents, ingestion jobs and searches in the retrieval domain.
import { CollectionService } from '../src/domain/collections';
import { DocumentIndexer } from '../src/domain/indexer';
import { UnknownReferenceError } from '../src/domain/errors';
import { doc, setup } from './setup';

const query = (collection: string) => ({ collection, query: 'animal', mode: 'KEYWORD' as const, k: 10, filters: [], model: null });

async function twoProjects() {
  const t = setup();
  await t.collections.create('a', { name: 'docs', description: null, model: null });
  await t.collections.create('b', { name: 'docs', description: null, model: null });
  await t.collections.create('a', { name: 'only-a', description: null, model: null });
  const jobA = await t.ingestion.ingest('a', 'docs', [doc('x', 'an animal of project a', { n: 1 })]);
  const jobB = await t.ingestion.ingest('b', 'docs', [doc('x', 'an animal of project b', { m: 1 }), doc('y', 'another animal of b')]);
  await t.ingestion.ingest('a', 'only-a', [doc('secret', 'a secret animal')]);
  await t.drain();
  return { t, jobA, jobB };
}

test('the same collection name in two projects holds each project’s own documents', async () => {
  const { t } = await twoProjects();
  const a = await t.search.search('a', query('docs'));
  const b = await t.search.search('b', query('docs'));
  expect(a.hits.map((h) => h.document.text)).toEqual(['an animal of project a']);
  expect(b.hits.map((h) => h.document.id).sort()).toEqual(['x', 'y']);
  expect((await t.documents.get({ projectId: 'b', name: 'docs' }, 'x'))!.text).toBe('an animal of project b');
  // Filters are checked against the project's own collection's fields.
  await expect(t.search.search('a', { ...query('docs'), filters: [{ field: 'm', kind: 'term', anyOf: [1] }] })).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
  expect((await t.search.search('b', { ...query('docs'), filters: [{ field: 'm', kind: 'term', anyOf: [1] }] })).hits).toHaveLength(1);
});

test('queued documents carry their project, and the indexer writes them to that project’s collection', async () => {
  const t = setup();
  await t.collections.create('a', { name: 'docs', description: null, model: null });
  await t.ingestion.ingest('a', 'docs', [doc('x', 'text')]);
  expect(t.queue.queued.map((i) => [i.projectId, i.collection])).toEqual([['a', 'docs']]);
  // An event naming a project without that collection fails alone, naming the project.
  const stray = { ...t.queue.queued[0]!, projectId: 'b' };
  const outcomes = await t.indexer.index([...t.queue.queued.splice(0), stray]);
  expect(outcomes.map((o) => o.ok)).toEqual([true, false]);
  expect(outcomes[1]).toMatchObject({ reason: expect.stringContaining('project b') });
});

test('another project’s collection, job and documents are NOT_FOUND; lists show only the project’s own', async () => {
  const { t, jobA } = await twoProjects();
  await expect(t.search.search('b', query('only-a'))).rejects.toBeInstanceOf(UnknownReferenceError);
  await expect(t.collections.get('b', 'only-a', 'collection')).rejects.toBeInstanceOf(UnknownReferenceError);
  expect(await t.collections.find('b', 'only-a')).toBeNull();
  await expect(t.ingestion.ingest('b', 'only-a', [doc('z', 'planted')])).rejects.toBeInstanceOf(UnknownReferenceError);
  await expect(t.ingestion.job('b', jobA.id)).rejects.toBeInstanceOf(UnknownReferenceError);
  expect(await t.ingestion.job('a', jobA.id)).toMatchObject({ projectId: 'a', status: 'COMPLETED' });
  expect(await t.documents.get({ projectId: 'b', name: 'only-a' }, 'secret')).toBeNull();
  expect(await t.collections.delete('b', 'only-a')).toBe(false);
  expect((await t.collections.list('a')).map((c) => c.name).sort()).toEqual(['docs', 'only-a']);
  expect((await t.collections.list('b')).map((c) => [c.name, c.documentCount])).toEqual([['docs', 2]]);
  expect(await t.collections.list('default')).toEqual([]);
});

test('cached lookups are per project', async () => {
  const t = setup();
  const cached = new CollectionService(t.store, t.bindings, 60_000);
  await cached.create('a', { name: 'docs', description: null, model: null });
  expect(await cached.find('a', 'docs')).toMatchObject({ projectId: 'a', name: 'docs' });
  expect(await cached.find('b', 'docs')).toBeNull();
  await cached.create('b', { name: 'docs', description: null, model: null });
  expect(await cached.find('b', 'docs')).toMatchObject({ projectId: 'b' });
});

test('the indexer embeds each project’s documents in that project’s scope', async () => {
  const t = setup();
  await t.collections.create('a', { name: 'docs', description: null, model: null });
  await t.collections.create('b', { name: 'docs', description: null, model: null });
  await t.ingestion.ingest('a', 'docs', [doc('x', 'one')]);
  await t.ingestion.ingest('b', 'docs', [doc('y', 'two')]);
  const scopes: string[] = [];
  const indexer = new DocumentIndexer(t.collections, t.bindings, t.embedder, t.documents, (projectId, work) => {
    scopes.push(projectId);
    return work();
  });
  expect((await indexer.index(t.queue.queued.splice(0))).map((o) => o.ok)).toEqual([true, true]);
  expect(scopes).toEqual(['a', 'b']);
});
