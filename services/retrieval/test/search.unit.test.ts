// Search modes, filters and component scores over in-memory fakes of the domain's ports.
import { InputError } from '@llmops/platform';
import { EncoderMismatchError, HydeUnavailableError, UnknownReferenceError } from '../src/domain/errors';
import type { SearchRequest } from '../src/domain/model';
import { dot } from '../src/domain/vectors';
import { FakeWriter, bagOfWords } from './fakes';
import { P, doc, setup } from './setup';

async function withCorpus(opts: Parameters<typeof setup>[0] = {}) {
  const t = setup(opts);
  await t.collections.create(P, { name: 'docs', description: null, model: null });
  await t.ingestion.ingest(P, 'docs', [
    doc('cats', 'cats purr and sleep all day', { year: 2020, kind: 'animal' }),
    doc('dogs', 'dogs bark at the mailman', { year: 2018, kind: 'animal' }),
    doc('paris', 'paris is the capital of france', { year: 2021, kind: 'city' }),
    doc('rome', 'rome is the capital of italy', { year: 2015, kind: 'city' }),
  ]);
  await t.drain();
  return t;
}

const req = (query: string, extra: Partial<SearchRequest> = {}): SearchRequest => ({
  collection: 'docs',
  query,
  mode: 'HYBRID',
  k: 10,
  filters: [],
  model: null,
  ...extra,
});

test('KEYWORD hits carry the keyword score and rank only', async () => {
  const { search } = await withCorpus();
  const res = await search.search(P, req('capital of france', { mode: 'KEYWORD' }));
  expect(res.hits[0]).toMatchObject({ document: { id: 'paris' }, rank: 1, keywordRank: 1, vectorScore: null, vectorRank: null });
  expect(res.hits[0]!.score).toBe(res.hits[0]!.keywordScore);
  expect(res.model).toBe('minilm');
});

test('VECTOR embeds the query with the query tower of the collection model and ranks by cosine', async () => {
  const { search, embedder } = await withCorpus();
  const res = await search.search(P, req('cats purr', { mode: 'VECTOR', k: 2 }));
  expect(res.hits.map((h) => h.document.id)[0]).toBe('cats');
  expect(res.hits).toHaveLength(2);
  expect(res.hits[0]!.vectorScore).toBeCloseTo(dot(bagOfWords('cats purr'), bagOfWords('cats purr and sleep all day')), 5);
  expect(embedder.calls.at(-1)).toEqual({ model: 'minilm', inputType: 'QUERY', texts: ['cats purr'] });
});

test('HYBRID fuses both lists by reciprocal rank and keeps each component', async () => {
  const { search } = await withCorpus();
  const res = await search.search(P, req('capital of france'));
  const top = res.hits[0]!;
  expect(top.document.id).toBe('paris');
  expect(top).toMatchObject({ keywordRank: 1, vectorRank: 1 });
  expect(top.score).toBeCloseTo(2 / 61, 10);
  for (const h of res.hits) expect(h.keywordScore !== null || h.vectorScore !== null).toBe(true);
  expect(res.hits.map((h) => h.rank)).toEqual(res.hits.map((_, i) => i + 1));
});

test('HYBRID starts the BM25 list without waiting for the query embedding', async () => {
  const { search, embedder, documents } = await withCorpus();
  // The query embedding does not finish until the BM25 list has been asked for.
  let keywordAsked!: () => void;
  const asked = new Promise<void>((r) => (keywordAsked = r));
  const keywordIds = documents.keywordIds.bind(documents);
  documents.keywordIds = (...args) => (keywordAsked(), keywordIds(...args));
  const embed = embedder.embed.bind(embedder);
  embedder.embed = async (...args) => (args[1] === 'QUERY' ? (await asked, embed(...args)) : embed(...args));
  const res = await search.search(P, req('capital of france'));
  expect(res.hits[0]).toMatchObject({ document: { id: 'paris' }, keywordRank: 1, vectorRank: 1 });
});

test('filters apply in every mode', async () => {
  const { search, documents } = await withCorpus();
  for (const mode of ['KEYWORD', 'VECTOR', 'HYBRID'] as const) {
    const term = await search.search(P, req('capital', { mode, filters: [{ field: 'kind', kind: 'term', anyOf: ['city'] }] }));
    expect(new Set(term.hits.map((h) => h.document.id))).toEqual(new Set(['paris', 'rome']));
    const range = await search.search(P, req('capital', { mode, filters: [{ field: 'year', kind: 'range', gte: 2020 }] }));
    expect(range.hits.every((h) => (h.document.metadata['year'] as number) >= 2020)).toBe(true);
    expect(documents.lastFilters).toEqual([{ field: 'year', kind: 'range', gte: 2020 }]);
  }
});

test('a filter on an unknown field or with a value of the wrong type is an InputError naming it', async () => {
  const { search } = await withCorpus();
  const unknown = await search.search(P, req('x', { filters: [{ field: 'colour', kind: 'term', anyOf: ['red'] }] })).catch((e: unknown) => e);
  expect(unknown).toBeInstanceOf(InputError);
  expect(unknown).toMatchObject({ field: 'filters.0.field', details: { known: ['kind', 'year'] } });
  const wrongType = await search.search(P, req('x', { filters: [{ field: 'year', kind: 'term', anyOf: ['recent'] }] })).catch((e: unknown) => e);
  expect(wrongType).toMatchObject({ field: 'filters.0.anyOf.0' });
  // Not finite: JSON would send null, an open bound that matches every document.
  for (const bound of [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN]) {
    const err = await search.search(P, req('x', { filters: [{ field: 'year', kind: 'range', lte: 2020, gte: bound }] })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err).toMatchObject({ field: 'filters.0.range.gte' });
  }
});

test('bad requests are InputErrors naming the field; an unknown collection is NOT_FOUND', async () => {
  const { search } = await withCorpus();
  await expect(search.search(P, req('  '))).rejects.toMatchObject({ field: 'query' });
  await expect(search.search(P, req('x'.repeat(2_001)))).rejects.toMatchObject({ field: 'query' });
  await expect(search.search(P, req('x', { k: 0 }))).rejects.toMatchObject({ field: 'k' });
  await expect(search.search(P, req('x', { k: 101 }))).rejects.toMatchObject({ field: 'k' });
  await expect(search.search(P, req('x', { collection: 'nope' }))).rejects.toBeInstanceOf(UnknownReferenceError);
  await expect(search.search(P, req('x', { collection: 'Bad Name' }))).rejects.toMatchObject({ field: 'collection' });
});

test('searching with another model than the collection was built with is an error, never garbage', async () => {
  const t = await withCorpus();
  await expect(t.search.search(P, req('x', { model: 'other' }))).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'model' });
  // The encoder now serves something else under the same name: the probe embedding gives it away.
  t.embedder.models.set('minilm', 'retrained:');
  t.advance(61_000);
  await expect(t.search.search(P, req('x', { mode: 'VECTOR' }))).rejects.toBeInstanceOf(EncoderMismatchError);
  // KEYWORD needs no vectors and keeps working.
  expect((await t.search.search(P, req('capital', { mode: 'KEYWORD' }))).hits.length).toBeGreaterThan(0);
  // The model is gone altogether.
  t.embedder.models.delete('minilm');
  t.advance(61_000);
  await expect(t.search.search(P, req('x', { mode: 'HYBRID' }))).rejects.toThrow(/no longer serves/);
});

test("a double-tower model whose query tower changed base model or prefix under the same name is CONFLICT; a retrained adapter is not", async () => {
  const minilm = { baseModel: 'all-minilm-l6-v2-q', prefix: '' };
  const t = setup({ writer: new FakeWriter(['the french capital paris']) });
  t.embedder.towers.set('minilm', { query: minilm, document: minilm });
  const c = await t.collections.create(P, { name: 'docs', description: null, model: null });
  expect(c.encoder).toMatchObject({ queryTower: minilm, documentTower: minilm });
  await t.ingestion.ingest(P, 'docs', [doc('paris', 'paris is the capital of france')]);
  await t.drain();
  // Another query adapter on the same base (its vectors are what the fake gives anyway): fine.
  expect((await t.search.search(P, req('capital of france', { mode: 'VECTOR' }))).hits).toHaveLength(1);
  // The operator points the query tower at e5 (also 384 dimensions): the document probe still
  // matches, the queries would be e5 vectors against MiniLM documents.
  t.embedder.towers.set('minilm', { query: { baseModel: 'e5-small-v2-q', prefix: 'query: ' }, document: minilm });
  for (const mode of ['VECTOR', 'HYBRID', 'HYDE'] as const) {
    const err = await t.search.search(P, req('capital of france', { mode })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EncoderMismatchError);
    expect(err).toMatchObject({ code: 'CONFLICT', details: { collection: 'docs', field: 'collection' } });
    expect((err as Error).message).toContain(
      'it was built for queries embedded by all-minilm-l6-v2-q without a prefix, but the encoder\'s query tower for minilm is now e5-small-v2-q with the prefix "query: "',
    );
  }
  expect((await t.search.search(P, req('capital', { mode: 'KEYWORD' }))).hits).toHaveLength(1);
  // Same base model, another prefix: another tower too.
  t.embedder.towers.set('minilm', { query: { baseModel: 'all-minilm-l6-v2-q', prefix: 'query: ' }, document: minilm });
  await expect(t.search.search(P, req('capital of france', { mode: 'VECTOR' }))).rejects.toBeInstanceOf(EncoderMismatchError);
  // Put back: searches work again at once.
  t.embedder.towers.set('minilm', { query: minilm, document: minilm });
  expect((await t.search.search(P, req('capital of france', { mode: 'VECTOR' }))).hits).toHaveLength(1);
});

test('collections bound before towers were recorded, or an encoder that names no tower, keep working', async () => {
  const t = await withCorpus();
  const c = t.store.collections.get(`${P}/docs`)!;
  const { queryTower: _q, documentTower: _d, ...legacy } = c.encoder;
  t.store.collections.set(`${P}/docs`, { ...c, encoder: legacy });
  t.embedder.towers.set('minilm', { query: { baseModel: 'e5-small-v2-q', prefix: 'query: ' }, document: { baseModel: 'minilm', prefix: '' } });
  expect((await t.search.search(P, req('cats purr', { mode: 'VECTOR' }))).hits.length).toBeGreaterThan(0);
  // A collection bound now, served by an encoder older than the tower field: nothing to compare.
  const old = await withCorpus();
  old.embedder.reportsTowers = false;
  old.embedder.towers.set('minilm', { query: { baseModel: 'e5-small-v2-q', prefix: 'query: ' }, document: { baseModel: 'minilm', prefix: '' } });
  expect((await old.search.search(P, req('cats purr', { mode: 'VECTOR' }))).hits.length).toBeGreaterThan(0);
});

test('HYDE without a generation service is a typed UNAVAILABLE naming it', async () => {
  const { search } = await withCorpus();
  const err = await search.search(P, req('x', { mode: 'HYDE' })).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(HydeUnavailableError);
  expect(err).toMatchObject({ code: 'UNAVAILABLE', details: { dependency: 'generation' } });
});

test('HYDE searches with the mean of the query and the hypothetical documents, embedded by the document tower', async () => {
  const passages = ['the french capital paris', 'paris lies on the seine'];
  const t = await withCorpus({ writer: new FakeWriter(passages) });
  const res = await t.search.search(P, req('where is the eiffel tower', { mode: 'HYDE', k: 1 }));
  expect(res.hits[0]!.document.id).toBe('paris');
  expect(res.hypotheticalDocuments).toEqual(passages);
  expect(t.embedder.calls.some((c) => c.inputType === 'DOCUMENT' && c.texts.join() === passages.join())).toBe(true);
  const mean = [bagOfWords('where is the eiffel tower'), ...passages.map((p) => bagOfWords(p))].reduce((s, v) => s.map((x, i) => x + v[i]!));
  const norm = Math.sqrt(dot(mean, mean));
  t.documents.lastVector!.forEach((x, i) => expect(x).toBeCloseTo(mean[i]! / norm, 5));
});
