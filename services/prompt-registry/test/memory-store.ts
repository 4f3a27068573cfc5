// An in-memory PromptStore: the domain's own port, faked for unit tests. Like a database, it
// hands out copies: a later change to a row never shows through an object read before it.
import { ConflictError } from '@llmops/platform';
import type { AliasMove, AuditEntry, NewPrompt, NewPromptVersion, Prompt, PromptAlias, PromptFilter, PromptVersion, ValidVersion, VersionSelector } from '../src/domain/model';
import type { ArchiveVersionResult, CreateVersionResult, PromptStore, SetAliasResult } from '../src/domain/ports';

const copy = <T>(value: T): T => structuredClone(value);

/** A new TEXT version with nothing but its template (and `extra`). */
export const textVersion = (promptName: string, template: string, extra: Partial<NewPromptVersion> = {}): NewPromptVersion => ({
  promptName,
  body: { kind: 'TEXT', template },
  variables: null,
  modelParameters: {},
  metadata: {},
  augmentation: [],
  commitMessage: '',
  author: null,
  parentNumber: null,
  ...extra,
});

export class MemoryStore implements PromptStore {
  prompts: Prompt[] = [];
  versions: PromptVersion[] = [];
  aliases: PromptAlias[] = [];
  history: Array<AliasMove & { promptId: string }> = [];
  reads = 0;

  async createPrompt(input: NewPrompt) {
    if (this.prompts.some((p) => p.name === input.name)) throw new ConflictError('taken', { field: 'name' });
    const p = { id: `p${this.prompts.length + 1}`, ...input, archived: false, createdAt: new Date(), updatedAt: new Date() };
    this.prompts.push(p);
    return copy(p);
  }
  async createVersion(input: ValidVersion): Promise<CreateVersionResult> {
    const p = this.prompts.find((x) => x.name === input.promptName);
    if (!p) return { ok: false, reason: 'PROMPT_NOT_FOUND' };
    if (p.archived) return { ok: false, reason: 'PROMPT_ARCHIVED' };
    const latest = this.versions.filter((v) => v.promptId === p.id).length;
    if (input.parentNumber !== null && input.parentNumber > latest) return { ok: false, reason: 'PARENT_NOT_FOUND' };
    const { parentNumber, ...rest } = input;
    const v: PromptVersion = {
      ...rest,
      id: `v${this.versions.length + 1}`,
      promptId: p.id,
      number: latest + 1,
      parentNumber: parentNumber ?? (latest || null),
      archived: false,
      createdAt: new Date(),
    };
    this.versions.push(v);
    return { ok: true, version: copy(v) };
  }
  async findPromptByName(name: string) {
    return copy(this.prompts.find((p) => p.name === name) ?? null);
  }
  async findPromptById(id: string) {
    return copy(this.prompts.find((p) => p.id === id) ?? null);
  }
  async listPrompts(first: number, _after: string | null, filter: PromptFilter) {
    const items = this.prompts.filter((p) => (filter.includeArchived || !p.archived) && (!filter.tag || p.tags.includes(filter.tag)));
    return { items: copy(items.slice(0, first)), hasNextPage: items.length > first };
  }
  async listVersions(promptId: string, first: number, after: number | null) {
    return copy(this.versions.filter((v) => v.promptId === promptId && (after === null || v.number > after)).slice(0, first));
  }
  async findVersion(promptName: string, selector: VersionSelector) {
    this.reads++;
    const list = this.versions.filter((v) => v.promptName === promptName);
    if (selector.kind === 'latest') return copy(list.at(-1) ?? null);
    if (selector.kind === 'number') return copy(list.find((v) => v.number === selector.number) ?? null);
    const alias = this.aliases.find((a) => a.promptName === promptName && a.alias === selector.alias);
    return alias ? copy(list.find((v) => v.id === alias.versionId) ?? null) : null;
  }
  async findVersionById(id: string) {
    return copy(this.versions.find((v) => v.id === id) ?? null);
  }
  async setAlias(promptName: string, alias: string, versionNumber: number, movedBy: string | null): Promise<SetAliasResult> {
    const p = this.prompts.find((x) => x.name === promptName);
    if (!p) return { ok: false, reason: 'PROMPT_NOT_FOUND' };
    const v = this.versions.find((x) => x.promptId === p.id && x.number === versionNumber);
    if (!v) return { ok: false, reason: 'VERSION_NOT_FOUND' };
    if (v.archived) return { ok: false, reason: 'VERSION_ARCHIVED' };
    const existing = this.aliases.find((a) => a.promptId === p.id && a.alias === alias);
    const fromVersion = existing?.versionNumber ?? null;
    this.aliases = this.aliases.filter((a) => a !== existing);
    const created = { promptId: p.id, promptName, alias, versionNumber, versionId: v.id, updatedAt: new Date() };
    this.aliases.push(created);
    this.history.push({ promptId: p.id, alias, fromVersion, toVersion: versionNumber, movedBy, movedAt: new Date() });
    return { ok: true, alias: copy(created), fromVersion };
  }
  async listAliases(promptId: string) {
    return copy(this.aliases.filter((a) => a.promptId === promptId));
  }
  async aliasHistory(promptId: string, alias: string | null) {
    return copy(this.history.filter((h) => h.promptId === promptId && (alias === null || h.alias === alias)).reverse());
  }
  async archivePrompt(name: string) {
    const p = this.prompts.find((x) => x.name === name);
    if (p) p.archived = true;
    return copy(p ?? null);
  }
  async archiveVersion(promptName: string, versionNumber: number): Promise<ArchiveVersionResult> {
    const v = this.versions.find((x) => x.promptName === promptName && x.number === versionNumber);
    if (!v) return { ok: false, reason: 'NOT_FOUND' };
    const aliases = this.aliases.filter((a) => a.versionId === v.id).map((a) => a.alias);
    if (aliases.length) return { ok: false, reason: 'HAS_ALIASES', aliases };
    v.archived = true;
    return { ok: true, version: copy(v) };
  }

  audit: AuditEntry[] = [];
  async auditLog(first: number, before: number | null): Promise<AuditEntry[]> {
    return copy(this.audit.filter((e) => before === null || e.seq < before).slice(-first).reverse());
  }
}
