import { z } from 'zod';
import { InputError } from '@llmops/platform';

export interface Dataset {
  id: string;
  name: string;
  description: string | null;
  createdAt: Date;
}

export interface NewDataset {
  name: string;
  description: string | null;
}

export interface DatasetStore {
  /** Throws ConflictError when the name is taken. */
  create(input: NewDataset): Promise<Dataset>;
  list(): Promise<Dataset[]>;
  get(id: string): Promise<Dataset | null>;
}

const newDataset = z.object({
  name: z.string().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
  description: z.string().max(2_000, 'must be at most 2000 characters').nullable(),
});

/** Evaluation datasets: named sets of inputs (and expected outputs) to run prompt versions over. */
export class DatasetService {
  constructor(private readonly store: DatasetStore) {}

  async create(input: NewDataset): Promise<Dataset> {
    const result = newDataset.safeParse(input);
    if (!result.success) {
      const issue = result.error.issues[0]!;
      const field = issue.path.join('.');
      throw new InputError(`${field}: ${issue.message}`, field);
    }
    return this.store.create(result.data);
  }

  list(): Promise<Dataset[]> {
    return this.store.list();
  }

  /** Null when the project has no dataset with this id (another project's is not found). */
  get(id: string): Promise<Dataset | null> {
    return z.uuid().safeParse(id).success ? this.store.get(id) : Promise.resolve(null);
  }
}
