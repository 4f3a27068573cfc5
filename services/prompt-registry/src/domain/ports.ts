import type {
  AliasMove,
  AuditEntry,
  NewPrompt,
  Page,
  Prompt,
  PromptAlias,
  PromptFilter,
  PromptVersion,
  ValidVersion,
  VersionSelector,
} from './model';

export type CreateVersionResult =
  | { ok: true; version: PromptVersion }
  | { ok: false; reason: 'PROMPT_NOT_FOUND' | 'PROMPT_ARCHIVED' | 'PARENT_NOT_FOUND' };

export type SetAliasResult =
  | { ok: true; alias: PromptAlias; fromVersion: number | null }
  | { ok: false; reason: 'PROMPT_NOT_FOUND' | 'VERSION_NOT_FOUND' | 'VERSION_ARCHIVED' };

export type ArchiveVersionResult =
  | { ok: true; version: PromptVersion }
  | { ok: false; reason: 'NOT_FOUND' }
  | { ok: false; reason: 'HAS_ALIASES'; aliases: string[] };

/** Persistence of prompts, versions and aliases. Writes that publish events do so atomically. */
export interface PromptStore {
  /** Throws ConflictError when the name is taken. */
  createPrompt(input: NewPrompt): Promise<Prompt>;
  /** Numbers the version atomically and records prompt.version.created.v1. */
  createVersion(input: ValidVersion): Promise<CreateVersionResult>;
  findPromptByName(name: string): Promise<Prompt | null>;
  findPromptById(id: string): Promise<Prompt | null>;
  /** Prompts ordered by name, after the name `after`. */
  listPrompts(first: number, after: string | null, filter: PromptFilter): Promise<Page<Prompt>>;
  /** At most `first` versions, oldest first, numbered above `after` when given. */
  listVersions(promptId: string, first: number, after: number | null): Promise<PromptVersion[]>;
  findVersion(promptName: string, selector: VersionSelector): Promise<PromptVersion | null>;
  findVersionById(id: string): Promise<PromptVersion | null>;
  /** Points `alias` at a version, records the move in the history and publishes prompt.alias.moved.v1. */
  setAlias(promptName: string, alias: string, versionNumber: number, movedBy: string | null): Promise<SetAliasResult>;
  listAliases(promptId: string): Promise<PromptAlias[]>;
  aliasHistory(promptId: string, alias: string | null): Promise<AliasMove[]>;
  archivePrompt(name: string): Promise<Prompt | null>;
  archiveVersion(promptName: string, versionNumber: number): Promise<ArchiveVersionResult>;
  /** The project's audit log, newest first, before sequence number `before`. */
  auditLog(first: number, before: number | null): Promise<AuditEntry[]>;
}
