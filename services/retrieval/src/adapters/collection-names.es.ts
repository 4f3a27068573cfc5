// The Elasticsearch index of each (project, collection). The default project keeps the names
// collections had before projects existed (`<prefix><collection>`), so their data stays where it
// is; any other project's collection is `<prefix><project>.<collection>`. Neither project ids nor
// collection names (nor the prefix) may contain a dot, so the first dot after the prefix splits
// every name one way only: "a-b" + "c" is `<prefix>a-b.c`, "a" + "b-c" is `<prefix>a.b-c`, and no
// other project's index looks like a default-project one. Both parts are lowercase letters,
// digits, '-' and '_', which Elasticsearch accepts in index names (at most 18 + 63 + 1 + 100
// bytes with the default prefix, under its 255).
import { defaultProjectId, projectIdPattern } from '@llmops/platform';
import type { CollectionRef } from '../domain/model';
import { isCollectionName } from '../domain/validation';

export class CollectionIndexNames {
  constructor(private readonly prefix: string) {
    if (prefix.includes('.')) throw new Error(`collection index prefix ${prefix}: must not contain '.'`);
  }

  indexOf(ref: CollectionRef): string {
    return ref.projectId === defaultProjectId ? `${this.prefix}${ref.name}` : `${this.prefix}${ref.projectId}.${ref.name}`;
  }

  /** The collection an index holds; null for an index that is no collection's (or a name out of pattern). */
  parse(index: string): CollectionRef | null {
    if (!index.startsWith(this.prefix)) return null;
    const rest = index.slice(this.prefix.length);
    const dot = rest.indexOf('.');
    const ref = dot < 0 ? { projectId: defaultProjectId, name: rest } : { projectId: rest.slice(0, dot), name: rest.slice(dot + 1) };
    return projectIdPattern.test(ref.projectId) && isCollectionName(ref.name) ? ref : null;
  }

  /**
   * An index pattern that covers the project's collections (the default project's also matches
   * every other project's: callers keep only what `parse` gives to the project).
   */
  patternOf(projectId: string): string {
    return projectId === defaultProjectId ? `${this.prefix}*` : `${this.prefix}${projectId}.*`;
  }
}
