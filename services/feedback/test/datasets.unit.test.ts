import { randomUUID } from 'node:crypto';
import { DatasetService, type Dataset, type DatasetStore, type NewDataset } from '../src/domain/datasets';

/** One project's datasets, as the PostgreSQL store bounds them. */
class MemoryDatasetStore implements DatasetStore {
  readonly rows: Dataset[] = [];
  readonly asked: string[] = [];

  async create(input: NewDataset): Promise<Dataset> {
    const d = { id: randomUUID(), ...input, createdAt: new Date() };
    this.rows.push(d);
    return d;
  }

  async list(): Promise<Dataset[]> {
    return [...this.rows];
  }

  async get(id: string): Promise<Dataset | null> {
    this.asked.push(id);
    return this.rows.find((d) => d.id === id) ?? null;
  }
}

test("a dataset is found by id in its project's store; any other id is null, not an error", async () => {
  const store = new MemoryDatasetStore();
  const service = new DatasetService(store);
  const created = await service.create({ name: 'qa', description: null });
  expect(await service.get(created.id)).toEqual(created);
  expect(await service.get(randomUUID())).toBeNull();
});

test('an id that is not a dataset id is null without asking the store', async () => {
  const store = new MemoryDatasetStore();
  expect(await new DatasetService(store).get('not-a-uuid')).toBeNull();
  expect(store.asked).toEqual([]);
});
