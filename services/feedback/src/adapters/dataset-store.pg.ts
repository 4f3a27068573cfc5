import { randomUUID } from 'node:crypto';
import { ConflictError, type Pool } from '@llmops/platform';
import type { Dataset, DatasetStore, NewDataset } from '../domain/datasets';
import { schema } from './migrations';

interface Row {
  id: string;
  name: string;
  description: string | null;
  created_at: Date;
}

const toDataset = (r: Row): Dataset => ({ id: r.id, name: r.name, description: r.description, createdAt: r.created_at });

/** One project's datasets: every query is bounded to `projectId`. */
export class PgDatasetStore implements DatasetStore {
  constructor(
    private readonly pool: Pool,
    private readonly projectId: string,
  ) {}

  async create(input: NewDataset): Promise<Dataset> {
    try {
      const { rows } = await this.pool.query<Row>(
        `INSERT INTO ${schema}.datasets (id, project_id, name, description) VALUES ($1, $2, $3, $4) RETURNING *`,
        [randomUUID(), this.projectId, input.name, input.description],
      );
      return toDataset(rows[0]!);
    } catch (err) {
      if ((err as { code?: string }).code === '23505') {
        throw new ConflictError(`a dataset named "${input.name}" already exists`, { field: 'name' });
      }
      throw err;
    }
  }

  async list(): Promise<Dataset[]> {
    const { rows } = await this.pool.query<Row>(`SELECT * FROM ${schema}.datasets WHERE project_id = $1 ORDER BY name`, [this.projectId]);
    return rows.map(toDataset);
  }

  async get(id: string): Promise<Dataset | null> {
    const { rows } = await this.pool.query<Row>(`SELECT * FROM ${schema}.datasets WHERE project_id = $1 AND id = $2`, [this.projectId, id]);
    return rows[0] ? toDataset(rows[0]) : null;
  }
}
