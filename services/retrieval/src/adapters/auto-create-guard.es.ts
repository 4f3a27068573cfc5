// Elasticsearch creates a missing index when a document is written to it (the cluster setting
// action.auto_create_index, true by default). A collection deleted while its documents were still
// being ingested would come back that way: an index without the collection's mappings or _meta,
// its documents counted as indexed, the collection in no list and its name taken. So the
// collections' indices are excluded from automatic creation: such a write fails (index not found)
// and its documents are dead-lettered with the reason. The rest of the setting is kept as it is.
import type { Client } from '@elastic/elasticsearch';
import type { Logger } from '@llmops/platform';

export const autoCreateSetting = 'action.auto_create_index';

/**
 * The setting with the collections' indices excluded, or null when they already are (or nothing
 * is created automatically). Patterns are matched in order and the first match decides, so the
 * exclusion goes first.
 */
export function withoutAutoCreate(current: string | boolean | null | undefined, prefix: string): string | null {
  const exclusion = `-${prefix}*`;
  const value = current === undefined || current === null ? 'true' : String(current).trim();
  if (value === 'false') return null;
  if (value === 'true' || value === '') return `${exclusion},+*`;
  const patterns = value
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  return patterns.includes(exclusion) ? null : [exclusion, ...patterns].join(',');
}

/**
 * Makes sure the cluster does not create the collections' indices by itself. Best effort: without
 * the privilege to change cluster settings it logs what to set instead.
 */
export async function excludeCollectionsFromAutoCreate(es: Client, prefix: string, logger: Logger): Promise<void> {
  try {
    const settings = await es.cluster.getSettings({ flat_settings: true, include_defaults: true });
    const transient = settings.transient?.[autoCreateSetting] as string | undefined;
    const current = transient ?? (settings.persistent?.[autoCreateSetting] as string | undefined) ?? (settings.defaults?.[autoCreateSetting] as string | undefined);
    const next = withoutAutoCreate(current, prefix);
    if (next === null) return;
    // A transient value (deprecated, but it wins over the persistent one) is replaced as well.
    await es.cluster.putSettings({ persistent: { [autoCreateSetting]: next }, ...(transient !== undefined ? { transient: { [autoCreateSetting]: next } } : {}) });
    logger.info({ setting: autoCreateSetting, from: current ?? 'true', to: next }, 'collection indices are no longer created automatically by Elasticsearch');
  } catch (err) {
    logger.warn(
      { err, setting: autoCreateSetting, wanted: withoutAutoCreate('true', prefix) },
      `could not exclude the collection indices from ${autoCreateSetting}: set it on the cluster, or a collection deleted during ingestion may come back as an index without its mappings`,
    );
  }
}
