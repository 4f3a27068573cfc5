import { randomUUID } from 'node:crypto';
import { DatasetItemService } from '../src/domain/dataset-items';
import { MemoryDatasetItemStore } from './evaluation-fakes';

async function setup() {
  const store = new MemoryDatasetItemStore();
  const datasetId = randomUUID();
  store.datasets.add(datasetId);
  return { store, datasetId, service: new DatasetItemService(store) };
}

test('items are appended in order and listed in pages', async () => {
  const { datasetId, service } = await setup();
  await service.add(datasetId, [
    { variables: { q: 'a' }, expectedOutput: 'A', expectedDocumentIds: ['d1'] },
    { variables: { q: 'b' }, expectedOutput: null, expectedDocumentIds: [] },
    { variables: { q: 'c' }, expectedOutput: null, expectedDocumentIds: [] },
  ]);
  const first = await service.list(datasetId, 2, null);
  expect(first.items.map((i) => i.variables['q'])).toEqual(['a', 'b']);
  expect(first.hasNextPage).toBe(true);
  const second = await service.list(datasetId, 2, first.items[1]!.position);
  expect(second.items.map((i) => i.variables['q'])).toEqual(['c']);
  expect(second.hasNextPage).toBe(false);
});

test.each([
  [[], 'items'],
  [[{ variables: [1, 2], expectedOutput: null, expectedDocumentIds: [] }], 'items.0.variables'],
  [[{ variables: 'text', expectedOutput: null, expectedDocumentIds: [] }], 'items.0.variables'],
  [[{ variables: {}, expectedOutput: null, expectedDocumentIds: [''] }], 'items.0.expectedDocumentIds.0'],
  [[{ variables: {}, expectedOutput: 'x'.repeat(100_001), expectedDocumentIds: [] }], 'items.0.expectedOutput'],
])('bad items are BAD_USER_INPUT naming the field: %#', async (items, field) => {
  const { datasetId, service } = await setup();
  await expect(service.add(datasetId, items as never)).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field });
});

test('unknown datasets and bad page sizes', async () => {
  const { datasetId, service } = await setup();
  await expect(service.add(randomUUID(), [{ variables: {}, expectedOutput: null, expectedDocumentIds: [] }])).rejects.toMatchObject({ code: 'NOT_FOUND' });
  await expect(service.list(datasetId, 0, null)).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
  await expect(service.list(datasetId, 201, null)).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
});
