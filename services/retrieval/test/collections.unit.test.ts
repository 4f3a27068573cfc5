// Collections bound to an encoder model, and the metadata filters checked against their fields.
import { ConflictError, InputError } from '@llmops/platform';
import { UnknownReferenceError } from '../src/domain/errors';
import { probeText } from '../src/domain/encoder-bindings';
import { checkFilters } from '../src/domain/filters';
import type { MetadataFieldType } from '../src/domain/model';
import { validateFilters } from '../src/domain/validation';
import { bagOfWords } from './fakes';
import { P, setup } from './setup';

test('a collection records the model the encoder answered with, its dimensions and the probe embedding', async () => {
  const t = setup();
  const c = await t.collections.create(P, { name: 'docs', description: 'd', model: null });
  expect(c.encoder.model).toBe('minilm');
  expect(c.encoder.dimensions).toBe(16);
  bagOfWords(probeText).forEach((x, i) => expect(c.encoder.fingerprint[i]).toBeCloseTo(x, 5));
  expect(t.embedder.calls[0]).toEqual({ model: null, inputType: 'DOCUMENT', texts: [probeText] });
  // Both towers' identities, the query tower's asked of the model that answered.
  expect(t.embedder.calls[1]).toEqual({ model: 'minilm', inputType: 'QUERY', texts: [probeText] });
  expect(c.encoder).toMatchObject({ queryTower: { baseModel: 'minilm', prefix: '' }, documentTower: { baseModel: 'minilm', prefix: '' } });
  const other = await t.collections.create(P, { name: 'docs-other', description: null, model: 'other' });
  expect(other.encoder.model).toBe('other');
});

test('bad names, a taken name and an unknown model are typed errors naming the field', async () => {
  const t = setup();
  await t.collections.create(P, { name: 'docs', description: null, model: null });
  await expect(t.collections.create(P, { name: 'docs', description: null, model: null })).rejects.toBeInstanceOf(ConflictError);
  for (const name of ['', 'Upper', 'with space', '-lead', 'x'.repeat(101)]) {
    await expect(t.collections.create(P, { name, description: null, model: null })).rejects.toMatchObject({ field: 'name' });
  }
  await expect(t.collections.create(P, { name: 'n', description: 'x'.repeat(2_001), model: null })).rejects.toMatchObject({ field: 'description' });
  await expect(t.collections.create(P, { name: 'n', description: null, model: ' ' })).rejects.toMatchObject({ field: 'model' });
  const unknown = await t.collections.create(P, { name: 'n', description: null, model: 'nope' }).catch((e: unknown) => e);
  expect(unknown).toBeInstanceOf(UnknownReferenceError);
  expect(unknown).toMatchObject({ details: { field: 'model', known: ['minilm', 'other'] } });
  await expect(t.collections.get(P, 'nope', 'collection')).rejects.toMatchObject({ details: { field: 'collection' } });
  expect(await t.collections.delete(P, 'docs')).toBe(true);
  expect(await t.collections.delete(P, 'docs')).toBe(false);
});

test('the encoder is asked about a collection at most once a minute', async () => {
  const t = setup();
  const c = await t.collections.create(P, { name: 'docs', description: null, model: null });
  const probes = () => t.embedder.calls.filter((x) => x.texts[0] === probeText).length;
  const before = probes();
  await t.bindings.verify(c);
  await t.bindings.verify(c);
  expect(probes()).toBe(before + 1);
  t.advance(61_000);
  await t.bindings.verify(c);
  expect(probes()).toBe(before + 2);
});

describe('filters against the collection fields', () => {
  const fields = new Map<string, MetadataFieldType>([
    ['year', 'number'],
    ['kind', 'keyword'],
    ['published', 'date'],
    ['open', 'boolean'],
    ['source.name', 'keyword'],
  ]);
  const problem = (f: Parameters<typeof checkFilters>[0]) => {
    try {
      checkFilters(f, fields);
      return null;
    } catch (err) {
      expect(err).toBeInstanceOf(InputError);
      return { field: (err as InputError).field, message: (err as InputError).message };
    }
  };

  test('valid filters pass; keyword values are compared as strings', () => {
    expect(
      checkFilters(
        [
          { field: 'kind', kind: 'term', anyOf: ['a', 7] },
          { field: 'year', kind: 'range', gte: 2000, lt: 2020 },
          { field: 'published', kind: 'range', gte: '2020-01-01' },
          { field: 'open', kind: 'term', anyOf: [true] },
          { field: 'source.name', kind: 'term', anyOf: ['x'] },
        ],
        fields,
      )[0],
    ).toEqual({ field: 'kind', kind: 'term', anyOf: ['a', '7'] });
  });

  test.each([
    ['an unknown field', [{ field: 'colour', kind: 'term' as const, anyOf: ['red'] }], 'filters.0.field', /known: kind, open, published, source.name, year/],
    ['an object instead of its field', [{ field: 'source', kind: 'term' as const, anyOf: ['x'] }], 'filters.0.field', /is an object; filter on one of its fields: source.name/],
    ['a string for a number', [{ field: 'year', kind: 'term' as const, anyOf: ['2020'] }], 'filters.0.anyOf.0', /give a number/],
    ['a bad date', [{ field: 'published', kind: 'range' as const, gte: 'yesterday' }], 'filters.0.range.gte', /ISO 8601/],
    ['a range on a boolean', [{ field: 'open', kind: 'range' as const, gt: 0 }], 'filters.0.range', /range filters need/],
  ])('%s is an InputError naming the filter', (_, filters, field, message) => {
    expect(problem(filters)).toEqual({ field, message: expect.stringMatching(message) });
  });

  test.each([
    ['no bounds', { field: 'year', kind: 'range' as const }, 'filters.0.range'],
    ['gt and gte', { field: 'year', kind: 'range' as const, gt: 1, gte: 1 }, 'filters.0.range'],
    ['no values', { field: 'year', kind: 'term' as const, anyOf: [] }, 'filters.0.anyOf'],
    ['a bad path', { field: 'a..b', kind: 'term' as const, anyOf: [1] }, 'filters.0.field'],
  ])('a filter with %s is refused by shape', (_, filter, field) => {
    expect(() => validateFilters([filter])).toThrow(expect.objectContaining({ field }));
  });
});
