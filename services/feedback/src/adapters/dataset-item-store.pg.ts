import { randomUUID } from 'node:crypto';
import { NotFoundError, withTransaction, type Pool } from '@llmops/platform';
import type { DatasetItem, DatasetItemPage, DatasetItemStore, NewDatasetItem } from '../domain/dataset-items';
import { schema } from './migrations';

export interface DatasetItemRow {
  id: string;
  dataset_id: string;
  position: string;
  variables: Record<string, unknown>;
  expected_output: string | null;
  expected_document_ids: string[];
  created_at: Date;
}

export const toDatasetItem = (r: DatasetItemRow): DatasetItem => ({
  id: r.id,
  datasetId: r.dataset_id,
  position: Number(r.position),
  variables: r.variables,
  expectedOutput: r.expected_output,
  expectedDocumentIds: r.expected_document_ids,
  createdAt: r.created_at,
});

/** The items of one project's datasets: every query is bounded to `projectId` through the dataset. */
export class PgDatasetItemStore implements DatasetItemStore {
  constructor(
    private readonly pool: Pool,
    private readonly projectId: string,
  ) {}

  async datasetExists(datasetId: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(`SELECT 1 FROM ${schema}.datasets WHERE project_id = $1 AND id = $2`, [this.projectId, datasetId]);
    return (rowCount ?? 0) > 0;
  }

  add(datasetId: string, items: NewDatasetItem[]): Promise<DatasetItem[]> {
    return withTransaction(this.pool, async (client) => {
      const added: DatasetItem[] = [];
      for (const item of items) {
        const { rows } = await client.query<DatasetItemRow>(
          `INSERT INTO ${schema}.dataset_items (id, dataset_id, variables, expected_output, expected_document_ids)
           SELECT $1::uuid, d.id, $3::jsonb, $4::text, $5::text[] FROM ${schema}.datasets d WHERE d.id = $2 AND d.project_id = $6 RETURNING *`,
          [randomUUID(), datasetId, JSON.stringify(item.variables), item.expectedOutput, item.expectedDocumentIds, this.projectId],
        );
        if (!rows[0]) throw new NotFoundError('dataset', datasetId);
        added.push(toDatasetItem(rows[0]));
      }
      return added;
    });
  }

  async list(datasetId: string, first: number, after: number | null): Promise<DatasetItemPage> {
    const { rows } = await this.pool.query<DatasetItemRow>(
      `SELECT i.* FROM ${schema}.dataset_items i JOIN ${schema}.datasets d ON d.id = i.dataset_id
       WHERE d.project_id = $4 AND i.dataset_id = $1 AND i.position > $2 ORDER BY i.position LIMIT $3`,
      [datasetId, after ?? 0, first + 1, this.projectId],
    );
    return { items: rows.slice(0, first).map(toDatasetItem), hasNextPage: rows.length > first };
  }

  async get(itemId: string): Promise<DatasetItem | null> {
    const { rows } = await this.pool.query<DatasetItemRow>(
      `SELECT i.* FROM ${schema}.dataset_items i JOIN ${schema}.datasets d ON d.id = i.dataset_id WHERE d.project_id = $1 AND i.id = $2`,
      [this.projectId, itemId],
    );
    return rows[0] ? toDatasetItem(rows[0]) : null;
  }
}
