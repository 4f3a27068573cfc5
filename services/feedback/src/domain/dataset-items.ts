// Dataset items: the inputs (prompt variables) a run renders, with the expected output and the
// ids of the documents a good answer cites, when known.
import { z } from 'zod';
import { InputError, NotFoundError } from '@llmops/platform';

export interface DatasetItem {
  id: string;
  datasetId: string;
  /** Order within the dataset (insertion order); the cursor of item pages. */
  position: number;
  variables: Record<string, unknown>;
  expectedOutput: string | null;
  expectedDocumentIds: string[];
  createdAt: Date;
}

export interface NewDatasetItem {
  variables: Record<string, unknown>;
  expectedOutput: string | null;
  expectedDocumentIds: string[];
}

export interface DatasetItemPage {
  items: DatasetItem[];
  hasNextPage: boolean;
}

export interface DatasetItemStore {
  datasetExists(datasetId: string): Promise<boolean>;
  /** Appends the items in order, atomically. */
  add(datasetId: string, items: NewDatasetItem[]): Promise<DatasetItem[]>;
  /** Items in order, after position `after` (exclusive). */
  list(datasetId: string, first: number, after: number | null): Promise<DatasetItemPage>;
  get(itemId: string): Promise<DatasetItem | null>;
}

export const maxItemsPerCall = 1_000;
export const maxPageSize = 200;

const newItem = z.object({
  variables: z.record(z.string(), z.unknown()),
  expectedOutput: z.string().max(100_000, 'must be at most 100000 characters').nullable(),
  expectedDocumentIds: z.array(z.string().min(1, 'must not be empty').max(500, 'must be at most 500 characters')).max(1_000, 'at most 1000 ids'),
});
const newItems = z.array(newItem).min(1, 'must hold at least one item').max(maxItemsPerCall, `at most ${maxItemsPerCall} items per call`);

export class DatasetItemService {
  constructor(private readonly store: DatasetItemStore) {}

  async add(datasetId: string, items: NewDatasetItem[]): Promise<DatasetItem[]> {
    const result = newItems.safeParse(items);
    if (!result.success) {
      const issue = result.error.issues[0]!;
      const field = ['items', ...issue.path].join('.');
      throw new InputError(`${field}: ${issue.message}`, field);
    }
    if (!(await this.store.datasetExists(datasetId))) throw new NotFoundError('dataset', datasetId);
    return this.store.add(datasetId, result.data);
  }

  async list(datasetId: string, first: number, after: number | null): Promise<DatasetItemPage> {
    if (!Number.isInteger(first) || first < 1 || first > maxPageSize) {
      throw new InputError(`first: must be between 1 and ${maxPageSize}`, 'first');
    }
    return this.store.list(datasetId, first, after);
  }

  get(itemId: string): Promise<DatasetItem | null> {
    return this.store.get(itemId);
  }
}
