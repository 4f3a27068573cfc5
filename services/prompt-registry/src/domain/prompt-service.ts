import { ConflictError, defaultProjectId, InputError, NotAllowedError, NotFoundError, type Role } from '@llmops/platform';
import type { AuditEntry, AliasMove, NewPrompt, NewPromptVersion, Page, Prompt, PromptAlias, PromptFilter, PromptVersion, VersionSelector } from './model';
import { describeSelector } from './model';
import type { PromptStore } from './ports';
import { diffVersions, type VersionDiff } from './diff';
import { renderVersion, type RenderedPrompt } from './render';
import { VersionCache } from './version-cache';
import { validateAlias, validateMovedBy, validateNewPrompt, validateNewVersion, validatePageSize } from './validation';

/** Who the service works for: one project's prompts, with the caller's role. */
export interface Caller {
  projectId: string;
  role: Role;
  /** Aliases (e.g. production) only admins may move. */
  protectedAliases: readonly string[];
}

const developmentCaller: Caller = { projectId: defaultProjectId, role: 'admin', protectedAliases: [] };

/** The cache is shared by all projects of a replica: its keys carry the project. */
export const cacheName = (projectId: string, promptName: string) => `${projectId}/${promptName}`;

export class PromptService {
  constructor(
    /** Bound to the caller's project (see adapters/prompt-store.pg.ts). */
    private readonly store: PromptStore,
    readonly cache: VersionCache = new VersionCache(),
    private readonly caller: Caller = developmentCaller,
  ) {}

  private cacheKey(promptName: string): string {
    return cacheName(this.caller.projectId, promptName);
  }

  async createPrompt(input: NewPrompt): Promise<Prompt> {
    return this.store.createPrompt(validateNewPrompt(input));
  }

  async createVersion(input: NewPromptVersion): Promise<PromptVersion> {
    const valid = validateNewVersion(input);
    const result = await this.store.createVersion(valid);
    if (!result.ok) {
      switch (result.reason) {
        case 'PROMPT_NOT_FOUND':
          throw new NotFoundError('Prompt', valid.promptName);
        case 'PROMPT_ARCHIVED':
          throw new ConflictError(`prompt "${valid.promptName}" is archived`, { field: 'promptName' });
        case 'PARENT_NOT_FOUND':
          throw new NotFoundError('PromptVersion', `${valid.promptName}@${valid.parentNumber}`);
      }
    }
    this.cache.invalidate(this.cacheKey(valid.promptName), { kind: 'latest' });
    return result.version;
  }

  async getPrompt(name: string): Promise<Prompt> {
    const prompt = await this.store.findPromptByName(name);
    if (!prompt) throw new NotFoundError('Prompt', name);
    return prompt;
  }

  findPromptById(id: string): Promise<Prompt | null> {
    return this.store.findPromptById(id);
  }

  async listPrompts(first: number, after: string | null, filter: PromptFilter): Promise<Page<Prompt>> {
    return this.store.listPrompts(validatePageSize(first), after, filter);
  }

  /** A page of a prompt's versions, oldest first: at most `first`, numbered above `after` when given. */
  async listVersions(promptId: string, first: number, after: number | null): Promise<PromptVersion[]> {
    return this.store.listVersions(promptId, validatePageSize(first), after);
  }

  /** The version a selector points at now; served from the cache when possible. */
  async getVersion(promptName: string, selector: VersionSelector): Promise<PromptVersion> {
    if (selector.kind === 'alias') validateAlias(selector.alias);
    const cached = this.cache.get(this.cacheKey(promptName), selector);
    if (cached) return cached;
    const token = this.cache.token();
    const version = await this.store.findVersion(promptName, selector);
    if (version) {
      this.cache.set(this.cacheKey(promptName), selector, version, token);
      return version;
    }
    if (!(await this.store.findPromptByName(promptName))) throw new NotFoundError('Prompt', promptName);
    if (selector.kind === 'alias') throw new NotFoundError('PromptAlias', describeSelector(promptName, selector));
    throw new NotFoundError('PromptVersion', describeSelector(promptName, selector));
  }

  findVersionById(id: string): Promise<PromptVersion | null> {
    return this.store.findVersionById(id);
  }

  /**
   * Whether the version is archived now. A version served from the cache may have been archived
   * since (on another replica: archiving has no event), so its flag is read from the store.
   */
  async isArchived(version: PromptVersion): Promise<boolean> {
    if (version.archived || !this.cache.holds(version)) return version.archived;
    return (await this.store.findVersionById(version.id))?.archived ?? version.archived;
  }

  async render(promptName: string, selector: VersionSelector, values: Record<string, unknown>): Promise<RenderedPrompt> {
    return renderVersion(await this.getVersion(promptName, selector), values);
  }

  async diff(promptName: string, fromNumber: number, toNumber: number): Promise<VersionDiff> {
    const [from, to] = await Promise.all([
      this.getVersion(promptName, { kind: 'number', number: fromNumber }),
      this.getVersion(promptName, { kind: 'number', number: toNumber }),
    ]);
    return diffVersions(from, to);
  }

  async setAlias(promptName: string, alias: string, versionNumber: number, movedBy: string | null): Promise<PromptAlias> {
    validateAlias(alias);
    validateMovedBy(movedBy);
    if (!Number.isInteger(versionNumber) || versionNumber < 1) throw new InputError('version: must be a positive integer', 'version');
    if (this.caller.protectedAliases.includes(alias) && this.caller.role !== 'admin') {
      throw new NotAllowedError(`alias "${alias}" is protected: only an admin may move it (PROTECTED_ALIASES)`, { alias, required: 'admin', role: this.caller.role });
    }
    const result = await this.store.setAlias(promptName, alias, versionNumber, movedBy);
    if (!result.ok) {
      switch (result.reason) {
        case 'PROMPT_NOT_FOUND':
          throw new NotFoundError('Prompt', promptName);
        case 'VERSION_NOT_FOUND':
          throw new NotFoundError('PromptVersion', `${promptName}@${versionNumber}`);
        case 'VERSION_ARCHIVED':
          throw new ConflictError(`version ${promptName}@${versionNumber} is archived; an alias cannot point at it`, { field: 'version' });
      }
    }
    this.onAliasMoved(promptName, alias);
    return result.alias;
  }

  listAliases(promptId: string): Promise<PromptAlias[]> {
    return this.store.listAliases(promptId);
  }

  aliasHistory(promptId: string, alias: string | null): Promise<AliasMove[]> {
    return this.store.aliasHistory(promptId, alias);
  }

  async archivePrompt(name: string): Promise<Prompt> {
    const prompt = await this.store.archivePrompt(name);
    if (!prompt) throw new NotFoundError('Prompt', name);
    return prompt;
  }

  async archiveVersion(promptName: string, versionNumber: number): Promise<PromptVersion> {
    const result = await this.store.archiveVersion(promptName, versionNumber);
    if (result.ok) {
      // Its cached copies (by number, and as "latest") still say archived: false.
      this.cache.invalidate(this.cacheKey(promptName), { kind: 'number', number: versionNumber });
      this.cache.invalidate(this.cacheKey(promptName), { kind: 'latest' });
      return result.version;
    }
    if (result.reason === 'HAS_ALIASES') {
      throw new ConflictError(`version ${promptName}@${versionNumber} is referenced by alias(es) ${result.aliases.join(', ')}; move them first`, {
        field: 'version',
        aliases: result.aliases,
      });
    }
    throw new NotFoundError('PromptVersion', `${promptName}@${versionNumber}`);
  }

  /** The project's audit log, newest first (admins only). */
  async auditLog(first: number, before: number | null): Promise<AuditEntry[]> {
    if (this.caller.role !== 'admin') {
      throw new NotAllowedError('the audit log is for admins', { required: 'admin', role: this.caller.role });
    }
    return this.store.auditLog(validatePageSize(first), before);
  }

  /** An alias moved (here or on another replica): forget what it resolved to. */
  onAliasMoved(promptName: string, alias: string): void {
    this.cache.invalidate(this.cacheKey(promptName), { kind: 'alias', alias });
  }

  /** A version was created (here or on another replica): "latest" changed. */
  onVersionCreated(promptName: string): void {
    this.cache.invalidate(this.cacheKey(promptName), { kind: 'latest' });
  }
}
